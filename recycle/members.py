"""The counter's member work: finding a member, spotting a duplicate, editing, deactivating."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from recycle import audit, households
from recycle.accounts import clean_phone
from recycle.errors import InvalidInput
from recycle.game import boards
from recycle.models import Household
from recycle.principal import Principal
from recycle.thai_ids import InvalidId, normalize_phone, normalize_promptpay_id

SEARCH_LIMIT = 50


def looks_like_card(text: str) -> bool:
    """What a USB scanner types from a member card (the signed token), as opposed to a name or number."""
    from recycle.qrtoken import PREFIX, PREFIX2

    return (text or "").strip().upper().startswith((PREFIX, PREFIX2))


def search(session: Session, principal: Principal, term: str, limit: int = SEARCH_LIMIT) -> list[Household]:
    """By member number (with or without leading zeros), phone, or part of the name."""
    term = " ".join((term or "").split())
    if not term:
        return []
    tid = principal.tenant_id
    conds = [Household.name.contains(term)]
    digits = term.replace("-", "").replace(" ", "")
    if digits.isdigit():
        if len(digits) <= 9:
            conds.append(cast(Household.member_no, String) == (digits.lstrip("0") or "0"))
        try:
            conds.append(Household.phone == normalize_phone(digits))
        except InvalidId:
            pass
    stmt = (
        select(Household)
        .where(Household.tenant_id == tid, or_(*conds))
        .order_by(Household.active.desc(), Household.member_no)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def by_member_no(session: Session, principal: Principal, member_no: int) -> Household | None:
    return session.scalar(select(Household).where(Household.tenant_id == principal.tenant_id, Household.member_no == member_no))


def possible_duplicates(
    session: Session, tenant_id: int, name: str, village_id: int, phone: str | None, exclude_id: int | None = None
) -> list[Household]:
    """Same name (ignoring spaces and case) in the same village, or the same phone anywhere in the bank."""
    key = "".join(name.split()).lower()
    conds = [(Household.village_id == village_id) & (func.lower(func.replace(Household.name, " ", "")) == key)]
    if phone:
        conds.append(Household.phone == phone)
    stmt = select(Household).where(Household.tenant_id == tenant_id, or_(*conds))
    if exclude_id:
        stmt = stmt.where(Household.id != exclude_id)
    return list(session.scalars(stmt.order_by(Household.member_no).limit(10)))


@dataclass
class ProfileChange:
    name: str
    village_id: int
    address: str = ""
    phone: str | None = None
    promptpay_id: str | None = None
    leaderboard_opt_in: bool = False


def update_profile(session: Session, principal: Principal, household_id: int, change: ProfileChange) -> Household:
    """Staff fix a member's record; the audit log keeps which fields changed (not their values: PDPA)."""
    principal.require("staff", "admin")
    household = households.get(session, principal, household_id)
    village = households.village_of(session, principal.tenant_id, change.village_id)
    kind = pp = None
    if change.promptpay_id:
        try:
            kind, pp = normalize_promptpay_id(change.promptpay_id)
        except InvalidId as exc:
            raise InvalidInput.field("promptpay_id", str(exc)) from None
    new = {
        "name": change.name.strip(),
        "village_id": village.id,
        "address": change.address.strip(),
        "phone": clean_phone(change.phone) if change.phone else None,
        "promptpay_kind": kind,
        "promptpay_id": pp,
        "leaderboard_opt_in": change.leaderboard_opt_in,
    }
    changed = sorted(k for k, v in new.items() if getattr(household, k) != v)
    for key, value in new.items():
        setattr(household, key, value)
    session.flush()
    if "village_id" in changed:  # the game ranks a village on its own copy of the village
        boards.household_moved(session, principal.tenant_id, household.id, village.id)
    if changed:
        audit.record(session, "household.update", principal=principal, target=("household", household.id), fields=changed)
    return household


def deactivate(session: Session, principal: Principal, household_id: int, reason: str) -> Household:
    """The member leaves: the card stops working at once; the money and history stay."""
    principal.require("staff", "admin")
    household = households.get(session, principal, household_id)
    household.active = False
    session.flush()
    audit.record(session, "household.deactivate", principal=principal, target=("household", household.id), reason=reason[:200])
    return household
