"""The welfare fund: members' contributions from settlements, and disbursements to eligible members."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enterprise.settlement_models import Payout, SettlementRun, WelfareDisbursement
from pickup.models import CollectionTicket
from recycle import audit, households, ledger
from recycle.errors import Conflict, InvalidInput
from recycle.models import Tenant
from recycle.principal import Principal

# A Thai community fund's rule (e.g. ธนาคารขยะ welfare funds): members qualify after selling enough.
ELIGIBILITY_DEFAULTS = {"welfare_min_deposits": 3, "welfare_min_sold_satang": 20_000}


def fund_balance(session: Session, tenant_id: int) -> int:
    acc = ledger.account(session, tenant_id, ledger.WELFARE_FUND)
    return -ledger.balance(session, tenant_id, acc.id)  # a liability: credits are money in the fund


def contributions(session: Session, tenant_id: int):  # noqa: ANN201 - a Select of (household_id, contributed)
    return (
        select(Payout.household_id, func.sum(Payout.welfare_satang).label("contributed_satang"))
        .join(SettlementRun, SettlementRun.id == Payout.run_id)
        .where(Payout.tenant_id == tenant_id, SettlementRun.status == "approved", Payout.reissue_no == 0)
        .group_by(Payout.household_id)
        .having(func.sum(Payout.welfare_satang) > 0)
        .order_by(Payout.household_id)
    )


def eligibility(session: Session, tenant: Tenant, household_id: int) -> dict:
    deposits, sold = session.execute(
        select(func.count(CollectionTicket.id), func.coalesce(func.sum(CollectionTicket.total_satang), 0)).where(
            CollectionTicket.tenant_id == tenant.id,
            CollectionTicket.household_id == household_id,
            CollectionTicket.status == "active",
        )
    ).one()
    need_n = int((tenant.settings or {}).get("welfare_min_deposits", ELIGIBILITY_DEFAULTS["welfare_min_deposits"]))
    need_s = int((tenant.settings or {}).get("welfare_min_sold_satang", ELIGIBILITY_DEFAULTS["welfare_min_sold_satang"]))
    return {
        "deposits": int(deposits),
        "sold_satang": int(sold),
        "min_deposits": need_n,
        "min_sold_satang": need_s,
        "eligible": deposits >= need_n and sold >= need_s,
    }


def check(session: Session, principal: Principal, tenant: Tenant, household_id: int, amount_satang: int, reason: str) -> None:
    """What a request is refused for at once (the approval checks again under lock)."""
    principal.require("staff", "admin")
    households.get(session, principal, household_id)
    if amount_satang <= 0:
        raise InvalidInput.field("amount_satang", "must be more than 0")
    if not reason.strip():
        raise InvalidInput.field("reason", "say what the money is for, e.g. funeral assistance")
    status = eligibility(session, tenant, household_id)
    if not status["eligible"]:
        raise InvalidInput.field(
            "household_id",
            f"not yet eligible: {status['deposits']} deposits and "
            f"{status['sold_satang']} satang sold; the fund needs "
            f"{status['min_deposits']} and {status['min_sold_satang']}",
        )
    available = fund_balance(session, tenant.id)
    if amount_satang > available:
        raise Conflict(f"the welfare fund holds {available} satang", {"amount_satang": ["more than the fund holds"]})


def disburse(
    session: Session,
    principal: Principal,
    tenant: Tenant,
    household_id: int,
    amount_satang: int,
    reason: str,
    method: str = "cash",
    requested_by: int | None = None,
) -> WelfareDisbursement:
    """Dr welfare fund, Cr cash or bank; refused beyond the fund's balance or for a member not yet eligible.

    Called by enterprise/approvals.py when a second person approves a request (`requested_by`).
    """
    principal.require("staff", "admin")
    households.get(session, principal, household_id)
    if amount_satang <= 0:
        raise InvalidInput.field("amount_satang", "must be more than 0")
    if not reason.strip():
        raise InvalidInput.field("reason", "say what the money is for, e.g. funeral assistance")
    status = eligibility(session, tenant, household_id)
    if not status["eligible"]:
        raise InvalidInput.field(
            "household_id",
            f"not yet eligible: {status['deposits']} deposits and "
            f"{status['sold_satang']} satang sold; the fund needs "
            f"{status['min_deposits']} and {status['min_sold_satang']}",
        )
    fund = ledger.account(session, tenant.id, ledger.WELFARE_FUND)
    session.scalar(select(ledger.LedgerAccount.id).where(ledger.LedgerAccount.id == fund.id).with_for_update())
    available = fund_balance(session, tenant.id)
    if amount_satang > available:
        raise Conflict(f"the welfare fund holds {available} satang", {"amount_satang": ["more than the fund holds"]})
    out = ledger.account(session, tenant.id, ledger.CASH if method == "cash" else ledger.BANK)
    count = session.scalar(select(func.count(WelfareDisbursement.id)).where(WelfareDisbursement.tenant_id == tenant.id))
    txn = ledger.post(
        session,
        tenant.id,
        f"welfare:{household_id}:{count + 1}",
        "welfare",
        [ledger.Leg(fund, amount_satang), ledger.Leg(out, -amount_satang)],
        memo=reason[:500],
        ref=("household", household_id),
        user_id=principal.user_id,
    )
    row = WelfareDisbursement(
        tenant_id=tenant.id,
        household_id=household_id,
        amount_satang=amount_satang,
        reason=reason.strip()[:500],
        method=method,
        recorded_by_user_id=requested_by or principal.user_id,
        approved_by_user_id=principal.user_id if requested_by else None,
        ledger_transaction_id=txn.id,
    )
    session.add(row)
    session.flush()
    audit.record(session, "welfare.disburse", principal=principal, target=("household", household_id), amount=amount_satang)
    return row
