"""Entry point installed with the package: `gunicorn console.wsgi:app`, `celery -A console.wsgi:celery_app worker`."""
from console import create_app

app = create_app()
celery_app = app.extensions["celery"]
