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
from pickup.models import CollectionTicket
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


def sync_batch(session: Session, principal: Principal, tenant: Tenant, secret: str,
               items: list[TicketInput | InvalidItem], now: dt.datetime | None = None) -> list[SyncResult]:
    now = now or utcnow()
    results: list[SyncResult] = []
    ledger.account(session, tenant.id, ledger.PURCHASES)  # shared account first: same lock order everywhere
    order = sorted(range(len(items)), key=lambda i: (str(getattr(items[i], "client_id", "") or ""), i))
    for i in order:
        item = items[i]
        if isinstance(item, InvalidItem):
            results.append(SyncResult(i, item.client_id, "rejected", detail="invalid ticket", errors=item.errors,
                                      code="validation"))
            continue
        try:
            with session.begin_nested():
                ticket, created = create_ticket(session, principal, tenant, secret, item, now=now)
            results.append(SyncResult(i, ticket.client_id, "created" if created else "duplicate", ticket))
        except Conflict as exc:
            results.append(SyncResult(i, item.client_id, "conflict", detail=exc.detail, errors=exc.errors, code=exc.code))
        except DomainError as exc:
            results.append(SyncResult(i, item.client_id, "rejected", detail=exc.detail, errors=exc.errors, code=exc.code))
    return sorted(results, key=lambda r: r.index)
