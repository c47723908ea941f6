"""The passbook: a household's ledger entries with a running balance, like the paper book it replaces."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from recycle.ledger import LedgerAccount, LedgerTransaction, Posting


def statement(
    session: Session, tenant_id: int, household_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
):  # noqa: ANN201 - a Select of rows
    """Newest first; `balance_satang` is what the bank owed the member after each entry (window sum).

    Entries sit at their effective date (`occurred_at`): a void stands beside the weigh-in it cancels, so
    the running balance of a settled period is what the settlement saw. `recorded_at` is when it was written,
    so the book can still say "voided on ..."; `corrects_transaction_id` names the entry it reverses."""
    credit = -Posting.amount_satang  # the payable is a liability: a credit to it is money for the member
    order = (LedgerTransaction.occurred_at, LedgerTransaction.id)
    inner = (
        select(
            LedgerTransaction.id.label("transaction_id"),
            LedgerTransaction.occurred_at,
            LedgerTransaction.kind,
            LedgerTransaction.memo,
            LedgerTransaction.ref_type,
            LedgerTransaction.ref_id,
            LedgerTransaction.created_at.label("recorded_at"),
            LedgerTransaction.reverses_id.label("corrects_transaction_id"),
            credit.label("amount_satang"),
            cast(func.sum(credit).over(order_by=order), BigInteger).label("balance_satang"),
        )  # not NUMERIC
        .join(Posting, Posting.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.tenant_id == tenant_id, LedgerAccount.tenant_id == tenant_id, LedgerAccount.household_id == household_id)
    ).subquery()
    stmt = select(inner)
    if start is not None:
        stmt = stmt.where(inner.c.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(inner.c.occurred_at < end)
    return stmt.order_by(inner.c.occurred_at.desc(), inner.c.transaction_id.desc())
