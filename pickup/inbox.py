"""The sync inbox: items a collector's phone synced that the server refused, kept for staff.

A revoked card or a cancelled pickup at the door used to vanish: staff re-entered the weights from
memory. Now the raw item is parked (who sent it, when, what, why); staff fix it and accept it as a
ticket (same client_id, so the phone's retry finds it), or discard it with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pickup.context import TicketContext
from pickup.models import CollectionTicket, InboxStatus, Round, SyncInboxItem
from pickup.tickets import TicketInput, create_ticket
from pricing.quotes import LineInput
from recycle import audit
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput
from recycle.principal import Principal
from recycle.tenancy import get_owned

MAX_ITEM_CHARS = 20_000


@dataclass
class Parked:
    inbox: SyncInboxItem
    new: bool


def _raw(item: Any) -> dict[str, Any]:
    """What the phone sent, as JSON we can store (a non-object is kept under "raw"); bounded in size."""
    body = item if isinstance(item, dict) else {"raw": item}
    if len(repr(body)) > MAX_ITEM_CHARS:
        body = {"raw": repr(body)[:MAX_ITEM_CHARS], "truncated": True}
    return body


def find(session: Session, tenant_id: int, client_id: str | None) -> SyncInboxItem | None:
    if not client_id:
        return None
    return session.scalar(
        select(SyncInboxItem).where(SyncInboxItem.tenant_id == tenant_id, SyncInboxItem.client_id == str(client_id)[:64])
    )


def find_many(session: Session, tenant_id: int, client_ids: list[str]) -> dict[str, SyncInboxItem]:
    """client_id -> its inbox row, for a whole synced batch in one query."""
    ids = sorted({str(c)[:64] for c in client_ids if c})
    if not ids:
        return {}
    return {
        row.client_id: row
        for row in session.scalars(
            select(SyncInboxItem).where(SyncInboxItem.tenant_id == tenant_id, SyncInboxItem.client_id.in_(ids))
        )
    }


def park(
    session: Session,
    principal: Principal,
    client_id: str | None,
    item: Any,
    code: str | None,
    detail: str | None,
    now: dt.datetime | None = None,
) -> Parked | None:
    """Keep a refused item once per client_id (a phone retrying it gets the same row). None without a client_id."""
    if not client_id or not isinstance(client_id, str):
        return None
    existing = find(session, principal.tenant_id, client_id)
    if existing is not None:
        return Parked(existing, False)
    row = SyncInboxItem(
        tenant_id=principal.tenant_id,
        collector_user_id=principal.user_id,
        received_at=now or utcnow(),
        client_id=client_id[:64],
        item=_raw(item),
        reason_code=(code or "rejected")[:40],
        reason=(detail or "")[:500],
        status=InboxStatus.PARKED,
        resolution_note="",
    )
    try:
        with session.begin_nested():  # two phones parking the same item at once: one row
            session.add(row)
            session.flush()
    except IntegrityError:
        winner = find(session, principal.tenant_id, client_id)
        if winner is None:
            raise
        return Parked(winner, False)
    return Parked(row, True)


def list_query(tenant_id: int, status: str | None = InboxStatus.PARKED) -> Select:
    stmt = select(SyncInboxItem).where(SyncInboxItem.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(SyncInboxItem.status == status)
    return stmt.order_by(SyncInboxItem.received_at.desc(), SyncInboxItem.id.desc())


def parked_count(session: Session, tenant_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(SyncInboxItem)
            .where(SyncInboxItem.tenant_id == tenant_id, SyncInboxItem.status == InboxStatus.PARKED)
        )
        or 0
    )


def _open(session: Session, principal: Principal, inbox_id: int) -> SyncInboxItem:
    principal.require("staff", "admin")
    row = get_owned(session, SyncInboxItem, inbox_id, principal.tenant_id, what="inbox item", lock=True)
    if row.status != InboxStatus.PARKED:
        raise Conflict(f"this item was already {row.status}", {"status": [f"is {row.status}"]}, code="inbox_resolved")
    return row


def _collected_at(row: SyncInboxItem, given: dt.datetime | None) -> dt.datetime:
    if given is not None:
        return given
    raw = row.item.get("collected_at") if isinstance(row.item, dict) else None
    try:
        when = dt.datetime.fromisoformat(str(raw))
        if when.tzinfo is not None:
            return when
    except ValueError:
        pass
    return row.received_at


def accept(
    ctx: TicketContext,
    inbox_id: int,
    household_id: int,
    lines: list[LineInput],
    note: str = "",
    collected_at: dt.datetime | None = None,
) -> CollectionTicket:
    """Issue the corrected ticket through the ticket service, under the phone's client_id (a retry is a duplicate)."""
    session, principal, tenant = ctx.session, ctx.principal, ctx.tenant
    row = _open(session, principal, inbox_id)
    inp = TicketInput(
        client_id=row.client_id, collected_at=_collected_at(row, collected_at), lines=lines, household_id=household_id
    )
    try:
        ticket, _ = create_ticket(ctx, inp)
    except InvalidInput as exc:
        if "client_id" in (exc.errors or {}):  # the phone's id was not a UUID: a fresh one, tied to the inbox row
            import uuid

            inp.client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"inbox:{row.tenant_id}:{row.id}"))
            ticket, _ = create_ticket(ctx, inp)
        else:
            raise
    if ticket.round_id is None:  # it was weighed on the collector's round that day: its handover counts it
        ticket.round_id = session.scalar(
            select(Round.id)
            .where(
                Round.tenant_id == tenant.id,
                Round.collector_user_id == row.collector_user_id,
                Round.round_date == tenant.local_date(ticket.collected_at),
            )
            .order_by(Round.id)
            .limit(1)
        )
        ticket.channel = "round"
    row.status, row.ticket_id = InboxStatus.ACCEPTED, ticket.id
    row.resolved_by_user_id, row.resolved_at, row.resolution_note = principal.user_id, utcnow(), note.strip()[:500]
    audit.record(session, "inbox.accept", principal=principal, target=("sync_inbox", row.id), ticket=ticket.id)
    return ticket


def discard(session: Session, principal: Principal, inbox_id: int, reason: str) -> SyncInboxItem:
    if not reason or not reason.strip():
        raise InvalidInput.field("reason", "say why the item is discarded")
    row = _open(session, principal, inbox_id)
    row.status = InboxStatus.DISCARDED
    row.resolved_by_user_id, row.resolved_at, row.resolution_note = principal.user_id, utcnow(), reason.strip()[:500]
    audit.record(session, "inbox.discard", principal=principal, target=("sync_inbox", row.id), reason=reason[:200])
    return row
