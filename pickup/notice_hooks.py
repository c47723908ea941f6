"""What a household is told about its weigh-ins and pickups, recorded in the event's own transaction.

Plain handlers for the event table: `on_ticket_credited` for "ticket became active" (created, synced,
approved, corrected; after the points handler, so the points are known) and `on_pickup_scheduled` for
"pickup scheduled on a round". `remind_tomorrow` is the beat job's body.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pickup import points_hook
from pickup.events import TicketCredited, TicketsSynced
from pickup.models import CollectionTicket, PickupRequest, Round
from pricing.book import book_for
from recycle.models import Tenant
from recycle.money import format_baht
from recycle.notify.notices import Message, record, record_many
from recycle.thai_dates import format_date, format_datetime


def _kg(grams: int) -> str:
    """3200 -> '3.2', 850 -> '0.85', 5000 -> '5' (integer arithmetic)."""
    whole, frac = divmod(grams, 1000)
    return f"{whole}.{frac:03d}".rstrip("0").rstrip(".")


def on_tickets_synced(session: Session, event: TicketsSynced) -> None:
    """A synced batch: one receipt notice per ticket, written in one statement (after the points handler)."""
    active = [t for t in event.tickets if t.status == "active"]
    if not active:
        return
    tenant = session.get(Tenant, active[0].tenant_id)
    names = {m.code: m.name_th for m in book_for(session, tenant).materials.values()}
    record_many(session, tenant.id, [(t.household_id, f"ticket:{t.id}", _receipt(session, tenant, names, t)) for t in active])


def on_ticket_credited(session: Session, event: TicketCredited) -> None:
    """The weigh-in's receipt (amount, points, what was weighed). Wired after the points handler in
    api/bootstrap.py, so the points are known; a badge or level it brought is told by its own task."""
    ticket = event.ticket
    if ticket.status != "active":
        return
    tenant = session.get(Tenant, ticket.tenant_id)
    names = {m.code: m.name_th for m in book_for(session, tenant).materials.values()}  # the cached catalog
    record(session, ticket.tenant_id, ticket.household_id, f"ticket:{ticket.id}", _receipt(session, tenant, names, ticket))


def _receipt(session: Session, tenant: Tenant, names: dict[str, str], ticket: CollectionTicket) -> Message:
    points = points_hook.ticket_points(session, ticket)  # what the points handler just gave, without a query
    lines_th = ", ".join(
        f"{names.get(ln.material_code, ln.material_code)} " + (f"{_kg(ln.weight_g)} กก." if ln.weight_g else f"{ln.quantity} ชิ้น")
        for ln in ticket.lines
    )
    lines_en = ", ".join(
        f"{ln.material_code} " + (f"{_kg(ln.weight_g)} kg" if ln.weight_g else f"{ln.quantity} pcs") for ln in ticket.lines
    )
    baht = format_baht(ticket.total_satang)
    return Message(
        "ticket_credited",
        f"รับขยะแล้ว ได้เงิน {baht} บาท และ {points} แต้ม",
        f"Weigh-in credited: {baht} baht, {points} points",
        f"{format_datetime(ticket.collected_at, tenant.zone)} · {lines_th}",
        f"{format_datetime(ticket.collected_at, tenant.zone, 'en')} · {lines_en}",
        {"ticket_id": ticket.id, "amount_satang": ticket.total_satang, "points": points, "weight_g": ticket.weight_g},
    )


def on_pickup_scheduled(session: Session, pickup: PickupRequest, rnd: Round) -> None:
    record(
        session,
        pickup.tenant_id,
        pickup.household_id,
        f"pickup:{pickup.id}:scheduled:{rnd.id}",
        _pickup_message("pickup_scheduled", "นัดรับขยะถึงบ้าน", "Pickup scheduled", pickup, rnd.round_date),
    )


def _pickup_message(kind: str, th: str, en: str, pickup: PickupRequest, day: dt.date) -> Message:
    window = f" {pickup.window_start:%H:%M}–{pickup.window_end:%H:%M}" if pickup.window_start and pickup.window_end else ""
    return Message(
        kind,
        f"{th} {format_date(day, 'th', 'long')}{window}",
        f"{en}: {format_date(day, 'en', 'long')}{window}",
        "เตรียมขยะที่คัดแยกแล้วไว้หน้าบ้าน",
        "Please have your sorted waste ready at the door",
        {"pickup_id": pickup.id, "date": day.isoformat()},
    )


def remind_tomorrow(session: Session, tenant: Tenant, now: dt.datetime) -> int:
    """Every pickup scheduled for the tenant's tomorrow gets its reminder (once: keyed by pickup and date)."""
    tomorrow = now.astimezone(zoneinfo.ZoneInfo(tenant.timezone)).date() + dt.timedelta(days=1)
    n = 0
    for pickup in session.scalars(
        select(PickupRequest)
        .join(Round, Round.id == PickupRequest.round_id)
        .where(PickupRequest.tenant_id == tenant.id, PickupRequest.status == "scheduled", Round.round_date == tomorrow)
    ):
        record(
            session,
            tenant.id,
            pickup.household_id,
            f"pickup:{pickup.id}:reminder:{tomorrow.isoformat()}",
            _pickup_message("pickup_reminder", "พรุ่งนี้รถรับขยะจะมาถึงบ้าน", "Reminder: pickup tomorrow", pickup, tomorrow),
        )
        n += 1
    return n
