"""Entry point for gunicorn (`gunicorn wsgi:app`: the API and the staff console) and Celery (`celery -A wsgi worker`).

Celery's `-A wsgi` takes the module's `app` attribute whatever its type, so when the celery command
loads this module `app` is the Celery app; everyone else gets the Flask app. `wsgi:celery_app` is
the explicit spelling for both.
"""
import sys
from pathlib import Path

from console.wsgi import app as flask_app
from console.wsgi import celery_app

celery = celery_app


def _loaded_by_celery_cli() -> bool:
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return argv0.name == "celery" or argv0.parent.name == "celery"


app = celery_app if _loaded_by_celery_cli() else flask_app
