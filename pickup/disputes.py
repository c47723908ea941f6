"""Disputes: a member contests a ticket; staff uphold it (with a corrected ticket) or reject it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pickup import tickets
from pickup.context import TicketContext
from pickup.models import Dispute
from pricing.quotes import LineInput
from recycle import audit
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput
from recycle.principal import Principal
from recycle.tenancy import get_owned


def open_dispute(session: Session, principal: Principal, ticket_id: int, claim: str) -> Dispute:
    # The ticket's lock serialises "one open dispute per ticket" and a void arriving at the same moment.
    ticket = tickets.get_ticket(session, principal, ticket_id, lock=True)
    if not claim.strip():
        raise InvalidInput.field("claim", "say what is wrong, e.g. 'my scale said 4.2 kg'")
    if ticket.status == "voided":
        raise Conflict("this ticket was voided; dispute its correction instead")
    if session.scalar(select(Dispute.id).where(Dispute.ticket_id == ticket.id, Dispute.status == "open")):
        raise Conflict("there is already an open dispute on this ticket")
    dispute = Dispute(
        tenant_id=principal.tenant_id, ticket_id=ticket.id, raised_by_user_id=principal.user_id, claim=claim.strip()[:2000]
    )
    session.add(dispute)
    session.flush()
    return dispute


def get(session: Session, principal: Principal, dispute_id: int, lock: bool = False) -> Dispute:
    dispute = get_owned(session, Dispute, dispute_id, principal.tenant_id, what="dispute", lock=lock)
    tickets.get_ticket(session, principal, dispute.ticket_id)  # same visibility as the ticket
    return dispute


def resolve(
    ctx: TicketContext,
    dispute_id: int,
    outcome: str,
    resolution: str,
    corrected_lines: list[LineInput] | None = None,
) -> Dispute:
    session, principal, tenant = ctx.session, ctx.principal, ctx.tenant
    principal.require("staff", "admin")
    dispute = get(session, principal, dispute_id, lock=True)  # two staff resolving at once: the second sees the first
    if dispute.status != "open":
        raise Conflict(f"this dispute was already {dispute.status}", {"status": [f"is {dispute.status}"]}, code="dispute_closed")
    if outcome not in ("upheld", "rejected"):
        raise InvalidInput.field("outcome", "upheld or rejected")
    if not resolution.strip():
        raise InvalidInput.field("resolution", "say what was decided; the member sees it")
    if outcome == "upheld" and corrected_lines:
        from pickup.corrections import needs_second_person

        if needs_second_person(session, principal, tenant, dispute.ticket_id, corrected_lines):
            raise Conflict(
                "this correction moves more than the waste bank's limit and needs a second person: "
                f"ask for it with POST /collections/{dispute.ticket_id}/correct, then resolve the dispute "
                "without lines",
                {"corrected_lines": ["needs a second person"]},
                code="second_person_required",
            )
        new = tickets.correct(ctx, dispute.ticket_id, corrected_lines, f"dispute #{dispute.id}: {resolution}"[:500])
        dispute.corrected_ticket_id = new.id
    dispute.status, dispute.resolution = outcome, resolution.strip()[:2000]
    dispute.resolved_by_user_id, dispute.resolved_at = principal.user_id, utcnow()
    audit.record(session, "dispute.resolve", principal=principal, target=("dispute", dispute.id), outcome=outcome)
    return dispute


def for_ticket(session: Session, ticket_id: int) -> list[Dispute]:
    return list(session.scalars(select(Dispute).where(Dispute.ticket_id == ticket_id).order_by(Dispute.id)))
