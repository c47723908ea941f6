"""The member's passbook with each settlement shown as the member is paid it: gross, welfare, savings, net.

Why: the ledger posts a settlement as one debit of the gross to the member's payable, so the book said
-65.94 while the member was handed 64.62. The lines come from the run's payout (same figures the
ledger posted, summing to that one posting), so the running balance stays exactly the ledger's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, and_, case, literal, or_, select, union_all
from sqlalchemy.orm import Session

from enterprise.settlement_models import Payout
from recycle import passbook

PARTS = (("gross", 1), ("welfare", 2), ("savings", 3), ("net", 4))


def statement(
    session: Session, tenant_id: int, household_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
):  # noqa: ANN201 - a Select of rows
    """As `recycle.passbook.statement`, a settlement split in lines (`part`): gross (amount 0, the figure in
    `gross_satang`), -welfare, -savings, -net. An entry whose payout does not match stays one line."""
    base = passbook.entries(tenant_id, household_id).subquery("e")
    parts = union_all(*(select(literal(name).label("name"), literal(n, Integer).label("n")) for name, n in PARTS)).subquery(
        "parts"
    )
    pay = Payout
    joined = and_(
        base.c.kind == "settlement",
        base.c.ref_type == "settlement",
        pay.run_id == base.c.ref_id,
        pay.tenant_id == tenant_id,
        pay.household_id == household_id,
        pay.reissue_no == 0,
        pay.gross_satang == -base.c.amount_satang,
    )
    amount = case(
        (parts.c.name == "welfare", -pay.welfare_satang),
        (parts.c.name == "savings", -pay.savings_satang),
        (parts.c.name == "net", -pay.net_satang),
        else_=0,
    )
    split = (
        select(
            base.c.transaction_id,
            base.c.occurred_at,
            base.c.kind,
            base.c.memo,
            base.c.ref_type,
            base.c.ref_id,
            base.c.recorded_at,
            base.c.corrects_transaction_id,
            amount.label("amount_satang"),
            parts.c.name.label("part"),
            parts.c.n.label("part_order"),
            case((parts.c.name == "gross", pay.gross_satang), else_=None).label("gross_satang"),
        )
        .select_from(base)
        .join(pay, joined)
        .join(parts, or_(parts.c.name.in_(("gross", "net")), amount != 0))
    )
    whole = select(*base.c).where(~select(pay.id).where(joined).exists())
    return passbook.with_balance(union_all(whole, split).subquery("lines"), start, end)
