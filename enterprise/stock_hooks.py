"""Where stock comes from: a round's handover, a walk-in deposit; and what a void takes back.

Wired to the pickup side's events in `api/bootstrap.py`. Each stock-in is keyed
by the handover line or ticket line, so a hook that runs twice (approval after creation, a retry)
counts the material once.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enterprise import stock
from pickup.events import HandoverCorrected, HandoverRecorded, TicketCredited, TicketsSynced, TicketVoided
from pickup.models import CollectionTicket, Handover, HandoverLine, TicketLine
from pricing.models import Grade
from recycle import ledger
from recycle.errors import Conflict


def lot_costs(session: Session, tenant_id: int, round_id: int) -> dict[int, int]:
    """grade_id -> satang paid for it on the round's active tickets: a handover lot's cost."""
    rows = session.execute(
        select(TicketLine.grade_id, func.sum(TicketLine.amount_satang))
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .where(
            CollectionTicket.tenant_id == tenant_id, CollectionTicket.round_id == round_id, CollectionTicket.status == "active"
        )
        .group_by(TicketLine.grade_id)
    ).all()
    return {g: int(c or 0) for g, c in rows}


def on_handover(session: Session, event: HandoverRecorded) -> None:
    """Dr STOCK / Cr PURCHASES: what was bought from members becomes inventory at what it cost."""
    ho = event.handover
    costs = lot_costs(session, ho.tenant_id, ho.round_id)
    stock.lock(session, ho.tenant_id, [line.grade_id for line in ho.lines if line.measured > 0])
    for line in ho.lines:
        if line.measured <= 0 or line.wet:
            continue  # nothing arrived, or wet waste gone to composting: its cost stays an expense
        grade = session.get(Grade, line.grade_id)
        stock.move(
            session,
            grade,
            "handover",
            line.measured,
            f"handover:{line.id}",
            ledger.PURCHASES,
            cost=costs.get(grade.id, 0),
            user_id=ho.received_by_user_id,
            handover_id=ho.id,
        )


def on_handover_corrected(session: Session, event: HandoverCorrected) -> None:
    """The stock follows a corrected handover by the difference (an adjustment at average cost, with the reason)."""
    fix = event.correction
    dry = [c for c in fix.changes if not c.get("wet")]
    stock.lock(session, fix.tenant_id, [c["grade_id"] for c in dry])
    for c in dry:
        grade = session.get(Grade, c["grade_id"])
        stock.move(
            session,
            grade,
            "adjustment",
            c["after"] - c["before"],
            f"handover-fix:{fix.id}:{grade.id}",
            stock.STOCK_ADJUSTMENTS,
            reason=f"handover correction #{fix.id}: {fix.reason}"[:500],
            user_id=fix.corrected_by_user_id,
            handover_id=fix.handover_id,
        )


def _qty(line: TicketLine) -> int:
    return line.weight_g if line.unit == "kg" else line.quantity


def _handover_lot(session: Session, tenant_id: int, round_id: int | None, grade_id: int) -> bool:
    """Did this round's handover bring this grade into stock (so its tickets' cost is in stock)?"""
    if round_id is None:
        return False
    line_id = session.scalar(
        select(HandoverLine.id)
        .join(Handover, Handover.id == HandoverLine.handover_id)
        .where(Handover.tenant_id == tenant_id, Handover.round_id == round_id, HandoverLine.grade_id == grade_id)
    )
    return line_id is not None and stock.find(session, tenant_id, f"handover:{line_id}") is not None


def on_ticket(session: Session, event: TicketCredited) -> None:
    """A walk-in is a lot of its own; a round ticket credited after its handover adds its cost to stock."""
    ticket = event.ticket
    if ticket.status != "active":
        return
    origin = session.get(CollectionTicket, ticket.supersedes_id) if ticket.supersedes_id else ticket
    if origin.channel == "walk_in":
        stock.lock(session, ticket.tenant_id, [line.grade_id for line in ticket.lines])
        for line in ticket.lines:
            stock.move(
                session,
                session.get(Grade, line.grade_id),
                "walk_in",
                _qty(line),
                f"walkin:{line.id}",
                ledger.PURCHASES,
                cost=line.amount_satang,
                user_id=ticket.entered_by_user_id,
                ticket_id=ticket.id,
            )
        return
    late = [
        line
        for line in ticket.lines
        if line.amount_satang and _handover_lot(session, ticket.tenant_id, origin.round_id, line.grade_id)
    ]
    stock.lock(session, ticket.tenant_id, [line.grade_id for line in late])
    for line in late:
        if stock.level(session, ticket.tenant_id, line.grade_id).on_hand > 0:  # else all sold: it stays an expense
            stock.move(
                session,
                session.get(Grade, line.grade_id),
                "ticket_cost",
                0,
                f"ticket-cost:{line.id}",
                ledger.PURCHASES,
                cost=line.amount_satang,
                ticket_id=ticket.id,
            )


def on_tickets_synced(session: Session, event: TicketsSynced) -> None:
    """A synced batch: each ticket as if credited alone (stock gains nothing from batching them)."""
    for ticket in event.tickets:
        on_ticket(session, TicketCredited(ticket))


def on_void(session: Session, event: TicketVoided) -> None:
    """A voided walk-in leaves stock (its own lot first); a voided round ticket takes its cost back out."""
    ticket = event.ticket
    reason = (ticket.void_reason or "")[:500]
    if ticket.channel == "walk_in":
        lots = [(line, stock.find(session, ticket.tenant_id, f"walkin:{line.id}")) for line in ticket.lines]
        lots = [(line, lot) for line, lot in lots if lot is not None]
        stock.lock(session, ticket.tenant_id, [line.grade_id for line, _ in lots])
        for line, lot in lots:
            lvl = stock.level(session, ticket.tenant_id, line.grade_id)
            if lvl.free < lot.qty:
                raise Conflict(
                    f"{line.material_code} {line.grade} from this deposit is already reserved or sold "
                    f"({lvl.free} of {lot.qty} free); cancel the sale draft or count the stock first",
                    code="stock_already_used",
                )
            stock.move(
                session,
                session.get(Grade, line.grade_id),
                "walk_in_void",
                -lot.qty,
                f"walkin-void:{line.id}",
                ledger.PURCHASES,
                reason=reason,
                user_id=ticket.voided_by_user_id,
                prefer_lot=lot.id,
                ticket_id=ticket.id,
            )
        return
    costed = [
        line
        for line in ticket.lines
        if line.amount_satang and _handover_lot(session, ticket.tenant_id, ticket.round_id, line.grade_id)
    ]
    stock.lock(session, ticket.tenant_id, [line.grade_id for line in costed])
    for line in costed:
        take = min(line.amount_satang, stock.level(session, ticket.tenant_id, line.grade_id).value_satang)
        if take > 0:
            stock.move(
                session,
                session.get(Grade, line.grade_id),
                "ticket_cost",
                0,
                f"ticket-void:{line.id}",
                ledger.PURCHASES,
                cost=-take,
                reason=reason,
                ticket_id=ticket.id,
            )
