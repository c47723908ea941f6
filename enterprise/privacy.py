"""A member's PDPA rights: see everything held (s.30), correct it (s.35), withdraw consent to optional
uses (s.19), be erased (s.33), and the retention rule that forgets closed memberships (s.37).

It lives in `enterprise` because it must see every area's tables (tickets, payouts, points). Erasure
anonymises the person, it does not delete rows: the ledger keeps its amounts (Thai accounting law keeps
the money trail), so an erased member's postings stay, attached to a nameless household.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

import enterprise.settlement_models  # noqa: F401 - every table must be in the metadata to be exported
import enterprise.stock_models  # noqa: F401
import pickup.models  # noqa: F401
import recycle.game.models  # noqa: F401
from enterprise.settlement_models import Payout
from pickup.models import CollectionTicket, Dispute, PickupRequest
from recycle import audit, ledger
from recycle.accounts import clean_phone
from recycle.db import Base, utcnow
from recycle.errors import Conflict, InvalidInput
from recycle.models import AuditEntry, Household, RevokedToken, User
from recycle.principal import Principal
from recycle.thai_ids import InvalidId, normalize_promptpay_id

ERASED_NAME = "สมาชิกที่ลบข้อมูลแล้ว (erased member)"
# Columns never handed out, even to their owner: secrets, not personal data.
SECRET_COLUMNS = {"password_hash", "token_generation"}
# Rows that belong to the member through a parent row of theirs (ticket lines through the ticket, ...).
CHILD_TABLES = {
    "ticket_lines": ("ticket_id", "collection_tickets"),
    "disputes": ("ticket_id", "collection_tickets"),
    "game_deposit_lines": ("deposit_id", "game_deposits"),
}
EXPORT_ROW_LIMIT = 100_000
UNPAID_PAYOUT = ("computed", "ready", "failed")


def _json(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def _rows(session: Session, table: Table, where) -> list[dict]:  # noqa: ANN001
    cols = [c for c in table.columns if c.name not in SECRET_COLUMNS]
    stmt = select(*cols).where(where).order_by(*table.primary_key.columns).limit(EXPORT_ROW_LIMIT)
    return [{k: _json(v) for k, v in row.items()} for row in session.execute(stmt).mappings()]


def export(session: Session, household: Household) -> dict:
    """Everything held about the member, table by table, found from the schema itself: a table added
    later with a `household_id` is exported without anyone remembering to add it here."""
    tid, hid = household.tenant_id, household.id
    tables: dict[str, list[dict]] = {"households": _rows(session, Household.__table__, Household.id == hid)}
    for table in Base.metadata.sorted_tables:
        if "household_id" in table.c and "tenant_id" in table.c:
            tables[table.name] = _rows(session, table, (table.c.tenant_id == tid) & (table.c.household_id == hid))
    for name, (fk, parent) in CHILD_TABLES.items():
        table, parent_table = Base.metadata.tables[name], Base.metadata.tables[parent]
        mine = select(parent_table.c.id).where(parent_table.c.tenant_id == tid, parent_table.c.household_id == hid)
        tables[name] = _rows(session, table, table.c[fk].in_(mine))
    user_ids = [u["id"] for u in tables.get("users", [])]
    about = (AuditEntry.target_type == "household") & (AuditEntry.target_id == hid)
    if user_ids:
        about = about | AuditEntry.actor_user_id.in_(user_ids)
    tables["audit_log"] = _rows(session, AuditEntry.__table__, (AuditEntry.tenant_id == tid) & about)
    return {
        "generated_at": utcnow().isoformat(),
        "household_id": hid,
        "member_no": household.member_no,
        "balance_satang": ledger.household_balance(session, tid, hid),
        "consents": consents(household),
        "tables": {name: rows for name, rows in tables.items() if rows},
    }


def consents(household: Household) -> dict:
    return {
        "privacy_notice": {
            "given_at": _json(household.consent_at),
            "version": household.consent_version,
            "method": household.consent_method,
        },
        "leaderboard": household.leaderboard_opt_in,
        "notifications": household.notifications_opt_in,
    }


@dataclass
class Correction:
    """What a member may correct themselves (s.35). `None` leaves a field as it is."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None
    promptpay_id: str | None = None


def correct(session: Session, principal: Principal, household: Household, change: Correction) -> Household:
    """The login phone follows the household's phone, so a member keeps logging in with the number they use."""
    before = {k: getattr(household, k) for k in ("name", "address", "phone", "promptpay_id")}
    if change.name is not None:
        household.name = change.name.strip()
    if change.address is not None:
        household.address = change.address.strip()
    if change.promptpay_id is not None:
        if change.promptpay_id == "":
            household.promptpay_kind = household.promptpay_id = None
        else:
            try:
                household.promptpay_kind, household.promptpay_id = normalize_promptpay_id(change.promptpay_id)
            except InvalidId as exc:
                raise InvalidInput.field("promptpay_id", str(exc)) from None
    users = list(session.scalars(select(User).where(User.tenant_id == household.tenant_id, User.household_id == household.id)))
    if change.phone is not None:
        phone = clean_phone(change.phone)
        taken = session.scalar(
            select(User.id).where(
                User.tenant_id == household.tenant_id, User.phone == phone, User.household_id.is_distinct_from(household.id)
            )
        )
        if taken:
            raise InvalidInput.field(
                "phone", "another account of this waste bank already uses this phone number", code="phone_taken"
            )
        household.phone = phone
        for user in users:
            user.phone = phone
    if change.name is not None:
        for user in users:
            user.name = household.name
    changed = sorted(k for k, v in before.items() if getattr(household, k) != v)
    session.flush()
    audit.record(session, "household.correct", principal=principal, target=("household", household.id), fields=changed)
    return household


def set_consents(
    session: Session,
    principal: Principal,
    household: Household,
    *,
    leaderboard: bool | None = None,
    notifications: bool | None = None,
) -> Household:
    """Withdrawal takes effect at once: the leaderboard shows the member without a name from the next read."""
    if leaderboard is not None:
        household.leaderboard_opt_in = leaderboard
    if notifications is not None:
        household.notifications_opt_in = notifications
    session.flush()
    audit.record(
        session,
        "household.consents",
        principal=principal,
        target=("household", household.id),
        leaderboard=household.leaderboard_opt_in,
        notifications=household.notifications_opt_in,
    )
    return household


def money_owed(session: Session, household: Household) -> list[str]:
    """Why the member cannot be erased yet: each reason is something staff can settle first."""
    tid, hid = household.tenant_id, household.id
    reasons = []
    balance = ledger.household_balance(session, tid, hid)
    if balance != 0:
        reasons.append(f"balance is {balance} satang, not 0: settle and pay it (or recover it) first")
    unpaid = session.scalar(
        select(func.count())
        .select_from(Payout)
        .where(Payout.tenant_id == tid, Payout.household_id == hid, Payout.status.in_(UNPAID_PAYOUT))
    )
    if unpaid:
        reasons.append(f"{unpaid} payout(s) not paid yet")
    pending = session.scalar(
        select(func.count())
        .select_from(CollectionTicket)
        .where(
            CollectionTicket.tenant_id == tid, CollectionTicket.household_id == hid, CollectionTicket.status == "pending_approval"
        )
    )
    if pending:
        reasons.append(f"{pending} weigh-in ticket(s) waiting for staff approval")
    disputed = session.scalar(
        select(func.count())
        .select_from(Dispute)
        .join(CollectionTicket, CollectionTicket.id == Dispute.ticket_id)
        .where(CollectionTicket.tenant_id == tid, CollectionTicket.household_id == hid, Dispute.status == "open")
    )
    if disputed:
        reasons.append(f"{disputed} dispute(s) still open")
    return reasons


def close(session: Session, principal: Principal, household: Household, why: str) -> Household:
    """End a membership: card and logins stop working; the retention rule anonymises it later.

    Refused, like erasure, while money is owed: settle and pay first, so nothing is left in limbo."""
    if not household.active:
        return household
    reasons = money_owed(session, household)
    if reasons:
        raise Conflict(
            "this membership cannot be closed while money is owed: " + "; ".join(reasons),
            {"household": reasons},
            code="close_refused",
        )
    household.active, household.closed_at = False, utcnow()
    household.qr_version += 1
    for user in session.scalars(select(User).where(User.tenant_id == household.tenant_id, User.household_id == household.id)):
        user.active = False
        user.token_generation += 1
    session.flush()
    audit.record(session, "household.close", principal=principal, target=("household", household.id), why=why)
    return household


def erase(session: Session, household: Household, *, principal: Principal | None, why: str) -> Household:
    """Anonymise the person: name, phone, address, map pins, PromptPay/citizen id, logins and their tokens.

    Refused (409, with every reason) while money is owed either way. The member number, village and all
    amounts stay, so the books still balance and a receipt number still finds its ticket."""
    if household.erased_at is not None:
        return household
    reasons = money_owed(session, household)
    if reasons:
        raise Conflict(
            "this member cannot be erased while money is owed: " + "; ".join(reasons),
            {"household": reasons},
            code="erasure_refused",
        )
    now = utcnow()
    household.name, household.phone, household.address = ERASED_NAME, None, ""
    household.lat = household.lng = None
    household.promptpay_kind = household.promptpay_id = None
    household.leaderboard_opt_in = household.notifications_opt_in = False
    household.active = False
    household.qr_version += 1  # the printed card stops working
    household.closed_at = household.closed_at or now
    household.erased_at = now
    for user in session.scalars(select(User).where(User.tenant_id == household.tenant_id, User.household_id == household.id)):
        user.name, user.phone = ERASED_NAME, f"e{user.id:09d}"[-10:]
        user.password_hash = "!erased"  # matches no password
        user.active = False
        user.token_generation += 1  # every token it holds stops working
    session.execute(
        update(PickupRequest)
        .where(PickupRequest.tenant_id == household.tenant_id, PickupRequest.household_id == household.id)
        .values(lat=None, lng=None, note="")
    )
    session.execute(
        update(PickupRequest)
        .where(
            PickupRequest.tenant_id == household.tenant_id,
            PickupRequest.household_id == household.id,
            PickupRequest.status.in_(("requested", "scheduled")),
        )
        .values(status="cancelled", status_reason="member erased", status_changed_at=now)
    )
    session.flush()
    audit.record(
        session,
        "household.erase",
        principal=principal,
        tenant_id=household.tenant_id,
        target=("household", household.id),
        why=why,
    )
    return household


@dataclass
class RetentionResult:
    tokens: int
    audit_entries: int
    erased: int
    kept_owing: int


def apply_retention(
    session: Session, *, token_days: int, audit_years: int, closed_days: int, now: dt.datetime | None = None
) -> RetentionResult:
    """Idempotent: run daily by beat. A closed member who still owes or is owed money is kept (and counted)."""
    now = now or utcnow()
    tokens = session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now - dt.timedelta(days=token_days))).rowcount
    entries = session.execute(
        delete(AuditEntry).where(AuditEntry.at < now - dt.timedelta(days=365 * audit_years + audit_years // 4))
    ).rowcount
    erased = kept = 0
    for household in session.scalars(
        select(Household).where(
            Household.active.is_(False), Household.erased_at.is_(None), Household.closed_at < now - dt.timedelta(days=closed_days)
        )
    ):
        if money_owed(session, household):
            kept += 1
            continue
        erase(session, household, principal=None, why="retention: membership closed")
        erased += 1
    return RetentionResult(tokens, entries, erased, kept)
