"""The glue from weigh-in tickets to the game: a ticket becomes plain deposit data (the game package may
not read pickup tables). `api/bootstrap.py` wires `on_ticket` to TicketCredited and `on_void` to
TicketVoided, so every way a ticket becomes active (created, synced, approved, corrected) or is voided
moves the points in the same transaction.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pickup.events import TicketCredited, TicketVoided
from pickup.models import CollectionTicket
from pricing.models import Grade, Material
from recycle.game import deposits, tasks, points
from recycle.models import Tenant


def _materials(session: Session, material_ids: set[int]) -> dict[int, tuple[str, bool]]:
    """material id -> (category, bought in more than one grade)."""
    if not material_ids:
        return {}
    rows = session.execute(select(Material.id, Material.category, func.count(Grade.id))
                           .join(Grade, Grade.material_id == Material.id).where(Material.id.in_(material_ids))
                           .group_by(Material.id, Material.category)).all()
    return {mid: (category, n > 1) for mid, category, n in rows}


def deposit_lines(session: Session, lines: list) -> list[points.DepositLine]:  # type: ignore[type-arg]
    """Ticket lines or priced quote lines (both carry material_id, code, grade, unit, weight, quantity, co2e)."""
    info = _materials(session, {ln.material_id for ln in lines})
    out = []
    for ln in lines:
        category, graded = info.get(ln.material_id, (getattr(ln, "category", "general"), False))
        out.append(points.DepositLine(material_code=ln.material_code, category=category, grade=ln.grade, unit=ln.unit,
                                      weight_g=ln.weight_g, quantity=ln.quantity, co2e_g=ln.co2e_g, has_grades=graded))
    return out


def deposit_from_ticket(session: Session, ticket: CollectionTicket) -> points.DepositInput:
    return points.DepositInput(tenant_id=ticket.tenant_id, household_id=ticket.household_id, ticket_id=ticket.id,
                               occurred_at=ticket.collected_at, lines=deposit_lines(session, list(ticket.lines)))


def on_ticket(session: Session, event: TicketCredited) -> None:
    """A ticket became active: it earns (a backdated one earns when approved)."""
    award(session, event.ticket)


def award(session: Session, ticket: CollectionTicket) -> None:
    if ticket.status != "active":
        return
    events = deposits.award_deposit(session, deposit_from_ticket(session, ticket))
    tasks.enqueue_after_commit(session, badge_award_ids=events.badge_award_ids, level_up_ids=events.level_up_ids,
                                    completed_challenge_ids=events.completed_challenge_ids)


def on_void(session: Session, event: TicketVoided) -> None:
    ticket = event.ticket
    deposits.reverse_deposit(session, ticket.tenant_id, ticket.id)


def ticket_points(session: Session, ticket: CollectionTicket) -> int:
    return points.ticket_points(session, ticket.tenant_id, ticket.id)


def preview(session: Session, tenant: Tenant, priced_lines: list) -> int:  # type: ignore[type-arg]
    """The points a quote's lines would earn (before the monthly cap and any streak bonus)."""
    return points.preview_points(points.rules_for(tenant.settings), deposit_lines(session, priced_lines))


def replay_tickets(session: Session, tenant_id: int) -> int:
    """Backfill: award every active ticket of a tenant not yet seen by the game, oldest first. Idempotent."""
    n = 0
    for ticket in session.scalars(select(CollectionTicket).where(CollectionTicket.tenant_id == tenant_id,
                                                                 CollectionTicket.status == "active")
                                  .order_by(CollectionTicket.collected_at, CollectionTicket.id)):
        award(session, ticket)
        n += 1
    return n
