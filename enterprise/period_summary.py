"""The enterprise's period summary: bought by material, paid out, deducted, still owed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enterprise.settlement_models import Payout, SettlementRun
from pickup.models import CollectionTicket, TicketLine
from recycle.ledger import Posting


def summary(session: Session, tenant_id: int, start: dt.datetime, end: dt.datetime) -> dict:
    active = (
        CollectionTicket.tenant_id == tenant_id,
        CollectionTicket.status == "active",
        CollectionTicket.collected_at >= start,
        CollectionTicket.collected_at < end,
    )
    bought = session.execute(
        select(
            TicketLine.material_code,
            TicketLine.unit,
            func.coalesce(func.sum(TicketLine.weight_g), 0),
            func.coalesce(func.sum(TicketLine.quantity), 0),
            func.sum(TicketLine.amount_satang),
            func.sum(TicketLine.co2e_g),
        )
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .where(*active)
        .group_by(TicketLine.material_code, TicketLine.unit)
        .order_by(TicketLine.material_code)
    ).all()
    paid = session.execute(
        select(func.coalesce(func.sum(Payout.net_satang), 0), func.count(Payout.id)).where(
            Payout.tenant_id == tenant_id, Payout.status == "paid", Payout.paid_at >= start, Payout.paid_at < end
        )
    ).one()
    deducted = session.execute(
        select(func.coalesce(func.sum(Payout.welfare_satang), 0), func.coalesce(func.sum(Payout.savings_satang), 0))
        .join(SettlementRun, SettlementRun.id == Payout.run_id)
        .where(
            Payout.tenant_id == tenant_id,
            SettlementRun.status == "approved",
            SettlementRun.approved_at >= start,
            SettlementRun.approved_at < end,
            Payout.reissue_no == 0,
        )
    ).one()
    owed = -int(
        session.scalar(
            select(func.coalesce(func.sum(Posting.amount_satang), 0)).where(
                Posting.tenant_id == tenant_id, Posting.household_id.is_not(None)
            )
        )
    )
    ready = session.scalar(
        select(func.coalesce(func.sum(Payout.net_satang), 0)).where(Payout.tenant_id == tenant_id, Payout.status == "ready")
    )
    return {
        "from": start,
        "to": end,
        "bought": [
            {"material_code": m, "unit": u, "weight_g": int(w), "quantity": int(q), "amount_satang": int(a), "co2e_g": int(c)}
            for m, u, w, q, a, c in bought
        ],
        "bought_satang": sum(int(r[4]) for r in bought),
        "paid_out_satang": int(paid[0]),
        "payouts_paid": int(paid[1]),
        "welfare_deducted_satang": int(deducted[0]),
        "savings_deducted_satang": int(deducted[1]),
        "owed_to_members_satang": owed,
        "approved_unpaid_satang": int(ready or 0),
    }
