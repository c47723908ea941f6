"""The staff console: server-rendered pages at /console over the same domain services as the JSON API.

`api` never imports this package; the console builds on the API's app (database, Celery, settings).
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The API app with the console at /console and the public citizen dashboard at /public/<tenant>
    (what `thangngoen serve`, gunicorn and the Celery worker run)."""
    from api import create_app as create_api_app
    from console.public import register_public

    app = create_api_app(config)
    register_console(app)
    register_public(app)
    return app


def register_console(app: Flask) -> None:
    from console.web import register

    register(app)
