"""The glue from weigh-in tickets to the game: a ticket becomes plain deposit data (the game package may
not read pickup tables). `api/bootstrap.py` wires `on_ticket` to TicketCredited and `on_void` to
TicketVoided, so every way a ticket becomes active (created, synced, approved, corrected) or is voided
moves the points in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pickup.events import TicketCredited, TicketsSynced, TicketVoided
from pickup.models import CollectionTicket
from pricing.book import book_for
from recycle.game import deposits, points, tasks
from recycle.models import Tenant


def _materials(session: Session, tenant_id: int, material_ids: set[int]) -> dict[int, tuple[str, bool]]:
    """material id -> (category, bought in more than one grade), from the cached price book (no query)."""
    tenant = session.get(Tenant, tenant_id)
    book = book_for(session, tenant)
    return {mid: (book.materials[mid].category, mid in book.multi_grade) for mid in material_ids if mid in book.materials}


def deposit_lines(session: Session, lines: list, tenant_id: int) -> list[points.DepositLine]:  # type: ignore[type-arg]
    """Ticket lines or priced quote lines (both carry material_id, code, grade, unit, weight, quantity, co2e)."""
    info = _materials(session, tenant_id, {ln.material_id for ln in lines})
    out = []
    for ln in lines:
        category, graded = info.get(ln.material_id, (getattr(ln, "category", "general"), False))
        out.append(
            points.DepositLine(
                material_code=ln.material_code,
                category=category,
                grade=ln.grade,
                unit=ln.unit,
                weight_g=ln.weight_g,
                quantity=ln.quantity,
                co2e_g=ln.co2e_g,
                has_grades=graded,
            )
        )
    return out


def deposit_from_ticket(session: Session, ticket: CollectionTicket) -> points.DepositInput:
    return points.DepositInput(
        tenant_id=ticket.tenant_id,
        household_id=ticket.household_id,
        ticket_id=ticket.id,
        occurred_at=ticket.collected_at,
        lines=deposit_lines(session, list(ticket.lines), ticket.tenant_id),
    )


def on_ticket(session: Session, event: TicketCredited) -> None:
    """A ticket became active: it earns (a backdated one earns when approved)."""
    award(session, event.ticket)


def award(session: Session, ticket: CollectionTicket) -> None:
    if ticket.status != "active":
        return
    events = deposits.award_deposit(session, deposit_from_ticket(session, ticket))
    if events.ticket_points is not None:
        ticket.points_earned = events.ticket_points  # type: ignore[attr-defined] - saves the response a query
    tasks.enqueue_after_commit(
        session,
        badge_award_ids=events.badge_award_ids,
        level_up_ids=events.level_up_ids,
        completed_challenge_ids=events.completed_challenge_ids,
    )


def on_tickets(session: Session, event: TicketsSynced) -> None:
    """A synced batch: the game awards all of it at once (the same as `on_ticket` for each, in order)."""
    active = [t for t in event.tickets if t.status == "active"]
    events = deposits.award_deposits(session, [deposit_from_ticket(session, t) for t in active])
    for t in active:
        ev = events.get(t.id)
        if ev is None:
            continue
        t.points_earned = ev.ticket_points  # type: ignore[attr-defined]
        tasks.enqueue_after_commit(
            session,
            badge_award_ids=ev.badge_award_ids,
            level_up_ids=ev.level_up_ids,
            completed_challenge_ids=ev.completed_challenge_ids,
        )


def on_void(session: Session, event: TicketVoided) -> None:
    ticket = event.ticket
    ticket.points_earned = None  # type: ignore[attr-defined]
    deposits.reverse_deposit(session, ticket.tenant_id, ticket.id)


def ticket_points(session: Session, ticket: CollectionTicket) -> int:
    earned = getattr(ticket, "points_earned", None)  # set when this transaction awarded it
    return earned if earned is not None else points.ticket_points(session, ticket.tenant_id, ticket.id)


def preview(session: Session, tenant: Tenant, priced_lines: list) -> int:  # type: ignore[type-arg]
    """The points a quote's lines would earn (before the monthly cap and any streak bonus)."""
    return points.preview_points(points.rules_for(tenant.settings), deposit_lines(session, priced_lines, tenant.id))


def replay_tickets(session: Session, tenant_id: int) -> int:
    """Backfill: award every active ticket of a tenant not yet seen by the game, oldest first. Idempotent."""
    n = 0
    for ticket in session.scalars(
        select(CollectionTicket)
        .where(CollectionTicket.tenant_id == tenant_id, CollectionTicket.status == "active")
        .order_by(CollectionTicket.collected_at, CollectionTicket.id)
    ):
        award(session, ticket)
        n += 1
    return n
