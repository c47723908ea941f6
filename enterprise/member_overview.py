"""Everything the counter shows about one member on one page: money, points, level, badges, recent activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise import passbook_lines as passbook
from enterprise.settlement_models import Payout
from pickup.models import CollectionTicket, PickupRequest
from recycle import households, ledger
from recycle.game import badges, points
from recycle.game.models import BadgeAward
from recycle.models import Household
from recycle.principal import Principal

RECENT = 10


@dataclass
class MemberOverview:
    household: Household
    balance_satang: int
    points: int
    lifetime_points: int
    level: dict[str, Any]
    badges: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[CollectionTicket] = field(default_factory=list)
    pickups: list[PickupRequest] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    passbook: list[Any] = field(default_factory=list)


def overview(session: Session, principal: Principal, household_id: int) -> MemberOverview:
    household = households.get(session, principal, household_id)
    tid, hid = principal.tenant_id, household.id
    summary = points.summary(session, tid, hid)
    names = {b["code"]: b for b in badges.BADGES}
    earned = session.scalars(
        select(BadgeAward).where(BadgeAward.tenant_id == tid, BadgeAward.household_id == hid).order_by(BadgeAward.awarded_at)
    ).all()
    return MemberOverview(
        household=household,
        balance_satang=ledger.household_balance(session, tid, hid),
        points=summary.balance,
        lifetime_points=summary.lifetime,
        level=badges.level_progress(summary.lifetime),
        badges=[
            {**names.get(a.badge_code, {"name_th": a.badge_code, "name_en": a.badge_code}), "awarded_at": a.awarded_at}
            for a in earned
        ],
        tickets=list(
            session.scalars(
                select(CollectionTicket)
                .where(CollectionTicket.tenant_id == tid, CollectionTicket.household_id == hid)
                .order_by(CollectionTicket.collected_at.desc())
                .limit(RECENT)
            )
        ),
        pickups=list(
            session.scalars(
                select(PickupRequest)
                .where(PickupRequest.tenant_id == tid, PickupRequest.household_id == hid)
                .order_by(PickupRequest.requested_date.desc())
                .limit(RECENT)
            )
        ),
        payouts=list(
            session.scalars(
                select(Payout).where(Payout.tenant_id == tid, Payout.household_id == hid).order_by(Payout.id.desc()).limit(RECENT)
            )
        ),
        passbook=list(session.execute(passbook.statement(session, tid, hid).limit(RECENT)).mappings()),
    )
