"""Settlement runs: every member's unsettled credit up to a period end, computed set-based in SQL.

A household's unsettled credit at a cutoff is simply its payable balance at that cutoff: approving a
run posts the settlement *at the cutoff*, so every later run sees what was already taken, late-synced
tickets of an old period are paid in the next run, and a void after payment shows as a negative
balance that carries. A void is effective on its ticket's date (see `ledger.reverse`), so a run never
pays a ticket voided after its period ended, and approval re-checks the ledger under the run's lock.
The computation is one INSERT ... SELECT, repeatable: rerunning it after a crash, or twice, produces
the same payouts. It is queued through the outbox, so a broker outage cannot leave a run stuck.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from sqlalchemy import BigInteger, case, cast, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enterprise import payout_notices
from enterprise.settlement_models import OPEN, Payout, SettlementRun
from recycle import audit, duties, ledger, outbox
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.ledger import LedgerAccount, LedgerTransaction, Posting
from recycle.models import Household, Tenant
from recycle.principal import Principal
from recycle.thai_dates import format_datetime

COMPUTE_TASK = "enterprise.compute_settlement"
STUCK_AFTER = dt.timedelta(minutes=5)  # longer than any computation, and than the broker's visibility timeout
log = logging.getLogger("thangngoen.settlements")

SETTINGS_DEFAULTS = {
    "welfare_bp": 200,
    "welfare_fixed_satang": 0,
    "savings_bp": 0,
    "savings_fixed_satang": 0,
    "minimum_payout_satang": 2000,
}


def _setting(tenant: Tenant, key: str) -> int:
    value = (tenant.settings or {}).get(key, SETTINGS_DEFAULTS[key])
    return int(value)


def cutoff_for(tenant: Tenant, period_end: dt.date) -> dt.datetime:
    """The end of the period's last local day, as UTC."""
    local = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min, zoneinfo.ZoneInfo(tenant.timezone))
    return local.astimezone(dt.UTC) - dt.timedelta(microseconds=1)


def get_run(session: Session, tenant_id: int, run_id: int, lock: bool = False) -> SettlementRun:
    stmt = select(SettlementRun).where(SettlementRun.id == run_id, SettlementRun.tenant_id == tenant_id)
    locked = stmt.with_for_update(of=SettlementRun).execution_options(populate_existing=True)  # re-read under the lock
    run = session.scalar(locked if lock else stmt)
    if run is None:
        raise NotFound("no such settlement run")
    return run


def start(
    session: Session, principal: Principal, tenant: Tenant, period_end: dt.date, now: dt.datetime | None = None
) -> SettlementRun:
    principal.require("staff", "admin")
    now = now or utcnow()
    today = now.astimezone(zoneinfo.ZoneInfo(tenant.timezone)).date()
    if period_end > today:
        raise InvalidInput.field("period_end", f"is in the future; the latest period end is today, {today.isoformat()}")
    last = session.scalar(
        select(func.max(SettlementRun.period_end)).where(SettlementRun.tenant_id == tenant.id, SettlementRun.status == "approved")
    )
    if last is not None and period_end < last:
        raise InvalidInput.field("period_end", f"is before the last approved period end {last.isoformat()}")
    busy = session.scalar(select(SettlementRun).where(SettlementRun.tenant_id == tenant.id, SettlementRun.status.in_(OPEN)))
    if busy is not None:
        raise Conflict(
            f"settlement run #{busy.id} is still {busy.status}; approve or cancel it first",
            {"period_end": [f"run #{busy.id} is open"]},
            code="settlement_open",
        )
    run = SettlementRun(
        tenant_id=tenant.id,
        period_end=period_end,
        cutoff_at=cutoff_for(tenant, period_end),
        status="computing",
        prepared_by_user_id=principal.user_id,
        **{k: _setting(tenant, k) for k in SETTINGS_DEFAULTS},
    )
    try:
        with session.begin_nested():  # two treasurers pressing at once: the partial unique index decides
            session.add(run)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "another settlement run was started at the same moment; approve or cancel it first",
            {"period_end": ["another run is open"]},
            code="settlement_open",
        ) from None
    audit.record(
        session, "settlement.start", principal=principal, target=("settlement", run.id), period_end=period_end.isoformat()
    )
    queue_compute(session, run)
    return run


def queue_compute(session: Session, run: SettlementRun, now: dt.datetime | None = None) -> None:
    """Hand the computation to a worker through the outbox: it goes when this transaction commits, and a
    broker outage only delays it (the relay sends it later; the sweeper re-sends one a worker lost)."""
    run.queued_at = now or utcnow()
    outbox.enqueue(session, COMPUTE_TASK, tenant_id=run.tenant_id, run_id=run.id)


def sweep(session: Session, now: dt.datetime | None = None, stuck_after: dt.timedelta = STUCK_AFTER) -> list[int]:
    """Re-queue runs left `computing` too long (a worker killed, a message lost); the caller commits."""
    now = now or utcnow()
    stuck = session.scalars(
        select(SettlementRun)
        .where(
            SettlementRun.status == "computing",
            func.coalesce(SettlementRun.queued_at, SettlementRun.created_at) < now - stuck_after,
        )
        .with_for_update(of=SettlementRun, skip_locked=True)
    ).all()  # a run being computed holds its lock
    for run in stuck:
        log.warning("settlement run %s computing since %s: queued again", run.id, run.queued_at)
        queue_compute(session, run, now)
    session.flush()
    return [r.id for r in stuck]


def status_detail(run: SettlementRun) -> str:
    """What is happening, for the treasurer: Thai first, English alongside."""
    tz = zoneinfo.ZoneInfo(run.tenant.timezone)
    if run.status == "computing":
        since = run.queued_at or run.created_at
        return (
            f"กำลังรอเครื่องประมวลผลตั้งแต่ {format_datetime(since, tz)} (ไม่ต้องกดซ้ำ ระบบจะส่งงานใหม่เองถ้าค้าง) / "
            f"waiting for a worker since {format_datetime(since, tz, 'en')} (no need to press again: a stuck run is re-sent)"
        )
    if run.status == "computed":
        return "คำนวณแล้ว รอเจ้าหน้าที่คนที่สองตรวจและอนุมัติ / computed: waiting for a second staff member to review and approve"
    if run.status == "approved":
        return f"อนุมัติแล้วเมื่อ {format_datetime(run.approved_at, tz)} / approved {format_datetime(run.approved_at, tz, 'en')}"
    if run.status == "failed":
        return f"คำนวณไม่สำเร็จ กรุณาคำนวณใหม่ / the computation failed, recompute: {run.error or ''}".strip()
    return "ยกเลิกแล้ว ไม่มีการลงบัญชี / cancelled: nothing was posted"


def _capped(expr, cap):  # noqa: ANN001, ANN202 - SQL expressions
    return case((expr > cap, cap), else_=expr)


def gross_select(run: SettlementRun, until_cutoff: bool = True):  # noqa: ANN201 - a Select
    """(household_id, gross): each household's non-zero payable balance at the cutoff (or now), from the ledger."""
    # SUM(bigint) is NUMERIC on PostgreSQL: cast back, or the deduction arithmetic stops being integer.
    total = cast(-func.sum(Posting.amount_satang), BigInteger)
    stmt = (
        select(Posting.household_id.label("household_id"), total.label("gross"))
        .where(Posting.tenant_id == run.tenant_id, Posting.household_id.is_not(None))
        .group_by(Posting.household_id)
        .having(func.sum(Posting.amount_satang) != 0)
    )
    if until_cutoff:
        stmt = stmt.join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id).where(
            LedgerTransaction.occurred_at <= run.cutoff_at
        )
    return stmt


def payout_select(run: SettlementRun):  # noqa: ANN201 - the SELECT feeding the INSERT (also used by the bench)
    """household, gross, welfare, savings, net, status, method for every household with a non-zero balance."""
    gross = gross_select(run).subquery("g")
    welfare = case(
        (gross.c.gross <= 0, 0),
        else_=_capped((gross.c.gross * run.welfare_bp + 5000) // 10000 + run.welfare_fixed_satang, gross.c.gross),
    )
    d1 = select(gross.c.household_id, gross.c.gross, welfare.label("welfare")).subquery("d1")
    rest = d1.c.gross - d1.c.welfare
    savings = case((rest <= 0, 0), else_=_capped((d1.c.gross * run.savings_bp + 5000) // 10000 + run.savings_fixed_satang, rest))
    d2 = select(d1.c.household_id, d1.c.gross, d1.c.welfare, savings.label("savings")).subquery("d2")
    net = d2.c.gross - d2.c.welfare - d2.c.savings
    carried = (d2.c.gross <= 0) | (net < run.minimum_payout_satang)
    return select(
        literal(run.tenant_id),
        literal(run.id),
        d2.c.household_id,
        d2.c.gross,
        case((carried, 0), else_=d2.c.welfare),
        case((carried, 0), else_=d2.c.savings),
        case((carried, d2.c.gross), else_=net),
        case((carried, "carried"), else_="computed"),
        case((Household.promptpay_id.is_not(None), "promptpay"), else_="cash"),
        literal(0),
    ).join(Household, Household.id == d2.c.household_id)


PAYOUT_COLUMNS = [
    "tenant_id",
    "run_id",
    "household_id",
    "gross_satang",
    "welfare_satang",
    "savings_satang",
    "net_satang",
    "status",
    "method",
    "reissue_no",
]


def compute(session: Session, tenant_id: int, run_id: int) -> SettlementRun | None:
    """Idempotent: throws away any earlier computation of this run and does it again, in one statement."""
    run = get_run(session, tenant_id, run_id, lock=True)
    if run.status not in OPEN:
        return None  # approved, cancelled or failed runs are not recomputed by a redelivered task
    session.execute(delete(Payout).where(Payout.run_id == run.id))
    session.execute(insert(Payout).from_select(PAYOUT_COLUMNS, payout_select(run)))
    paid = Payout.status == "computed"
    totals = session.execute(
        select(
            func.count(Payout.id),
            func.coalesce(func.sum(case((paid, Payout.gross_satang), else_=0)), 0),
            func.coalesce(func.sum(Payout.welfare_satang), 0),
            func.coalesce(func.sum(Payout.savings_satang), 0),
            func.coalesce(func.sum(case((paid, Payout.net_satang), else_=0)), 0),
            func.coalesce(func.sum(case((paid, 0), else_=Payout.net_satang)), 0),
        ).where(Payout.run_id == run.id)
    ).one()
    (run.households, run.gross_satang, run.welfare_satang, run.savings_satang, run.net_satang, run.carried_satang) = (
        int(x) for x in totals
    )
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
    queue_compute(session, run)
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


def stale_households(session: Session, run: SettlementRun, limit: int = 5) -> list[int]:
    """Households whose payout no longer matches the ledger: a ticket voided or corrected, a late ticket synced,
    or a payout above what the member is owed now. Empty means the checker approves exactly what was computed."""
    ledger_rows = gross_select(run)
    payout_rows = select(Payout.household_id, Payout.gross_satang).where(Payout.run_id == run.id, Payout.reissue_no == 0)
    found: list[int] = []
    for diff in (ledger_rows.except_(payout_rows), payout_rows.except_(ledger_rows)):
        sub = diff.subquery()
        found += session.scalars(select(sub.c[0]).limit(limit)).all()
    now = gross_select(run, until_cutoff=False).subquery("now")
    found += session.scalars(
        select(Payout.household_id)
        .outerjoin(now, now.c.household_id == Payout.household_id)
        .where(Payout.run_id == run.id, Payout.status == "computed", Payout.gross_satang > func.coalesce(now.c.gross, 0))
        .limit(limit)
    ).all()
    return sorted(set(found))[:limit]


def approve(session: Session, principal: Principal, tenant_id: int, run_id: int) -> SettlementRun:
    """The checker posts the run: Dr each household payable, Cr payouts pending, welfare fund, savings."""
    principal.require("staff", "admin")
    run = get_run(session, tenant_id, run_id, lock=True)
    duties.require_second_person(session, run.prepared_by_user_id, principal.user_id, run.created_at)
    if run.status != "computed":
        raise Conflict(f"this run is {run.status}; only a computed run can be approved", code="settlement_not_computed")
    # Lock the payables this run pays, in id order: a void or a late ticket posting to one of them (which takes
    # a key-share lock on the account) either committed before this and the check below sees it, or waits
    # until the settlement is posted and then shows as a balance carried to the next run.
    session.execute(
        select(LedgerAccount.id)
        .where(
            LedgerAccount.tenant_id == tenant_id,
            LedgerAccount.household_id.in_(select(Payout.household_id).where(Payout.run_id == run.id)),
        )
        .order_by(LedgerAccount.id)
        .with_for_update()
    )
    stale = stale_households(session, run)
    if stale:
        raise Conflict(
            "the ledger changed since this run was computed (a ticket voided, corrected or synced late); "
            "recompute the run and review it again before approving / ยอดเปลี่ยนหลังคำนวณ กรุณาคำนวณใหม่และตรวจอีกครั้ง",
            {"household_id": [f"payout differs from the ledger for households {', '.join(map(str, stale))}"]},
            code="settlement_stale",
        )
    txn = LedgerTransaction(
        tenant_id=tenant_id,
        idempotency_key=f"settlement:{run.id}",
        kind="settlement",
        memo=f"settlement #{run.id} to {run.period_end.isoformat()}",
        ref_type="settlement",
        ref_id=run.id,
        occurred_at=run.cutoff_at,
        created_by_user_id=principal.user_id,
    )
    session.add(txn)
    session.flush()
    session.execute(
        insert(Posting).from_select(
            ["tenant_id", "transaction_id", "account_id", "household_id", "amount_satang"],
            select(Payout.tenant_id, literal(txn.id), LedgerAccount.id, Payout.household_id, Payout.gross_satang)
            .join(
                LedgerAccount, (LedgerAccount.household_id == Payout.household_id) & (LedgerAccount.tenant_id == Payout.tenant_id)
            )
            .where(Payout.run_id == run.id, Payout.status == "computed"),
        )
    )
    for code, amount in (
        (ledger.PAYOUTS_PENDING, run.net_satang),
        (ledger.WELFARE_FUND, run.welfare_satang),
        (ledger.SAVINGS, run.savings_satang),
    ):
        if amount:
            session.add(
                Posting(
                    tenant_id=tenant_id,
                    transaction_id=txn.id,
                    account_id=ledger.account(session, tenant_id, code).id,
                    amount_satang=-amount,
                )
            )
    session.flush()
    imbalance = session.scalar(select(func.sum(Posting.amount_satang)).where(Posting.transaction_id == txn.id))
    if imbalance:
        raise RuntimeError(f"settlement #{run.id} would not balance ({imbalance}); nothing was posted")
    session.execute(update(Payout).where(Payout.run_id == run.id, Payout.status == "computed").values(status="ready"))
    run.status, run.approved_by_user_id, run.approved_at = "approved", principal.user_id, utcnow()
    run.ledger_transaction_id = txn.id
    payout_notices.on_settlement_approved(session, run)
    audit.record(session, "settlement.approve", principal=principal, target=("settlement", run.id), net_satang=run.net_satang)
    return run
