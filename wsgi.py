"""Kept for checkouts and old instructions (`gunicorn wsgi:app`, `celery -A wsgi worker`): see console/wsgi.py."""

from console.wsgi import app, celery, celery_app, flask_app  # noqa: F401
