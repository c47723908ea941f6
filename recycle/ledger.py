"""The money ledger: append-only double entry, per tenant.

Postings are signed satang (debit +, credit -) and each transaction's postings sum to zero.
Corrections are reversing transactions; nothing is updated or deleted; a balance is a sum.
Every transaction carries a unique idempotency key, so a retried write cannot post twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from recycle.db import Base, check_in, utcnow
from recycle.errors import Conflict, InvalidInput


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


KINDS = tuple(AccountKind)
# Accounts every tenant has; households each get their own payable.
PURCHASES = "purchases"  # expense: what the bank paid members for material
CASH = "cash"  # asset
BANK = "bank"  # asset
PAYOUTS_PENDING = "payouts_pending"  # liability: settled, approved, not yet paid out
WELFARE_FUND = "welfare_fund"  # liability: members' welfare contributions
SAVINGS = "member_savings"  # liability: savings/share deductions
SALES_REVENUE = "sales_revenue"  # income
RECEIVABLES = "receivables"  # asset: factories that owe us
COST_OF_GOODS = "cost_of_goods"  # expense
STOCK = "stock"  # asset
STANDARD = {
    PURCHASES: "expense",
    CASH: "asset",
    BANK: "asset",
    PAYOUTS_PENDING: "liability",
    WELFARE_FUND: "liability",
    SAVINGS: "liability",
    SALES_REVENUE: "income",
    RECEIVABLES: "asset",
    COST_OF_GOODS: "expense",
    STOCK: "asset",
}


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), check_in("kind", AccountKind))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    code: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), unique=True)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_ledger_txn_tenant_ref", "tenant_id", "ref_type", "ref_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    memo: Mapped[str] = mapped_column(String(500), default="")
    ref_type: Mapped[str | None] = mapped_column(String(30))
    ref_id: Mapped[int | None]
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    postings: Mapped[list[Posting]] = relationship(back_populates="transaction", lazy="selectin", order_by="Posting.id")


class Posting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        Index("ix_ledger_postings_tenant_account", "tenant_id", "account_id"),
        Index("ix_ledger_postings_tenant_household", "tenant_id", "household_id", "transaction_id"),
        CheckConstraint("amount_satang <> 0", name="amount_nonzero"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))  # copied for passbook queries
    amount_satang: Mapped[int]

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship(lazy="joined")


def account(
    session: Session, tenant_id: int, code: str, kind: str | None = None, household_id: int | None = None
) -> LedgerAccount:
    """Get or create; two requests creating the same account at once both end up with the one row."""
    found = session.scalar(select(LedgerAccount).where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.code == code))
    if found:
        return found
    kind = kind or STANDARD.get(code)
    if kind not in KINDS:
        raise ValueError(f"unknown ledger account {code}")
    try:
        with session.begin_nested():
            acc = LedgerAccount(tenant_id=tenant_id, code=code, kind=kind, household_id=household_id)
            session.add(acc)
        return acc
    except IntegrityError:
        return session.scalar(select(LedgerAccount).where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.code == code))


def household_account(session: Session, tenant_id: int, household_id: int) -> LedgerAccount:
    return account(session, tenant_id, f"household:{household_id}", "liability", household_id)


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_satang: int


def weigh_in_accounts(session: Session, tenant_id: int, household_ids: list[int]) -> dict[str, LedgerAccount]:
    """Purchases and these households' payables in one query (each made on first use): code -> account."""
    codes = [PURCHASES, *(f"household:{hid}" for hid in sorted(set(household_ids)))]
    found = {
        a.code: a
        for a in session.scalars(select(LedgerAccount).where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.code.in_(codes)))
    }
    if PURCHASES not in found:
        found[PURCHASES] = account(session, tenant_id, PURCHASES)
    for hid in sorted(set(household_ids)):
        if f"household:{hid}" not in found:
            found[f"household:{hid}"] = household_account(session, tenant_id, hid)
    return found


@dataclass
class NewTransaction:
    key: str
    kind: str
    legs: list[Leg]
    memo: str = ""
    ref: tuple[str, int] | None = None
    occurred_at: dt.datetime | None = None
    user_id: int | None = None


def post_new(session: Session, tenant_id: int, txns: list[NewTransaction]) -> dict[str, int]:
    """Post transactions whose keys are new (each derives from a row just inserted under its own unique
    constraint), without looking them up: one insert of the transactions, one of their postings. A key that
    was not new after all fails on the unique constraint instead of posting twice. Returns key -> id."""
    for t in txns:
        t.legs = [leg for leg in t.legs if leg.amount_satang != 0]
        if any(not isinstance(leg.amount_satang, int) or isinstance(leg.amount_satang, bool) for leg in t.legs):
            raise TypeError("ledger amounts are integer satang")
        if sum(leg.amount_satang for leg in t.legs) != 0:
            raise InvalidInput("a ledger transaction must balance", {"postings": ["debits and credits differ"]})
        if any(leg.account.tenant_id != tenant_id for leg in t.legs):
            raise ValueError("posting to another tenant's account")
    if not txns:
        return {}
    now = utcnow()
    rows = session.execute(
        insert(LedgerTransaction).returning(LedgerTransaction.id, LedgerTransaction.idempotency_key),
        [
            {
                "tenant_id": tenant_id,
                "idempotency_key": t.key,
                "kind": t.kind,
                "memo": t.memo[:500],
                "ref_type": t.ref[0] if t.ref else None,
                "ref_id": t.ref[1] if t.ref else None,
                "reverses_id": None,
                "occurred_at": t.occurred_at or now,
                "created_at": now,
                "created_by_user_id": t.user_id,
            }
            for t in txns
        ],
    ).all()
    ids = {key: tid for tid, key in rows}
    session.execute(
        insert(Posting.__table__),
        [
            {
                "tenant_id": tenant_id,
                "transaction_id": ids[t.key],
                "account_id": leg.account.id,
                "household_id": leg.account.household_id,
                "amount_satang": leg.amount_satang,
            }
            for t in txns
            for leg in t.legs
        ],
    )
    return ids


def post(
    session: Session,
    tenant_id: int,
    key: str,
    kind: str,
    legs: list[Leg],
    *,
    memo: str = "",
    ref: tuple[str, int] | None = None,
    occurred_at: dt.datetime | None = None,
    user_id: int | None = None,
    reverses_id: int | None = None,
) -> LedgerTransaction:
    """Post a balanced transaction once. The same key again returns the first one if it is identical."""
    legs = [leg for leg in legs if leg.amount_satang != 0]
    if any(not isinstance(leg.amount_satang, int) or isinstance(leg.amount_satang, bool) for leg in legs):
        raise TypeError("ledger amounts are integer satang")
    if sum(leg.amount_satang for leg in legs) != 0:
        raise InvalidInput("a ledger transaction must balance", {"postings": ["debits and credits differ"]})
    if any(leg.account.tenant_id != tenant_id for leg in legs):
        raise ValueError("posting to another tenant's account")
    existing = session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.idempotency_key == key)
    )
    if existing is not None:
        return _same_or_conflict(existing, legs)
    txn = LedgerTransaction(
        tenant_id=tenant_id,
        idempotency_key=key,
        kind=kind,
        memo=memo[:500],
        ref_type=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        occurred_at=occurred_at or utcnow(),
        created_by_user_id=user_id,
        reverses_id=reverses_id,
    )
    txn.postings = [
        Posting(
            tenant_id=tenant_id, account_id=leg.account.id, household_id=leg.account.household_id, amount_satang=leg.amount_satang
        )
        for leg in legs
    ]
    session.add(txn)
    session.flush()
    return txn


def _same_or_conflict(existing: LedgerTransaction, legs: list[Leg]) -> LedgerTransaction:
    mine = sorted((leg.account.id, leg.amount_satang) for leg in legs)
    theirs = sorted((p.account_id, p.amount_satang) for p in existing.postings)
    if mine != theirs:
        raise Conflict(f"ledger key {existing.idempotency_key} was already used for a different transaction")
    return existing


def reverse(
    session: Session, tenant_id: int, txn: LedgerTransaction, key: str, memo: str, user_id: int | None = None
) -> LedgerTransaction:
    """The correction: the same postings negated, linked to the original; a transaction is reversed once.

    The reversal is *effective* when the original was (`occurred_at`) and recorded now (`created_at`): a
    settlement up to a cutoff nets a void of a ticket of its period whenever the void happened, so a
    period is never paid for a ticket that is no longer valid. The passbook shows both dates.
    """
    if txn.tenant_id != tenant_id:
        raise ValueError("reversing another tenant's transaction")
    already = session.scalar(select(LedgerTransaction).where(LedgerTransaction.reverses_id == txn.id))
    if already is not None:
        if already.idempotency_key == key:
            return already
        raise Conflict("this transaction was already reversed")
    legs = [Leg(p.account, -p.amount_satang) for p in txn.postings]
    return post(
        session,
        tenant_id,
        key,
        "reversal",
        legs,
        memo=memo,
        ref=(txn.ref_type, txn.ref_id) if txn.ref_type else None,
        occurred_at=txn.occurred_at,
        user_id=user_id,
        reverses_id=txn.id,
    )


def balance(session: Session, tenant_id: int, account_id: int, until: dt.datetime | None = None) -> int:
    stmt = select(func.coalesce(func.sum(Posting.amount_satang), 0)).where(
        Posting.tenant_id == tenant_id, Posting.account_id == account_id
    )
    if until is not None:
        stmt = stmt.join(LedgerTransaction).where(LedgerTransaction.occurred_at <= until)
    return int(session.scalar(stmt))


def household_balance(session: Session, tenant_id: int, household_id: int) -> int:
    """What the bank owes the member (its payable is a liability: credits are negative, so negate)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_satang), 0))
        .join(LedgerAccount)
        .where(Posting.tenant_id == tenant_id, LedgerAccount.tenant_id == tenant_id, LedgerAccount.household_id == household_id)
    )
    return -int(total)


def trial_balance(session: Session, tenant_id: int) -> int:
    """The sum of every posting: always zero in a sound ledger."""
    return int(session.scalar(select(func.coalesce(func.sum(Posting.amount_satang), 0)).where(Posting.tenant_id == tenant_id)))
