"""The staff console: server-rendered pages at /console over the same domain services as the JSON API.

`api` never imports this package; the console builds on the API's app (database, Celery, settings).
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The API app with the console mounted at /console (what `thangngoen serve` and gunicorn run)."""
    from api import create_app as create_api_app

    app = create_api_app(config)
    register_console(app)
    return app


def register_console(app: Flask) -> None:
    from console.web import register

    register(app)
