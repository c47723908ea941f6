"""Health: is the database answering, is the broker reachable."""

from __future__ import annotations

from flask import current_app
from flask_restx import Namespace, Resource
from sqlalchemy import text

from api.auth import PUBLIC, roles
from api.docs import response
from api.schemas.accounts import HealthSchema
from api.session import session

ns = Namespace("health", path="/health", description="Liveness of the API, its database and its broker")


@ns.route("")
class Health(Resource):
    @roles(*PUBLIC)
    @response(HealthSchema)
    def get(self):
        status = "ok"
        try:
            session().execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # noqa: BLE001 - health reports, it does not raise
            database, status = f"error: {type(exc).__name__}", "degraded"
        broker = "inline (no broker configured)"
        if current_app.config.get("CELERY_BROKER_URL"):
            try:
                with current_app.extensions["celery"].connection_for_write() as conn:
                    conn.ensure_connection(max_retries=1, timeout=2)
                broker = "ok"
            except Exception as exc:  # noqa: BLE001
                broker, status = f"error: {type(exc).__name__}", "degraded"
        return {"status": status, "database": database, "broker": broker}
