"""The treasurer's month end seen as a whole: a run's preview by village, and paying many payouts at once.

Why a module of its own: the console (and any later API) asks these questions of a run; the rules of
each payment stay in `payouts.mark_paid` (one ledger posting per payout, refused twice), this only
decides the order and the idempotency key of each of many.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from enterprise import payouts
from enterprise.settlement_models import Payout
from recycle import ledger
from recycle.errors import DomainError, InvalidInput
from recycle.models import Household, Village
from recycle.principal import Principal

MAX_BULK = 500  # one bank reference for more than a page of payouts is a mistake, not a batch


@dataclass
class VillageRow:
    village_id: int
    name_th: str
    moo: int | None
    households: int
    gross_satang: int
    welfare_satang: int
    savings_satang: int
    net_satang: int
    carried_satang: int


def by_village(session: Session, tenant_id: int, run_id: int) -> list[VillageRow]:
    """Totals per village of one run (original payouts only: a reissue repeats an amount, it adds nothing)."""
    paid = Payout.status != "carried"
    rows = session.execute(
        select(
            Village.id,
            Village.name_th,
            Village.moo,
            func.count(Payout.id),
            func.coalesce(func.sum(case((paid, Payout.gross_satang), else_=0)), 0),
            func.coalesce(func.sum(Payout.welfare_satang), 0),
            func.coalesce(func.sum(Payout.savings_satang), 0),
            func.coalesce(func.sum(case((paid, Payout.net_satang), else_=0)), 0),
            func.coalesce(func.sum(case((paid, 0), else_=Payout.net_satang)), 0),
        )
        .join(Household, Household.id == Payout.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(Payout.tenant_id == tenant_id, Payout.run_id == run_id, Payout.reissue_no == 0)
        .group_by(Village.id, Village.name_th, Village.moo)
        .order_by(Village.moo, Village.name_th)
    ).all()
    return [VillageRow(r[0], r[1], r[2], *(int(x) for x in r[3:])) for r in rows]


@dataclass
class BulkResult:
    paid: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def payout_client_id(client_id: str, payout_id: int) -> str:
    """One key per payout from the one key of the submission: a resubmission finds each payment made."""
    return str(uuid.uuid5(uuid.UUID(client_id), str(payout_id)))


def mark_paid_many(
    session: Session, principal: Principal, payout_ids: list[int], method: str, reference: str, client_id: str
) -> BulkResult:
    """Mark the chosen payouts paid with one bank reference, each locked in id order and posted on its own.

    A payout that cannot be paid (already paid by someone else, failed, cash) is reported and skipped,
    the others are paid; the same `client_id` again answers with the payments already made.
    """
    principal.require("staff", "admin")
    try:
        uuid.UUID(client_id)
    except (ValueError, TypeError):
        raise InvalidInput.field("client_id", "must be a UUID") from None
    ids = sorted({int(i) for i in payout_ids})
    if not ids:
        raise InvalidInput.field("payout_ids", "choose at least one payout")
    if len(ids) > MAX_BULK:
        raise InvalidInput.field("payout_ids", f"at most {MAX_BULK} at once")
    if method not in ("promptpay", "bank"):
        raise InvalidInput.field("method", "promptpay or bank: cash is paid one by one against a signature")
    if not reference.strip():
        raise InvalidInput.field("reference", "give the bank's transaction reference")
    result = BulkResult()
    # The shared accounts first, before any payout is locked: two treasurers creating the bank account at
    # once then wait on each other only here, holding nothing else (found by the race test on PostgreSQL).
    for code in (ledger.PAYOUTS_PENDING, payouts.METHOD_ACCOUNT[method]):
        ledger.account(session, principal.tenant_id, code)
    for pid in ids:  # id order: two treasurers paying overlapping selections never deadlock
        try:
            with session.begin_nested():
                payout = payouts.get(session, principal, pid)
                if payout.method not in ("promptpay", "bank"):
                    raise InvalidInput.field("method", f"payout #{pid} is paid in {payout.method}")
                payouts.mark_paid(session, principal, pid, payout.method, reference, client_id=payout_client_id(client_id, pid))
        except DomainError as exc:
            result.refused[pid] = exc.detail
        else:
            result.paid.append(pid)
    return result
