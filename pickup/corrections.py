"""Large manual corrections need a second person: how much money a correction would move."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pickup.tickets import get_ticket
from pricing.quotes import LineInput, price_lines
from recycle.models import Tenant
from recycle.principal import Principal


def money_moved(session: Session, principal: Principal, tenant: Tenant, ticket_id: int, lines: list[LineInput]) -> int:
    """Satang the correction would add or take away (priced as the original was), checked before anything is written."""
    original = get_ticket(session, principal, ticket_id)
    quote = price_lines(session, tenant, lines, original.priced_at, forbid_duplicates=True)
    credited = original.total_satang if original.status == "active" else 0
    return abs(quote.total_satang - credited)


def needs_second_person(session: Session, principal: Principal, tenant: Tenant, ticket_id: int, lines: list[LineInput]) -> bool:
    return money_moved(session, principal, tenant, ticket_id, lines) > int(tenant.setting("approval_correction_satang"))
