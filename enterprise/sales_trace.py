"""Where a batch came from: the lots it drew on (first in, first out), their tickets, villages, households.

A settled batch's lots are the allocations written when its stock left. An open batch's are a
forecast: the lots left now, after the open batches drafted before it have taken theirs. The buyer's
version keeps villages and counts but no names, member numbers or ticket ids (PDPA).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise import sales, stock
from enterprise.stock_models import OPEN_STATUSES, SaleBatch, SaleLine, StockAllocation, StockMovement
from pickup.models import CollectionTicket, Handover, Round, TicketLine


def _settled_draws(session: Session, tenant_id: int, line: SaleLine) -> list[tuple[int, int]]:
    rows = session.execute(
        select(StockAllocation.lot_id, StockAllocation.qty)
        .join(StockMovement, StockMovement.id == StockAllocation.movement_id)
        .where(StockMovement.tenant_id == tenant_id, StockMovement.sale_line_id == line.id)
        .order_by(StockAllocation.lot_id)
    ).all()
    return [(int(lot), int(q)) for lot, q in rows]


def _forecast_draws(session: Session, tenant_id: int, batch: SaleBatch, line: SaleLine) -> list[tuple[int, int]]:
    lots = stock.remaining_lots(session, tenant_id, line.grade_id)
    earlier = session.scalars(
        select(SaleLine.qty)
        .join(SaleBatch, SaleBatch.id == SaleLine.batch_id)
        .where(
            SaleLine.tenant_id == tenant_id,
            SaleLine.grade_id == line.grade_id,
            SaleBatch.status.in_(OPEN_STATUSES),
            SaleBatch.id < batch.id,
        )
    )
    skip = sum(int(q) for q in earlier)
    draws, need = [], line.qty
    for lot_id, left in lots:
        used = min(skip, left)
        skip, left = skip - used, left - used
        take = min(need, left)
        if take > 0:
            draws.append((lot_id, take))
            need -= take
    return draws


def _lot_tickets(session: Session, lot: StockMovement) -> list[tuple[CollectionTicket, int]]:
    """The tickets a lot was bought on, each with what it weighed of the lot's grade."""
    stmt = (
        select(CollectionTicket, TicketLine.weight_g, TicketLine.quantity)
        .join(TicketLine, TicketLine.ticket_id == CollectionTicket.id)
        .where(CollectionTicket.tenant_id == lot.tenant_id, TicketLine.grade_id == lot.grade_id)
    )
    if lot.kind == "handover":
        round_id = session.scalar(select(Handover.round_id).where(Handover.id == lot.handover_id))
        stmt = stmt.where(CollectionTicket.round_id == round_id, CollectionTicket.status == "active")
    elif lot.kind == "walk_in":
        stmt = stmt.where(CollectionTicket.id == lot.ticket_id)
    else:
        return []
    return [(t, w if w is not None else q) for t, w, q in session.execute(stmt.order_by(CollectionTicket.collected_at))]


def _villages(tickets: list[tuple[CollectionTicket, int]]) -> list[dict]:
    by: dict[int, dict] = {}
    homes: dict[int, set[int]] = defaultdict(set)
    for t, qty in tickets:
        v = t.household.village
        row = by.setdefault(
            v.id, {"village_id": v.id, "name_th": v.name_th, "name_en": v.name_en, "households": 0, "quantity": 0}
        )
        row["quantity"] += qty
        homes[v.id].add(t.household_id)
    for vid, row in by.items():
        row["households"] = len(homes[vid])
    return sorted(by.values(), key=lambda r: r["name_th"])


def _lot(session: Session, lot: StockMovement, drawn: int, buyer_view: bool) -> tuple[dict, set[int], list]:
    tickets = _lot_tickets(session, lot)
    homes = {t.household_id for t, _ in tickets}
    out = {
        "lot_id": lot.id,
        "source": lot.kind,
        "received_at": lot.occurred_at,
        "lot_quantity": lot.qty,
        "drawn": drawn,
        "households": len(homes),
        "villages": _villages(tickets),
    }
    if lot.kind == "handover":
        out["round_date"] = session.scalar(
            select(Round.round_date).join(Handover, Handover.round_id == Round.id).where(Handover.id == lot.handover_id)
        )
    if not buyer_view:
        out.update(
            reason=lot.reason,
            handover_id=lot.handover_id,
            tickets=[
                {
                    "ticket_id": t.id,
                    "collected_at": t.collected_at,
                    "household_id": t.household_id,
                    "member_no": t.household.member_no,
                    "household_name": t.household.name,
                    "village_name_th": t.household.village.name_th,
                    "quantity": qty,
                }
                for t, qty in tickets
            ],
        )
    return out, homes, tickets


def trace(session: Session, tenant_id: int, batch_id: int, buyer_view: bool = False) -> dict:
    batch = sales.get(session, tenant_id, batch_id)
    all_homes: set[int] = set()
    all_tickets: list = []
    lines = []
    for line in batch.lines:
        if batch.status == "settled":
            draws = _settled_draws(session, tenant_id, line)
        elif batch.status in OPEN_STATUSES:
            draws = _forecast_draws(session, tenant_id, batch, line)
        else:
            draws = []
        lots = []
        for lot_id, drawn in draws:
            info, homes, tickets = _lot(session, session.get(StockMovement, lot_id), drawn, buyer_view)
            lots.append(info)
            all_homes |= homes
            all_tickets += tickets
        lines.append(
            {
                "material_code": line.material_code,
                "grade": line.grade,
                "unit": line.unit,
                "quantity": line.qty,
                "traced": sum(d for _, d in draws),
                "lots": lots,
            }
        )
    return {
        "batch_id": batch.id,
        "status": batch.status,
        "forecast": batch.status in OPEN_STATUSES,
        "dispatched_on": batch.dispatched_on,
        "manifest_no": batch.manifest_no,
        "households": len(all_homes),
        "villages": _merge_villages(all_tickets),
        "lines": lines,
    }


def _merge_villages(tickets: list[tuple[CollectionTicket, int]]) -> list[dict]:
    """Batch-wide: each household once per village, whatever the materials."""
    rows = _villages(tickets)
    for row in rows:
        row.pop("quantity")
    return rows
