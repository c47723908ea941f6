"""What /me adds for a household: balance, points and level, as far as those areas exist."""
from __future__ import annotations

from sqlalchemy.orm import Session

from recycle.models import Household


def profile_extras(db: Session, household: Household) -> dict:
    extras: dict = {"balance_satang": 0, "points": 0, "level": None}
    try:
        from recycle import ledger
        extras["balance_satang"] = ledger.household_balance(db, household.tenant_id, household.id)
    except ImportError:
        pass
    return extras


def scan_extras(db: Session, household: Household) -> dict:
    extras: dict = {"open_pickup_id": None, "balance_satang": profile_extras(db, household)["balance_satang"]}
    return extras
