"""The passbook: a household's ledger entries with a running balance, like the paper book it replaces."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Subquery, cast, func, literal, null, select
from sqlalchemy.orm import Session

from recycle.ledger import LedgerAccount, LedgerTransaction, Posting


def entries(tenant_id: int, household_id: int):  # noqa: ANN201 - a Select of rows
    """One row per posting to the member's payable, `amount_satang` as the member reads it (+ credited).

    `part`/`gross_satang` are for a settlement split into lines (enterprise.passbook_lines); empty here."""
    credit = -Posting.amount_satang  # the payable is a liability: a credit to it is money for the member
    return (
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
            cast(null(), String).label("part"),
            literal(0, Integer).label("part_order"),
            cast(null(), BigInteger).label("gross_satang"),
        )
        .join(Posting, Posting.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.tenant_id == tenant_id, LedgerAccount.tenant_id == tenant_id, LedgerAccount.household_id == household_id)
    )


def with_balance(rows: Subquery, start: dt.datetime | None = None, end: dt.datetime | None = None):  # noqa: ANN201
    """Newest first, `balance_satang` after each line (a window sum over every line, before the date filter)."""
    order = (rows.c.occurred_at, rows.c.transaction_id, rows.c.part_order)
    inner = select(
        *rows.c,
        cast(func.sum(rows.c.amount_satang).over(order_by=order), BigInteger).label("balance_satang"),  # not NUMERIC
    ).subquery()
    stmt = select(inner)
    if start is not None:
        stmt = stmt.where(inner.c.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(inner.c.occurred_at < end)
    return stmt.order_by(inner.c.occurred_at.desc(), inner.c.transaction_id.desc(), inner.c.part_order.desc())


def statement(
    session: Session, tenant_id: int, household_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
):  # noqa: ANN201 - a Select of rows
    """Newest first; `balance_satang` is what the bank owed the member after each entry (window sum).

    Entries sit at their effective date (`occurred_at`): a void stands beside the weigh-in it cancels, so
    the running balance of a settled period is what the settlement saw. `recorded_at` is when it was written,
    so the book can still say "voided on ..."; `corrects_transaction_id` names the entry it reverses.
    (`enterprise.passbook_lines.statement` is this with a settlement shown as gross, deductions and net.)"""
    return with_balance(entries(tenant_id, household_id).subquery(), start, end)
