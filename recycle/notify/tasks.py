"""Sending the notices outbox: one task per notice (enqueued after the event commits) and a beat sweep that
sends whatever is due (never enqueued because the broker was down, or waiting out a retry's backoff).

Tasks take ids, are idempotent (a sent notice is left alone; the row lock stops two workers pushing the
same one) and ack late. A worker killed mid-send leaves its notice pending (its lock and transaction die with
its connection): the next minute's sweep pushes it again with the same LINE retry key, which LINE delivers
once, and the killed task, redelivered after the broker's visibility timeout, finds it sent.
"""

from __future__ import annotations

import zoneinfo

from celery import shared_task

from recycle.db import task_unit_of_work, utcnow
from recycle.models import Tenant
from recycle.notify import notices
from recycle.notify.line import LineChannel

SEND_NOTICE = "recycle.send_notice"
SEND_DUE_NOTICES = "recycle.send_due_notices"
SEND_DIGESTS = "recycle.send_notice_digests"

notices.register_channel(LineChannel())


@shared_task(name=SEND_NOTICE, bind=True, acks_late=True)
def send_notice(self, notice_id: int) -> str:  # noqa: ANN001
    """Returns the notice's status after this run (sent, pending = will retry, failed = parked, ...)."""
    with task_unit_of_work(self) as uow:
        status = notices.deliver(uow.session, notice_id)
        notice = uow.session.get(notices.Notice, notice_id)
        retry_in = (notice.next_attempt_at - utcnow()).total_seconds() if notice is not None else 0
        uow.commit()
    if status == notices.NoticeStatus.PENDING.value and not self.app.conf.task_always_eager:
        # the backoff is also in the row: if this retry is lost, the sweep picks the notice up when due
        self.apply_async((notice_id,), countdown=max(1, int(retry_in)))
    return status


@shared_task(name=SEND_DUE_NOTICES, bind=True, acks_late=True)
def send_due_notices(self) -> int:  # noqa: ANN001
    """Beat, every minute: send what is due, each in its own transaction (one failure does not stop the rest)."""
    with task_unit_of_work(self) as uow:
        ids = notices.due(uow.session, utcnow())
    for notice_id in ids:
        with task_unit_of_work(self) as uow:
            notices.deliver(uow.session, notice_id)
            uow.commit()
    return len(ids)


@shared_task(name=SEND_DIGESTS, bind=True, acks_late=True)
def send_digests(self) -> int:  # noqa: ANN001
    """Beat, once a day (evening): one message per member who asked for a daily digest."""
    with task_unit_of_work(self) as uow:
        pairs = notices.households_with_digest(uow.session)
    n = 0
    for tenant_id, household_id in pairs:
        with task_unit_of_work(self) as uow:
            tenant = uow.session.get(Tenant, tenant_id)
            day = utcnow().astimezone(zoneinfo.ZoneInfo(tenant.timezone)).date()
            n += notices.digest(uow.session, tenant_id, household_id, day.isoformat()) is not None
            uow.commit()
    return n
