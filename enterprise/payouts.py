"""Paying members: PromptPay QR for the treasurer's banking app, a cash list to sign, a bank file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise import payout_notices, promptpay
from enterprise.settlement_models import Payout, SettlementRun
from recycle import audit, ledger
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.locking import get_for_update
from recycle.principal import Principal
from recycle.thai_ids import InvalidId

METHOD_ACCOUNT = {"promptpay": ledger.BANK, "bank": ledger.BANK, "cash": ledger.CASH}


def get(session: Session, principal: Principal, payout_id: int, lock: bool = False) -> Payout:
    """`lock`: the row locked (not the joined household) and re-read, so a status change decides on the fresh status."""
    if lock:
        payout = get_for_update(session, Payout, payout_id, principal.tenant_id)
    else:
        payout = session.scalar(select(Payout).where(Payout.id == payout_id, Payout.tenant_id == principal.tenant_id))
    if payout is None:
        raise NotFound("no such payout")
    return payout


def promptpay_payload(session: Session, principal: Principal, payout_id: int) -> str:
    payout = get(session, principal, payout_id)
    if payout.status != "ready":
        raise Conflict(f"this payout is {payout.status}; only a ready payout can be paid")
    pid = payout.household.promptpay_id
    if not pid:
        raise InvalidInput.field("promptpay_id", "this member has no PromptPay id; pay in cash or add one to the profile")
    try:
        return promptpay.build_payload(pid, payout.net_satang)
    except InvalidId as exc:
        raise InvalidInput.field("promptpay_id", str(exc)) from None


def mark_paid(
    session: Session, principal: Principal, payout_id: int, method: str, reference: str, client_id: str | None = None
) -> Payout:
    """Dr payouts pending, Cr cash or bank. Twice is refused: a member is never paid twice.

    The same `client_id` again (a double click) answers with the payment already made. A payout to be
    paid by bank or PromptPay cannot be marked paid in cash: that change needs a second person
    (fail, then reissue as cash).
    """
    principal.require("staff", "admin")
    payout = get(session, principal, payout_id, lock=True)
    if client_id is not None and payout.status == "paid" and payout.paid_client_id == client_id:
        if payout.method != method or (payout.paid_reference or "") != reference.strip()[:100]:
            raise Conflict(
                "this client_id was already used for a different payment",
                {"client_id": ["already used with other content"]},
                code="idempotency_conflict",
            )
        return payout
    if payout.status == "paid":
        raise Conflict(
            f"payout #{payout.id} was already paid on {payout.paid_at:%Y-%m-%d} (ref {payout.paid_reference})",
            code="already_paid",
        )
    if payout.status != "ready":
        raise Conflict(f"this payout is {payout.status}; only a ready payout can be paid")
    if method not in METHOD_ACCOUNT:
        raise InvalidInput.field("method", "promptpay, bank or cash")
    if method == "cash" and payout.method != "cash":
        raise Conflict(
            f"this payout is to be paid by {payout.method}; paying it in cash needs a second person: "
            "mark it failed, then reissue it as cash for another staff member to approve",
            {"method": ["cash needs a second person for this payout"]},
            code="second_person_required",
        )
    if method != "cash" and not reference.strip():
        raise InvalidInput.field("reference", "give the bank's transaction reference")
    pending = ledger.account(session, payout.tenant_id, ledger.PAYOUTS_PENDING)
    paid_from = ledger.account(session, payout.tenant_id, METHOD_ACCOUNT[method])
    txn = ledger.post(
        session,
        payout.tenant_id,
        f"payout:{payout.id}",
        "payout",
        [ledger.Leg(pending, payout.net_satang), ledger.Leg(paid_from, -payout.net_satang)],
        memo=f"payout #{payout.id} to member {payout.household.member_no} by {method}",
        ref=("payout", payout.id),
        user_id=principal.user_id,
    )
    payout.status, payout.method, payout.paid_reference = "paid", method, reference.strip()[:100] or None
    payout.paid_at, payout.paid_by_user_id, payout.paid_transaction_id = utcnow(), principal.user_id, txn.id
    payout.paid_client_id = client_id
    payout_notices.on_payout_paid(session, payout)
    audit.record(session, "payout.paid", principal=principal, target=("payout", payout.id), method=method)
    return payout


def fail(session: Session, principal: Principal, payout_id: int, reason: str) -> Payout:
    """The transfer bounced: the money stays in payouts pending until the payout is re-issued and paid."""
    principal.require("staff", "admin")
    payout = get(session, principal, payout_id, lock=True)
    if payout.status != "ready":
        raise Conflict(f"only a ready payout can fail; this one is {payout.status}")
    payout.status, payout.failure_reason = "failed", reason.strip()[:300]
    audit.record(session, "payout.failed", principal=principal, target=("payout", payout.id), reason=reason[:100])
    return payout


def needs_second_person(session: Session, principal: Principal, payout_id: int, method: str | None) -> bool:
    """Turning a bank or PromptPay payout into cash leaves no bank trail: a second person approves it."""
    return method == "cash" and get(session, principal, payout_id).method != "cash"


def reissue(
    session: Session,
    principal: Principal,
    payout_id: int,
    method: str | None = None,
    client_id: str | None = None,
    second_person: bool = False,
) -> Payout:
    """A new payout for a failed one. The same `client_id` again answers with the first reissue."""
    if client_id is not None:
        again = session.scalar(select(Payout).where(Payout.tenant_id == principal.tenant_id, Payout.client_id == client_id))
        if again is not None:
            if again.reissued_from_id != payout_id:
                raise Conflict(
                    "this client_id was already used for another payout",
                    {"client_id": ["already used"]},
                    code="idempotency_conflict",
                )
            return again
    if needs_second_person(session, principal, payout_id, method) and not second_person:
        raise Conflict("a reissue as cash of a bank payout needs a second person", code="second_person_required")
    failed = get(session, principal, payout_id, lock=True)
    if failed.status != "failed":
        raise Conflict("only a failed payout can be re-issued")
    if session.scalar(select(Payout.id).where(Payout.reissued_from_id == failed.id)):
        raise Conflict("this payout was already re-issued")
    new = Payout(
        tenant_id=failed.tenant_id,
        run_id=failed.run_id,
        household_id=failed.household_id,
        gross_satang=failed.gross_satang,
        welfare_satang=failed.welfare_satang,
        savings_satang=failed.savings_satang,
        net_satang=failed.net_satang,
        status="ready",
        method=method or failed.method,
        reissue_no=failed.reissue_no + 1,
        reissued_from_id=failed.id,
        client_id=client_id,
    )
    session.add(new)
    session.flush()
    audit.record(session, "payout.reissue", principal=principal, target=("payout", new.id), from_payout=failed.id)
    return new


def for_run(session: Session, tenant_id: int, run_id: int, status: str | None = None, method: str | None = None):  # noqa: ANN201
    stmt = select(Payout).join(SettlementRun).where(Payout.tenant_id == tenant_id, Payout.run_id == run_id)
    if status:
        stmt = stmt.where(Payout.status == status)
    if method:
        stmt = stmt.where(Payout.method == method)
    return stmt.order_by(Payout.household_id, Payout.reissue_no)
