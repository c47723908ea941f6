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

from pickup.events import TicketCredited
from pickup.models import PickupRequest, Round
from pricing.models import Material
from recycle.game import notices as game_notices
from recycle.game.points import ticket_points
from recycle.models import Tenant
from recycle.money import format_baht
from recycle.notify.notices import Message, record
from recycle.thai_dates import format_date, format_datetime


def _kg(grams: int) -> str:
    """3200 -> '3.2', 850 -> '0.85', 5000 -> '5' (integer arithmetic)."""
    whole, frac = divmod(grams, 1000)
    return f"{whole}.{frac:03d}".rstrip("0").rstrip(".")


def on_ticket_credited(session: Session, event: TicketCredited) -> None:
    """The weigh-in's receipt (amount, points, what was weighed), then any badge or level it brought.

    Wired after the points handler in api/bootstrap.py, so the points are known."""
    ticket = event.ticket
    if ticket.status != "active":
        return
    tenant = session.get(Tenant, ticket.tenant_id)
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    points = ticket_points(session, ticket.tenant_id, ticket.id)
    names = dict(session.execute(select(Material.code, Material.name_th).where(
        Material.tenant_id == ticket.tenant_id, Material.code.in_({ln.material_code for ln in ticket.lines}))).all())
    lines_th = ", ".join(f"{names.get(ln.material_code, ln.material_code)} "
                         + (f"{_kg(ln.weight_g)} กก." if ln.weight_g else f"{ln.quantity} ชิ้น") for ln in ticket.lines)
    lines_en = ", ".join(f"{ln.material_code} " + (f"{_kg(ln.weight_g)} kg" if ln.weight_g else f"{ln.quantity} pcs")
                         for ln in ticket.lines)
    baht = format_baht(ticket.total_satang)
    record(session, ticket.tenant_id, ticket.household_id, f"ticket:{ticket.id}", Message(
        "ticket_credited", f"รับขยะแล้ว ได้เงิน {baht} บาท และ {points} แต้ม", f"Weigh-in credited: {baht} baht, {points} points",
        f"{format_datetime(ticket.collected_at, tz)} · {lines_th}", f"{format_datetime(ticket.collected_at, tz, 'en')} · {lines_en}",
        {"ticket_id": ticket.id, "amount_satang": ticket.total_satang, "points": points, "weight_g": ticket.weight_g}))
    game_notices.record_awards(session, ticket.tenant_id, ticket.household_id)


def on_pickup_scheduled(session: Session, pickup: PickupRequest, rnd: Round) -> None:
    record(session, pickup.tenant_id, pickup.household_id, f"pickup:{pickup.id}:scheduled:{rnd.id}", _pickup_message(
        "pickup_scheduled", "นัดรับขยะถึงบ้าน", "Pickup scheduled", pickup, rnd.round_date))


def _pickup_message(kind: str, th: str, en: str, pickup: PickupRequest, day: dt.date) -> Message:
    window = f" {pickup.window_start:%H:%M}–{pickup.window_end:%H:%M}" if pickup.window_start and pickup.window_end else ""
    return Message(kind, f"{th} {format_date(day, 'th', 'long')}{window}", f"{en}: {format_date(day, 'en', 'long')}{window}",
                   "เตรียมขยะที่คัดแยกแล้วไว้หน้าบ้าน", "Please have your sorted waste ready at the door",
                   {"pickup_id": pickup.id, "date": day.isoformat()})


def remind_tomorrow(session: Session, tenant: Tenant, now: dt.datetime) -> int:
    """Every pickup scheduled for the tenant's tomorrow gets its reminder (once: keyed by pickup and date)."""
    tomorrow = now.astimezone(zoneinfo.ZoneInfo(tenant.timezone)).date() + dt.timedelta(days=1)
    n = 0
    for pickup in session.scalars(select(PickupRequest).join(Round, Round.id == PickupRequest.round_id).where(
            PickupRequest.tenant_id == tenant.id, PickupRequest.status == "scheduled", Round.round_date == tomorrow)):
        record(session, tenant.id, pickup.household_id, f"pickup:{pickup.id}:reminder:{tomorrow.isoformat()}",
               _pickup_message("pickup_reminder", "พรุ่งนี้รถรับขยะจะมาถึงบ้าน", "Reminder: pickup tomorrow", pickup, tomorrow))
        n += 1
    return n
