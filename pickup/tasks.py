"""Pickup beat jobs. Task names are constants; idempotent (a reminder is keyed by pickup and date)."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from pickup.notice_hooks import remind_tomorrow
from recycle.db import task_unit_of_work, utcnow
from recycle.models import Tenant

REMIND_TOMORROWS_PICKUPS = "pickup.remind_tomorrows_pickups"


@shared_task(name=REMIND_TOMORROWS_PICKUPS, bind=True, acks_late=True)
def remind_tomorrows_pickups(self) -> int:  # noqa: ANN001
    """Beat, once a day: tell each household with a pickup scheduled tomorrow (one transaction per tenant)."""
    with task_unit_of_work(self) as uow:
        tenant_ids = list(uow.session.scalars(select(Tenant.id)))
    n = 0
    for tid in tenant_ids:
        with task_unit_of_work(self) as uow:
            n += remind_tomorrow(uow.session, uow.session.get(Tenant, tid), utcnow())
            uow.commit()
    return n
