"""What /me adds for a household: balance, points and level, as far as those areas exist."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pickup.pickups import open_pickup_for
from recycle import ledger
from recycle.models import Household


def profile_extras(db: Session, household: Household) -> dict:
    from recycle.game.badges import level_progress
    from recycle.game.points import summary

    mine = summary(db, household.tenant_id, household.id)
    return {
        "balance_satang": ledger.household_balance(db, household.tenant_id, household.id),
        "points": mine.balance,
        "level": level_progress(mine.lifetime)["code"],
    }


def scan_extras(db: Session, household: Household) -> dict:
    """The doorstep needs the pickup to close, not the member's money (PDPA data minimisation)."""
    pickup = open_pickup_for(db, household.tenant_id, household.id)
    return {"open_pickup_id": pickup.id if pickup else None}
