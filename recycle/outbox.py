"""The transactional outbox: the one way to enqueue a task "after this transaction commits".

`enqueue(session, task_name, **kwargs)` writes a row in the caller's transaction, so the intent to run the
task commits (or rolls back) with the data it is about. After the commit, the row is sent to Celery and
marked dispatched. A broker outage leaves it undispatched (logged, never an error to the caller), and the
beat task `recycle.outbox.relay` sends it again once the broker is back. Tasks must be idempotent: a row
sent just before its "dispatched" mark was lost is sent twice.

Not tenant-first like other tables: the relay scans every tenant's undispatched rows, through a partial
index on `created_at` where `dispatched_at IS NULL` that stays as small as the backlog.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app as current_celery
from sqlalchemy import JSON, ForeignKey, Index, String, delete, event, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from recycle.db import Base, utcnow

RELAY = "recycle.outbox.relay"
GRACE = dt.timedelta(seconds=30)  # the after-commit send normally lands well within this
KEEP_SENT = dt.timedelta(days=7)  # sent rows are kept a week for whoever investigates, then purged
log = logging.getLogger("thangngoen.outbox")
_PENDING = "thangngoen.outbox"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(
            "ix_outbox_messages_undispatched",
            "created_at",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    task_name: Mapped[str] = mapped_column(String(200))
    args: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


def enqueue(session: Session, task_name: str, **kwargs: Any) -> OutboxMessage:
    """Send `task_name(**kwargs)` once this session's transaction commits; nothing if it rolls back.

    kwargs must be JSON (ids, not objects). A `tenant_id` among them is also recorded on the row."""
    tenant_id = kwargs.get("tenant_id")
    msg = OutboxMessage(tenant_id=tenant_id if isinstance(tenant_id, int) else None, task_name=task_name, args=kwargs)
    session.add(msg)
    session.flush()
    _remember(session, (msg.id, task_name, dict(kwargs)))
    return msg


def after_commit(session: Session, task_name: str, **kwargs: Any) -> None:
    """Send `task_name(**kwargs)` once this transaction commits, without an outbox row.

    For tasks whose own table already is the durable record that a sweeper re-sends (notices, badge and
    level-up notices, challenge bonuses): the row commits with the event, this only makes it prompt."""
    _remember(session, (None, task_name, dict(kwargs)))


def _remember(session: Session, item: tuple[int | None, str, dict[str, Any]]) -> None:
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        session.info[_PENDING + ".bind"] = session.get_bind()
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    session.info[_PENDING].append(item)


def send(task_name: str, kwargs: dict[str, Any], celery_app: Any = None) -> None:
    """Hand one task to Celery without retrying the broker (the relay is the retry): a registered task through
    `apply_async`, so the embedded default still runs it inline; an unknown name through `send_task`.

    Fire and forget (`ignore_result`): what a task did is in the database, and subscribing to a Redis result
    would retry a dead Redis for 20 s inside the request (the 19 s 500 of issue 10)."""
    app = celery_app or current_celery
    task = app.tasks.get(task_name)
    if task is not None:
        task.apply_async(kwargs=kwargs, retry=False, ignore_result=True)
    else:
        app.send_task(task_name, kwargs=kwargs, retry=False, ignore_result=True)


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the transaction itself is still open
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    if pending:
        dispatch(session.info[_PENDING + ".bind"], pending)


def _after_rollback(session: Session) -> None:
    if session.get_nested_transaction() is None:
        session.info[_PENDING] = []


def dispatch(bind: Any, pending: list[tuple[int | None, str, dict]], celery_app: Any = None) -> int:
    """Send each message and record the outcome in a short transaction of its own; returns how many went."""
    sent = 0
    for msg_id, task_name, kwargs in pending:
        error = None
        try:
            send(task_name, kwargs, celery_app)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - a broker outage must never fail the committed request
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("outbox message %s (%s) not sent, the relay will retry: %s", msg_id, task_name, error)
        if msg_id is None:
            continue  # `after_commit`: the task's own rows are its outbox, swept by their own beat task
        try:
            with Session(bind=bind) as s, s.begin():
                values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1, "last_error": error}
                if error is None:
                    values["dispatched_at"] = utcnow()
                s.execute(update(OutboxMessage).where(OutboxMessage.id == msg_id).values(**values))
        except Exception:  # noqa: BLE001 - the task went (or will go); the relay may send it once more
            log.exception("could not record outbox message %s", msg_id)
    return sent


def due(session: Session, now: dt.datetime | None = None, grace: dt.timedelta = GRACE, limit: int = 500) -> list[OutboxMessage]:
    """Undispatched messages older than the grace period, oldest first; locked so two relays never share one."""
    now = now or utcnow()
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.dispatched_at.is_(None), OutboxMessage.created_at < now - grace)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def relay(session: Session, now: dt.datetime | None = None, grace: dt.timedelta = GRACE, celery_app: Any = None) -> int:
    """Send what the after-commit hook could not (broker down, process killed after commit); caller commits."""
    sent = 0
    for msg in due(session, now, grace):
        msg.attempts += 1
        try:
            send(msg.task_name, dict(msg.args), celery_app)
        except Exception as exc:  # noqa: BLE001 - still down: keep it for the next beat
            msg.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("outbox relay: %s still not sent: %s", msg.id, msg.last_error)
            break  # the broker is down for the rest of the batch too
        msg.dispatched_at, msg.last_error = utcnow(), None
        sent += 1
    session.flush()
    return sent


def purge(session: Session, now: dt.datetime | None = None, keep: dt.timedelta = KEEP_SENT) -> int:
    """Forget messages sent more than `keep` ago; undispatched ones are never purged."""
    cutoff = (now or utcnow()) - keep
    return session.execute(delete(OutboxMessage).where(OutboxMessage.dispatched_at < cutoff)).rowcount
