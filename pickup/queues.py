"""What waits for staff: tickets held for approval, open disputes, parked sync items (the home page counts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pickup import inbox
from pickup.models import CollectionTicket, Dispute, DisputeStatus, Handover, TicketStatus


@dataclass(frozen=True)
class QueueCounts:
    pending_tickets: int
    open_disputes: int
    parked_items: int
    flagged_handovers: int


def pending_tickets(tenant_id: int) -> Select:
    """Oldest first: the member has waited longest for these."""
    return (
        select(CollectionTicket)
        .where(CollectionTicket.tenant_id == tenant_id, CollectionTicket.status == TicketStatus.PENDING_APPROVAL)
        .order_by(CollectionTicket.received_at, CollectionTicket.id)
    )


def open_disputes(tenant_id: int) -> Select:
    return (
        select(Dispute)
        .where(Dispute.tenant_id == tenant_id, Dispute.status == DisputeStatus.OPEN)
        .order_by(Dispute.created_at, Dispute.id)
    )


def _count(session: Session, stmt: Select) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def counts(session: Session, tenant_id: int) -> QueueCounts:
    flagged = select(Handover.id).where(
        Handover.tenant_id == tenant_id, Handover.flagged.is_(True), Handover.flag_resolved_at.is_(None)
    )
    return QueueCounts(
        pending_tickets=_count(session, pending_tickets(tenant_id)),
        open_disputes=_count(session, open_disputes(tenant_id)),
        parked_items=inbox.parked_count(session, tenant_id),
        flagged_handovers=_count(session, flagged),
    )
