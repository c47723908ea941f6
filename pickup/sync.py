"""Offline sync: a collector's phone sends every ticket it weighed while out of signal.

Each item stands alone (one bad item does not sink the rest), the batch may arrive any number of
times and from two phones at once. Items are written in client_id order so two concurrent batches
take their row locks in the same order and cannot deadlock each other.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pickup.tickets import TicketInput, create_ticket
from pickup import inbox
from pickup.models import CollectionTicket, InboxStatus, SyncInboxItem
from recycle import ledger
from recycle.db import utcnow
from recycle.errors import Conflict, DomainError
from recycle.models import Tenant
from recycle.principal import Principal


@dataclass
class InvalidItem:
    """An item that failed schema validation before it reached the domain."""

    client_id: str | None
    errors: dict[str, list[str]]


@dataclass
class SyncResult:
    index: int
    client_id: str | None
    status: str  # created, duplicate, conflict, rejected
    ticket: CollectionTicket | None = None
    detail: str | None = None
    errors: dict[str, list[str]] | None = None
    code: str | None = None
    parked: bool = False  # a rejected item kept in the sync inbox for staff (the phone may stop retrying it)
    inbox_id: int | None = None


def sync_batch(session: Session, principal: Principal, tenant: Tenant, secret: str,
               items: list[TicketInput | InvalidItem], now: dt.datetime | None = None,
               raw: list | None = None) -> list[SyncResult]:
    """`raw`: the items as the phone sent them, stored in the sync inbox when one is refused."""
    now = now or utcnow()
    results: list[SyncResult] = []
    ledger.account(session, tenant.id, ledger.PURCHASES)  # shared account first: same lock order everywhere
    order = sorted(range(len(items)), key=lambda i: (str(getattr(items[i], "client_id", "") or ""), i))
    for i in order:
        item = items[i]
        sent = raw[i] if raw is not None and i < len(raw) else None
        known = inbox.find(session, tenant.id, item.client_id if isinstance(item.client_id, str) else None)
        if known is not None:  # already with staff: answer from the inbox, do not weigh it again
            results.append(_from_inbox(session, i, known))
            continue
        if isinstance(item, InvalidItem):
            results.append(_park(session, principal, SyncResult(i, item.client_id, "rejected", detail="invalid ticket",
                                                                errors=item.errors, code="validation"), sent, now))
            continue
        try:
            with session.begin_nested():
                ticket, created = create_ticket(session, principal, tenant, secret, item, now=now)
            results.append(SyncResult(i, ticket.client_id, "created" if created else "duplicate", ticket))
        except Conflict as exc:
            results.append(SyncResult(i, item.client_id, "conflict", detail=exc.detail, errors=exc.errors, code=exc.code))
        except DomainError as exc:
            results.append(_park(session, principal, SyncResult(i, item.client_id, "rejected", detail=exc.detail,
                                                                errors=exc.errors, code=exc.code), sent, now))
    return sorted(results, key=lambda r: r.index)


def _park(session: Session, principal: Principal, result: SyncResult, sent: object, now: dt.datetime) -> SyncResult:
    parked = inbox.park(session, principal, result.client_id, sent, result.code, result.detail, now)
    if parked is not None:
        result.parked, result.inbox_id = True, parked.inbox.id
    return result


def _from_inbox(session: Session, index: int, row: SyncInboxItem) -> SyncResult:
    if row.status == InboxStatus.ACCEPTED and row.ticket_id is not None:
        return SyncResult(index, row.client_id, "duplicate", session.get(CollectionTicket, row.ticket_id),
                          inbox_id=row.id)  # staff accepted it: done, as any duplicate
    detail = row.reason if row.status == InboxStatus.PARKED else f"discarded by staff: {row.resolution_note}"
    return SyncResult(index, row.client_id, "rejected", detail=detail, code=row.reason_code, parked=True, inbox_id=row.id)
