"""Celery the Flask-docs way: tasks run inside an app context; inline (eager) when no broker is set."""
from __future__ import annotations

import datetime as dt
import importlib

from celery import Celery, Task
from flask import Flask

from enterprise.tasks import RETENTION_CONF_KEY
from recycle.db import SESSIONS_CONF_KEY

DEFAULT_QUEUE = "thangngoen"
TASK_MODULES = ["recycle.tasks", "enterprise.tasks", "recycle.game.tasks"]
BEAT_SCHEDULE = {
    "purge-revoked-tokens": {"task": "recycle.purge_revoked_tokens", "schedule": dt.timedelta(hours=6)},
    "apply-retention": {"task": "enterprise.apply_retention", "schedule": dt.timedelta(days=1)},
}


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config.get("CELERY_BROKER_URL")
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object({
        "broker_url": broker or "memory://",
        "result_backend": app.config.get("CELERY_RESULT_BACKEND") or (broker if broker and broker.startswith("redis") else None),
        "task_always_eager": not broker,
        "task_eager_propagates": True,
        "task_ignore_result": False,
        "task_acks_late": True,              # a task killed mid-way is redelivered; tasks are idempotent
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": DEFAULT_QUEUE,
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
        "beat_schedule": app.config.get("CELERY_BEAT_SCHEDULE", BEAT_SCHEDULE),
    })
    celery_app.conf[SESSIONS_CONF_KEY] = app.extensions["thangngoen.sessions"]
    celery_app.conf[RETENTION_CONF_KEY] = app.config.get("RETENTION")
    celery_app.set_default()
    for module in TASK_MODULES:  # register every @shared_task with this Celery app (and its worker)
        importlib.import_module(module)
    app.extensions["celery"] = celery_app
    return celery_app
