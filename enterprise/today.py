"""Today's numbers at a glance for the centre's staff: what came in, what is owed, what waits for someone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enterprise.settlement_models import SettlementRun
from pickup.models import CollectionTicket, PickupRequest
from recycle.db import utcnow
from recycle.ledger import LedgerAccount, Posting
from recycle.models import Tenant


@dataclass(frozen=True)
class TodayNumbers:
    day: dt.date
    weigh_ins: int
    weight_g: int
    bought_satang: int
    owed_satang: int  # every member's unpaid credit together
    pending_tickets: int  # backdated tickets waiting for staff approval
    pending_settlements: int  # computed runs waiting for the second staff member
    open_pickups: int

    @property
    def pending_approvals(self) -> int:
        return self.pending_tickets + self.pending_settlements


def local_day_bounds(tenant: Tenant, now: dt.datetime | None = None) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """The tenant's calendar day as a UTC half-open interval (a day starts at local midnight, not UTC's)."""
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    day = (now or utcnow()).astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time(), tz)
    return day, start, start + dt.timedelta(days=1)


def today_numbers(session: Session, tenant: Tenant, now: dt.datetime | None = None) -> TodayNumbers:
    day, start, end = local_day_bounds(tenant, now)
    tid = tenant.id
    count, grams, money = session.execute(
        select(
            func.count(CollectionTicket.id),
            func.coalesce(func.sum(CollectionTicket.weight_g), 0),
            func.coalesce(func.sum(CollectionTicket.total_satang), 0),
        ).where(
            CollectionTicket.tenant_id == tid,
            CollectionTicket.status == "active",
            CollectionTicket.collected_at >= start,
            CollectionTicket.collected_at < end,
        )
    ).one()
    owed = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_satang), 0))
        .join(LedgerAccount)
        .where(Posting.tenant_id == tid, LedgerAccount.tenant_id == tid, LedgerAccount.household_id.is_not(None))
    )
    pending_t = session.scalar(
        select(func.count(CollectionTicket.id)).where(
            CollectionTicket.tenant_id == tid, CollectionTicket.status == "pending_approval"
        )
    )
    pending_s = session.scalar(
        select(func.count(SettlementRun.id)).where(SettlementRun.tenant_id == tid, SettlementRun.status == "computed")
    )
    pickups = session.scalar(
        select(func.count(PickupRequest.id)).where(
            PickupRequest.tenant_id == tid, PickupRequest.status.in_(("requested", "scheduled"))
        )
    )
    return TodayNumbers(
        day=day,
        weigh_ins=int(count),
        weight_g=int(grams),
        bought_satang=int(money),
        owed_satang=-int(owed),
        pending_tickets=int(pending_t),
        pending_settlements=int(pending_s),
        open_pickups=int(pickups),
    )
