"""The ledger's invariants, checked set-based in SQL: what `thangngoen check-ledger` and the tests run.

Each check is one query that returns only the rows that are wrong, so a sound ledger of any size costs
a handful of scans and prints nothing. It lives in `enterprise` because it reads the core ledger together
with tickets (pickup), payouts and stock (enterprise), which the core may not import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session, aliased

from enterprise.settlement_models import Payout, SettlementRun
from enterprise.stock_models import StockAllocation, StockMovement
from pickup.models import CollectionTicket
from recycle import ledger
from recycle.ledger import LedgerAccount, LedgerTransaction, Posting

LIMIT = 50  # findings per check: enough to act on, never a flood


@dataclass(frozen=True)
class Finding:
    kind: str
    tenant_id: int
    ref: str
    detail: str


def _sum(col: Any) -> Any:
    return cast(func.coalesce(func.sum(col), 0), BigInteger)  # NUMERIC on PostgreSQL otherwise


def _scoped(stmt: Any, col: Any, tenant_id: int | None) -> Any:
    return stmt if tenant_id is None else stmt.where(col == tenant_id)


def unbalanced_transactions(session: Session, tenant_id: int | None) -> list[Finding]:
    stmt = _scoped(select(Posting.tenant_id, Posting.transaction_id, _sum(Posting.amount_satang)), Posting.tenant_id, tenant_id)
    rows = session.execute(
        stmt.group_by(Posting.tenant_id, Posting.transaction_id).having(func.sum(Posting.amount_satang) != 0).limit(LIMIT)
    ).all()
    return [Finding("unbalanced_transaction", t, f"transaction:{x}", f"postings sum to {s} satang, not 0") for t, x, s in rows]


def tickets_vs_ledger(session: Session, tenant_id: int | None) -> list[Finding]:
    """An active ticket credited once and not reversed; a voided one reversed; a pending one not credited."""
    out: list[Finding] = []
    rev = aliased(LedgerTransaction)
    txn = aliased(LedgerTransaction)
    base = (
        select(CollectionTicket.tenant_id, CollectionTicket.id, CollectionTicket.status, rev.id)
        .outerjoin(txn, txn.id == CollectionTicket.ledger_transaction_id)
        .outerjoin(rev, rev.reverses_id == txn.id)
    )
    base = _scoped(base, CollectionTicket.tenant_id, tenant_id)
    wrong = base.where(
        (
            (CollectionTicket.status == "active")
            & (CollectionTicket.total_satang != 0)
            & (CollectionTicket.ledger_transaction_id.is_(None) | rev.id.is_not(None))
        )
        | ((CollectionTicket.status == "voided") & CollectionTicket.ledger_transaction_id.is_not(None) & rev.id.is_(None))
        | ((CollectionTicket.status == "pending_approval") & CollectionTicket.ledger_transaction_id.is_not(None))
    )
    for t, tid, status, _reversal in session.execute(wrong.limit(LIMIT)):
        detail = {
            "active": "active but its credit is missing or reversed",
            "voided": "voided but its credit was never reversed",
            "pending_approval": "waiting for approval but already credited",
        }.get(status, status)
        out.append(Finding(f"ticket_{status}", t, f"ticket:{tid}", detail))
    twice = _scoped(
        select(LedgerTransaction.tenant_id, LedgerTransaction.ref_id, func.count()), LedgerTransaction.tenant_id, tenant_id
    )
    twice = (
        twice.where(LedgerTransaction.kind == "weigh_in", LedgerTransaction.ref_type == "ticket")
        .group_by(LedgerTransaction.tenant_id, LedgerTransaction.ref_id)
        .having(func.count() > 1)
    )
    out += [
        Finding("ticket_credited_twice", t, f"ticket:{r}", f"{n} weigh-in credits")
        for t, r, n in session.execute(twice.limit(LIMIT))
    ]
    return out


def household_balances(session: Session, tenant_id: int | None) -> list[Finding]:
    """Each payable = its active tickets minus what settlements took (voids net out their own tickets)."""
    owed = _scoped(
        select(
            CollectionTicket.tenant_id.label("t"),
            CollectionTicket.household_id.label("h"),
            _sum(CollectionTicket.total_satang).label("owed"),
        ),
        CollectionTicket.tenant_id,
        tenant_id,
    )
    owed = owed.where(CollectionTicket.status == "active").group_by(CollectionTicket.tenant_id, CollectionTicket.household_id)
    book = _scoped(
        select(Posting.tenant_id.label("t"), Posting.household_id.label("h"), _sum(-Posting.amount_satang).label("owed")),
        Posting.tenant_id,
        tenant_id,
    )
    book = (
        book.join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .where(Posting.household_id.is_not(None), LedgerTransaction.kind.in_(("weigh_in", "reversal")))
        .group_by(Posting.tenant_id, Posting.household_id)
        .having(func.sum(Posting.amount_satang) != 0)
    )
    owed = owed.having(func.sum(CollectionTicket.total_satang) != 0)
    out = []
    for diff, what in ((owed.except_(book), "its active tickets total"), (book.except_(owed), "its ledger credits total")):
        sub = diff.subquery()
        for t, h, amount in session.execute(select(sub).limit(LIMIT)):
            out.append(
                Finding("household_balance", t, f"household:{h}", f"{what} {amount} satang, which the other side does not match")
            )
    return out


def payouts(session: Session, tenant_id: int | None) -> list[Finding]:
    """A payout is paid once, by one ledger entry; one paid payout per household and run; an approved run posted once."""
    out: list[Finding] = []
    twice = _scoped(
        select(LedgerTransaction.tenant_id, LedgerTransaction.ref_id, func.count()), LedgerTransaction.tenant_id, tenant_id
    )
    twice = (
        twice.where(LedgerTransaction.ref_type == "payout", LedgerTransaction.reverses_id.is_(None))
        .group_by(LedgerTransaction.tenant_id, LedgerTransaction.ref_id)
        .having(func.count() > 1)
    )
    out += [
        Finding("payout_paid_twice", t, f"payout:{r}", f"{n} payment entries") for t, r, n in session.execute(twice.limit(LIMIT))
    ]
    both = _scoped(select(Payout.tenant_id, Payout.run_id, Payout.household_id, func.count()), Payout.tenant_id, tenant_id)
    both = (
        both.where(Payout.status == "paid")
        .group_by(Payout.tenant_id, Payout.run_id, Payout.household_id)
        .having(func.count() > 1)
    )
    out += [
        Finding("household_paid_twice", t, f"settlement:{r}", f"household {h} has {n} paid payouts in one run")
        for t, r, h, n in session.execute(both.limit(LIMIT))
    ]
    loose = _scoped(select(Payout.tenant_id, Payout.id), Payout.tenant_id, tenant_id)
    loose = loose.where(Payout.status == "paid", Payout.paid_transaction_id.is_(None))
    out += [
        Finding("payout_paid_unposted", t, f"payout:{p}", "paid but no ledger entry")
        for t, p in session.execute(loose.limit(LIMIT))
    ]
    posted = (
        select(func.count())
        .where(
            LedgerTransaction.ref_type == "settlement",
            LedgerTransaction.ref_id == SettlementRun.id,
            LedgerTransaction.kind == "settlement",
        )
        .scalar_subquery()
    )
    runs = _scoped(
        select(SettlementRun.tenant_id, SettlementRun.id, SettlementRun.status, posted), SettlementRun.tenant_id, tenant_id
    )
    runs = runs.where(
        ((SettlementRun.status == "approved") & (posted != 1)) | ((SettlementRun.status != "approved") & (posted != 0))
    )
    out += [
        Finding("settlement_posting", t, f"settlement:{r}", f"{status} run with {n} settlement entries")
        for t, r, status, n in session.execute(runs.limit(LIMIT))
    ]
    return out


def stock(session: Session, tenant_id: int | None) -> list[Finding]:
    """Stock's money equals its movements' cost; no grade below zero; every way out drew exactly its lots."""
    out: list[Finding] = []
    moves = (
        _scoped(
            select(StockMovement.tenant_id.label("t"), _sum(StockMovement.cost_satang).label("v")),
            StockMovement.tenant_id,
            tenant_id,
        )
        .group_by(StockMovement.tenant_id)
        .subquery()
    )
    book = (
        select(LedgerAccount.tenant_id.label("t"), _sum(Posting.amount_satang).label("v"))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(LedgerAccount.code == ledger.STOCK)
        .group_by(LedgerAccount.tenant_id)
        .subquery()
    )
    diff = (
        select(moves.c.t, moves.c.v, func.coalesce(book.c.v, 0))
        .outerjoin(book, book.c.t == moves.c.t)
        .where(moves.c.v != func.coalesce(book.c.v, 0))
    )
    out += [
        Finding("stock_value", t, "account:stock", f"movements cost {m} satang, the stock account holds {b}")
        for t, m, b in session.execute(diff)
    ]
    negative = _scoped(
        select(StockMovement.tenant_id, StockMovement.grade_id, _sum(StockMovement.qty)), StockMovement.tenant_id, tenant_id
    )
    negative = negative.group_by(StockMovement.tenant_id, StockMovement.grade_id).having(func.sum(StockMovement.qty) < 0)
    out += [Finding("stock_negative", t, f"grade:{g}", f"{q} on hand") for t, g, q in session.execute(negative.limit(LIMIT))]
    taken = (
        select(StockAllocation.movement_id.label("m"), _sum(StockAllocation.qty).label("q"))
        .group_by(StockAllocation.movement_id)
        .subquery()
    )
    drew = _scoped(
        select(StockMovement.tenant_id, StockMovement.id, StockMovement.qty, func.coalesce(taken.c.q, 0)),
        StockMovement.tenant_id,
        tenant_id,
    )
    drew = drew.outerjoin(taken, taken.c.m == StockMovement.id).where(
        StockMovement.qty < 0, -StockMovement.qty != func.coalesce(taken.c.q, 0)
    )
    out += [
        Finding("stock_allocation", t, f"stock_movement:{m}", f"took {-q} but its lots give {a}")
        for t, m, q, a in session.execute(drew.limit(LIMIT))
    ]
    used = (
        select(StockAllocation.lot_id.label("lot"), _sum(StockAllocation.qty).label("q"))
        .group_by(StockAllocation.lot_id)
        .subquery()
    )
    over = _scoped(
        select(StockMovement.tenant_id, StockMovement.id, StockMovement.qty, used.c.q), StockMovement.tenant_id, tenant_id
    )
    over = over.join(used, used.c.lot == StockMovement.id).where(used.c.q > StockMovement.qty)
    out += [
        Finding("stock_lot_overdrawn", t, f"stock_movement:{m}", f"lot of {q} gave {u}")
        for t, m, q, u in session.execute(over.limit(LIMIT))
    ]
    return out


CHECKS: list[Callable[[Session, int | None], list[Finding]]] = [
    unbalanced_transactions,
    tickets_vs_ledger,
    household_balances,
    payouts,
    stock,
]


def check(session: Session, tenant_id: int | None = None) -> list[Finding]:
    """Everything wrong in the books (of one tenant, or all); an empty list is a sound ledger."""
    return [f for run in CHECKS for f in run(session, tenant_id)]
