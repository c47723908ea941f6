"""A collector's day: households visited and missed, kilos per material, value credited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pickup.models import CollectionTicket, PickupRequest, Round, TicketLine
from recycle.models import Tenant


def local_day_bounds(tenant: Tenant, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return tenant.day_bounds(day)


def day_summary(session: Session, tenant: Tenant, collector_user_id: int, day: dt.date) -> dict:
    start, end = local_day_bounds(tenant, day)
    tickets = (
        CollectionTicket.tenant_id == tenant.id,
        CollectionTicket.entered_by_user_id == collector_user_id,
        CollectionTicket.collected_at >= start,
        CollectionTicket.collected_at < end,
        CollectionTicket.status != "voided",
    )
    visited, value, n = session.execute(
        select(
            func.count(func.distinct(CollectionTicket.household_id)),
            func.coalesce(func.sum(CollectionTicket.total_satang), 0),
            func.count(CollectionTicket.id),
        ).where(*tickets)
    ).one()
    materials = session.execute(
        select(
            TicketLine.material_code,
            TicketLine.unit,
            func.coalesce(func.sum(TicketLine.weight_g), 0),
            func.coalesce(func.sum(TicketLine.quantity), 0),
            func.sum(TicketLine.amount_satang),
        )
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .where(*tickets)
        .group_by(TicketLine.material_code, TicketLine.unit)
        .order_by(TicketLine.material_code)
    ).all()
    stops = session.execute(
        select(PickupRequest.status, func.count())
        .join(Round, Round.id == PickupRequest.round_id)
        .where(Round.tenant_id == tenant.id, Round.collector_user_id == collector_user_id, Round.round_date == day)
        .group_by(PickupRequest.status)
    ).all()
    by_status = {s: int(c) for s, c in stops}
    return {
        "date": day,
        "collector_user_id": collector_user_id,
        "tickets": int(n),
        "households_visited": int(visited),
        "pickups_planned": sum(by_status.values()),
        "pickups_collected": by_status.get("collected", 0),
        "pickups_missed": by_status.get("missed", 0),
        "pickups_open": by_status.get("scheduled", 0) + by_status.get("requested", 0),
        "value_satang": int(value),
        "materials": [
            {"material_code": m, "unit": u, "weight_g": int(w), "quantity": int(q), "value_satang": int(a)}
            for m, u, w, q, a in materials
        ],
    }
