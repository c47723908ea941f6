"""Settlement runs: every member's unsettled credit up to a period end, computed set-based in SQL.

A household's unsettled credit at a cutoff is simply its payable balance at that cutoff: approving a
run posts the settlement *at the cutoff*, so every later run sees what was already taken, late-synced
tickets of an old period are paid in the next run, and a void after payment shows as a negative
balance that carries. The computation is one INSERT ... SELECT, repeatable: rerunning it after a
crash, or twice, produces the same payouts.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import BigInteger, case, cast, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enterprise.settlement_models import OPEN, Payout, SettlementRun
from recycle import audit, duties, ledger
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.ledger import LedgerAccount, LedgerTransaction, Posting
from recycle.models import Household, Tenant
from recycle.principal import Principal

SETTINGS_DEFAULTS = {"welfare_bp": 200, "welfare_fixed_satang": 0, "savings_bp": 0, "savings_fixed_satang": 0,
                     "minimum_payout_satang": 2000}


def _setting(tenant: Tenant, key: str) -> int:
    value = (tenant.settings or {}).get(key, SETTINGS_DEFAULTS[key])
    return int(value)


def cutoff_for(tenant: Tenant, period_end: dt.date) -> dt.datetime:
    """The end of the period's last local day, as UTC."""
    local = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min, zoneinfo.ZoneInfo(tenant.timezone))
    return local.astimezone(dt.timezone.utc) - dt.timedelta(microseconds=1)


def get_run(session: Session, tenant_id: int, run_id: int, lock: bool = False) -> SettlementRun:
    stmt = select(SettlementRun).where(SettlementRun.id == run_id, SettlementRun.tenant_id == tenant_id)
    run = session.scalar(stmt.with_for_update(of=SettlementRun) if lock else stmt)
    if run is None:
        raise NotFound("no such settlement run")
    return run


def start(session: Session, principal: Principal, tenant: Tenant, period_end: dt.date, now: dt.datetime | None = None) -> SettlementRun:
    principal.require("staff", "admin")
    now = now or utcnow()
    today = now.astimezone(zoneinfo.ZoneInfo(tenant.timezone)).date()
    if period_end > today:
        raise InvalidInput.field("period_end", f"is in the future; the latest period end is today, {today.isoformat()}")
    last = session.scalar(select(func.max(SettlementRun.period_end)).where(
        SettlementRun.tenant_id == tenant.id, SettlementRun.status == "approved"))
    if last is not None and period_end < last:
        raise InvalidInput.field("period_end", f"is before the last approved period end {last.isoformat()}")
    busy = session.scalar(select(SettlementRun).where(SettlementRun.tenant_id == tenant.id, SettlementRun.status.in_(OPEN)))
    if busy is not None:
        raise Conflict(f"settlement run #{busy.id} is still {busy.status}; approve or cancel it first",
                       {"period_end": [f"run #{busy.id} is open"]}, code="settlement_open")
    run = SettlementRun(tenant_id=tenant.id, period_end=period_end, cutoff_at=cutoff_for(tenant, period_end),
                        status="computing", prepared_by_user_id=principal.user_id,
                        **{k: _setting(tenant, k) for k in SETTINGS_DEFAULTS})
    try:
        with session.begin_nested():  # two treasurers pressing at once: the partial unique index decides
            session.add(run)
            session.flush()
    except IntegrityError:
        raise Conflict("another settlement run was started at the same moment; approve or cancel it first",
                       {"period_end": ["another run is open"]}, code="settlement_open") from None
    audit.record(session, "settlement.start", principal=principal, target=("settlement", run.id),
                 period_end=period_end.isoformat())
    return run


def _capped(expr, cap):  # noqa: ANN001, ANN202 - SQL expressions
    return case((expr > cap, cap), else_=expr)


def payout_select(run: SettlementRun):  # noqa: ANN201 - the SELECT feeding the INSERT (also used by the bench)
    """household, gross, welfare, savings, net, status, method for every household with a non-zero balance."""
    # SUM(bigint) is NUMERIC on PostgreSQL: cast back, or the deduction arithmetic stops being integer.
    total = cast(-func.sum(Posting.amount_satang), BigInteger)
    gross = (select(Posting.household_id.label("household_id"), total.label("gross"))
             .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
             .where(Posting.tenant_id == run.tenant_id, Posting.household_id.is_not(None),
                    LedgerTransaction.occurred_at <= run.cutoff_at)
             .group_by(Posting.household_id).having(func.sum(Posting.amount_satang) != 0)).subquery("g")
    welfare = case((gross.c.gross <= 0, 0), else_=_capped((gross.c.gross * run.welfare_bp + 5000) // 10000
                                                          + run.welfare_fixed_satang, gross.c.gross))
    d1 = select(gross.c.household_id, gross.c.gross, welfare.label("welfare")).subquery("d1")
    rest = d1.c.gross - d1.c.welfare
    savings = case((rest <= 0, 0), else_=_capped((d1.c.gross * run.savings_bp + 5000) // 10000
                                                 + run.savings_fixed_satang, rest))
    d2 = select(d1.c.household_id, d1.c.gross, d1.c.welfare, savings.label("savings")).subquery("d2")
    net = d2.c.gross - d2.c.welfare - d2.c.savings
    carried = (d2.c.gross <= 0) | (net < run.minimum_payout_satang)
    return (select(literal(run.tenant_id), literal(run.id), d2.c.household_id, d2.c.gross,
                   case((carried, 0), else_=d2.c.welfare), case((carried, 0), else_=d2.c.savings),
                   case((carried, d2.c.gross), else_=net),
                   case((carried, "carried"), else_="computed"),
                   case((Household.promptpay_id.is_not(None), "promptpay"), else_="cash"), literal(0))
            .join(Household, Household.id == d2.c.household_id))


PAYOUT_COLUMNS = ["tenant_id", "run_id", "household_id", "gross_satang", "welfare_satang", "savings_satang",
                  "net_satang", "status", "method", "reissue_no"]


def compute(session: Session, tenant_id: int, run_id: int) -> SettlementRun | None:
    """Idempotent: throws away any earlier computation of this run and does it again, in one statement."""
    run = get_run(session, tenant_id, run_id, lock=True)
    if run.status not in OPEN:
        return None  # approved, cancelled or failed runs are not recomputed by a redelivered task
    session.execute(delete(Payout).where(Payout.run_id == run.id))
    session.execute(insert(Payout).from_select(PAYOUT_COLUMNS, payout_select(run)))
    paid = Payout.status == "computed"
    totals = session.execute(select(
        func.count(Payout.id), func.coalesce(func.sum(case((paid, Payout.gross_satang), else_=0)), 0),
        func.coalesce(func.sum(Payout.welfare_satang), 0), func.coalesce(func.sum(Payout.savings_satang), 0),
        func.coalesce(func.sum(case((paid, Payout.net_satang), else_=0)), 0),
        func.coalesce(func.sum(case((paid, 0), else_=Payout.net_satang)), 0)).where(Payout.run_id == run.id)).one()
    (run.households, run.gross_satang, run.welfare_satang, run.savings_satang, run.net_satang,
     run.carried_satang) = (int(x) for x in totals)
    run.status, run.computed_at, run.computations, run.error = "computed", utcnow(), run.computations + 1, None
    session.flush()
    return run


def recompute(session: Session, principal: Principal, tenant_id: int, run_id: int) -> SettlementRun:
    principal.require("staff", "admin")
    run = get_run(session, tenant_id, run_id, lock=True)
    if run.status not in ("computed", "failed"):
        raise Conflict(f"a {run.status} run cannot be recomputed")
    run.status = "computing"
    session.flush()
    return run


def cancel(session: Session, principal: Principal, tenant_id: int, run_id: int) -> SettlementRun:
    principal.require("staff", "admin")
    run = get_run(session, tenant_id, run_id, lock=True)
    if run.status not in ("computing", "computed", "failed"):
        raise Conflict(f"a {run.status} run cannot be cancelled")
    session.execute(delete(Payout).where(Payout.run_id == run.id))  # never money: drafts only
    run.status = "cancelled"
    audit.record(session, "settlement.cancel", principal=principal, target=("settlement", run.id))
    return run


def approve(session: Session, principal: Principal, tenant_id: int, run_id: int) -> SettlementRun:
    """The checker posts the run: Dr each household payable, Cr payouts pending, welfare fund, savings."""
    principal.require("staff", "admin")
    run = get_run(session, tenant_id, run_id, lock=True)
    duties.require_second_person(session, run.prepared_by_user_id, principal.user_id, run.created_at)
    if run.status != "computed":
        raise Conflict(f"this run is {run.status}; only a computed run can be approved", code="settlement_not_computed")
    txn = LedgerTransaction(tenant_id=tenant_id, idempotency_key=f"settlement:{run.id}", kind="settlement",
                            memo=f"settlement #{run.id} to {run.period_end.isoformat()}", ref_type="settlement",
                            ref_id=run.id, occurred_at=run.cutoff_at, created_by_user_id=principal.user_id)
    session.add(txn)
    session.flush()
    session.execute(insert(Posting).from_select(
        ["tenant_id", "transaction_id", "account_id", "household_id", "amount_satang"],
        select(Payout.tenant_id, literal(txn.id), LedgerAccount.id, Payout.household_id, Payout.gross_satang)
        .join(LedgerAccount, (LedgerAccount.household_id == Payout.household_id) & (LedgerAccount.tenant_id == Payout.tenant_id))
        .where(Payout.run_id == run.id, Payout.status == "computed")))
    for code, amount in ((ledger.PAYOUTS_PENDING, run.net_satang), (ledger.WELFARE_FUND, run.welfare_satang),
                         (ledger.SAVINGS, run.savings_satang)):
        if amount:
            session.add(Posting(tenant_id=tenant_id, transaction_id=txn.id,
                                account_id=ledger.account(session, tenant_id, code).id, amount_satang=-amount))
    session.flush()
    imbalance = session.scalar(select(func.sum(Posting.amount_satang)).where(Posting.transaction_id == txn.id))
    if imbalance:
        raise RuntimeError(f"settlement #{run.id} would not balance ({imbalance}); nothing was posted")
    session.execute(update(Payout).where(Payout.run_id == run.id, Payout.status == "computed").values(status="ready"))
    run.status, run.approved_by_user_id, run.approved_at = "approved", principal.user_id, utcnow()
    run.ledger_transaction_id = txn.id
    audit.record(session, "settlement.approve", principal=principal, target=("settlement", run.id),
                 net_satang=run.net_satang)
    return run
