"""Housekeeping tasks of the core. Task names are constants so producers never spell them twice."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import delete

from recycle import outbox
from recycle.db import task_unit_of_work, utcnow
from recycle.models import RevokedToken

PURGE_REVOKED_TOKENS = "recycle.purge_revoked_tokens"


@shared_task(name=PURGE_REVOKED_TOKENS, bind=True, acks_late=True)
def purge_revoked_tokens(self) -> int:  # noqa: ANN001
    """A revoked token that has expired anyway needs no blocklist row; idempotent, safe to rerun."""
    with task_unit_of_work(self) as uow:
        n = uow.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow())).rowcount
        uow.commit()
    return n


@shared_task(name=outbox.RELAY, bind=True, acks_late=True)
def relay_outbox(self) -> int:  # noqa: ANN001
    """Beat, every 30 s: send what the outbox has not sent yet, forget what was sent long ago. Idempotent."""
    with task_unit_of_work(self) as uow:
        sent = outbox.relay(uow.session, celery_app=self.app)
        outbox.purge(uow.session)
        uow.commit()
    return sent
