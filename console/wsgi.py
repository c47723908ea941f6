"""The installed entry point: `gunicorn "console.wsgi:app"` (the API, Swagger UI, the staff console and the
public pages) and `celery -A console.wsgi:celery_app worker|beat`.

It lives inside the package, so it works from any directory after `pip install .`. Celery's `-A console.wsgi`
(without `:celery_app`) takes the module's `app` attribute whatever its type, so under the celery command
`app` is the Celery app; everyone else gets the Flask app.
"""

import sys
from pathlib import Path

from console import create_app

flask_app = create_app()
celery = celery_app = flask_app.extensions["celery"]


def _loaded_by_celery_cli() -> bool:
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return argv0.name == "celery" or argv0.parent.name == "celery"


app = celery_app if _loaded_by_celery_cli() else flask_app
