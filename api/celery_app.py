"""Celery the Flask-docs way: tasks run inside an app context; inline (eager) when no broker is set."""

from __future__ import annotations

import datetime as dt

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from api.bootstrap import TASK_PACKAGES
from enterprise.tasks import RETENTION_CONF_KEY
from recycle.db import SESSIONS_CONF_KEY

DEFAULT_QUEUE = "thangngoen"
BEAT_SCHEDULE = {
    "purge-revoked-tokens": {"task": "recycle.purge_revoked_tokens", "schedule": dt.timedelta(hours=6)},
    # the task outbox: re-send what a broker outage kept from being sent at commit
    "outbox-relay": {"task": "recycle.outbox.relay", "schedule": dt.timedelta(seconds=30)},
    # settlement runs left computing by a killed worker are queued again
    "settlements-sweep": {"task": "enterprise.settlements.sweep", "schedule": dt.timedelta(minutes=1)},
    # the notices outbox: send what is due (retries, and anything enqueued while the broker was down)
    "send-due-notices": {"task": "recycle.send_due_notices", "schedule": dt.timedelta(minutes=1)},
    # 19:00 in Thailand: one digest per member who asked for it
    "send-notice-digests": {"task": "recycle.send_notice_digests", "schedule": crontab(hour=12, minute=0)},
    # 17:00 in Thailand: "we come tomorrow" to every household with a pickup scheduled for tomorrow
    "pickup-reminders": {"task": "pickup.remind_tomorrows_pickups", "schedule": crontab(hour=10, minute=0)},
    "apply-retention": {"task": "enterprise.apply_retention", "schedule": dt.timedelta(days=1)},
}
# A task a killed worker never acknowledged comes back after this long (Redis' default is an hour). Longer
# than the longest task (a 10,000-household settlement computes in about a second), shorter than a coffee.
VISIBILITY_TIMEOUT_S = 300


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config.get("CELERY_BROKER_URL")
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(
        {
            "broker_url": broker or "memory://",
            "result_backend": app.config.get("CELERY_RESULT_BACKEND")
            or (broker if broker and broker.startswith("redis") else None),
            "task_always_eager": not broker,
            "task_eager_propagates": True,
            "task_ignore_result": False,
            "task_acks_late": True,  # a task killed mid-way is redelivered; tasks are idempotent
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_default_queue": DEFAULT_QUEUE,
            "broker_connection_retry_on_startup": True,
            "broker_connection_timeout": 3,  # a request enqueueing into a dead broker gives up fast; the outbox retries
            # Publishing into a dead broker gives up within a second (kombu's default retries for ~6 s inside the
            # request); the outbox relay is the retry. The worker's own consumer keeps retrying for ever.
            "broker_transport_options": {
                "visibility_timeout": VISIBILITY_TIMEOUT_S,
                "socket_connect_timeout": 3,
                "socket_timeout": 5,
                "max_retries": 2,
                "interval_start": 0,
                "interval_step": 0.2,
                "interval_max": 0.5,
            },
            "timezone": "UTC",
            "beat_schedule": app.config.get("CELERY_BEAT_SCHEDULE", BEAT_SCHEDULE),
        }
    )
    celery_app.conf[SESSIONS_CONF_KEY] = app.extensions["thangngoen.sessions"]
    celery_app.conf[RETENTION_CONF_KEY] = app.config.get("RETENTION")
    celery_app.set_default()
    # every package's tasks.py registers its @shared_task with this Celery app (and its worker)
    celery_app.autodiscover_tasks(TASK_PACKAGES, force=True)
    app.extensions["celery"] = celery_app
    return celery_app
