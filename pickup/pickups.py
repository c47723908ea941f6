"""Pickup requests: a household asking for a pickup at home, and the only moves its status may make.

Plain service functions (session + principal), so the API, the weigh-in code and tasks share one set of rules.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pickup import visibility
from pickup.models import PICKUP_TRANSITIONS, PickupEvent, PickupRequest, RoundStop
from pricing.models import Material
from recycle import audit
from recycle.db import utcnow
from recycle.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from recycle.locking import for_update, get_for_update
from recycle.models import Household, Tenant
from recycle.principal import Principal

MAX_DAYS_AHEAD = 60
MAX_ESTIMATED_G = 1_000_000
OPEN = ("requested", "scheduled")  # what "one open pickup per date" and the QR scan mean by open


@dataclass
class EstimateInput:
    material_code: str
    estimated_g: int


@dataclass
class PickupInput:
    requested_date: dt.date
    household_id: int | None = None
    client_id: str | None = None
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    lat: float | None = None
    lng: float | None = None
    estimated: list[EstimateInput] = field(default_factory=list)
    note: str = ""


def local_today(tenant: Tenant, now: dt.datetime | None = None) -> dt.date:
    """The business day in the tenant's zone (`Tenant.local_date`)."""
    return tenant.local_date(now)


def _household(session: Session, principal: Principal, household_id: int | None) -> Household:
    if principal.role == "household":
        if household_id is not None and household_id != principal.household_id:
            raise InvalidInput.field("household_id", "a household can ask for a pickup for itself only")
        household_id = principal.household_id
    elif not principal.is_staff:
        raise Forbidden(f"a {principal.role} may not ask for pickups")
    elif household_id is None:
        raise InvalidInput.field("household_id", "required: the member the pickup is for")
    household = session.get(Household, household_id) if household_id else None
    if household is None or household.tenant_id != principal.tenant_id:
        raise InvalidInput.field("household_id", "no such household")
    if not household.active:
        raise InvalidInput.field("household_id", "this household is no longer active")
    return household


def _values(household: Household, data: PickupInput) -> dict[str, Any]:
    """The request as it will be stored: what a retry with the same client_id is compared against."""
    if (data.lat is None) != (data.lng is None):
        raise InvalidInput("give both lat and lng, or neither", {"lat": ["lat and lng go together"]})
    lat, lng = (data.lat, data.lng) if data.lat is not None else (household.lat, household.lng)
    return {
        "household_id": household.id,
        "requested_date": data.requested_date,
        "window_start": data.window_start,
        "window_end": data.window_end,
        "lat": None if lat is None else round(lat, 6),
        "lng": None if lng is None else round(lng, 6),
        "estimated": [
            {"material_code": (e.material_code or "").strip().upper(), "estimated_g": e.estimated_g} for e in data.estimated
        ],
        "note": (data.note or "").strip(),
    }


def _same(pickup: PickupRequest, values: dict[str, Any]) -> bool:
    for key, want in values.items():
        have = getattr(pickup, key)
        if key in ("lat", "lng") and have is not None and want is not None:
            if not math.isclose(have, want, abs_tol=1e-6):
                return False
        elif have != want:
            return False
    return True


def _replay(pickup: PickupRequest, values: dict[str, Any]) -> PickupRequest:
    if not _same(pickup, values):
        msg = "this client_id was already used for a different pickup request"
        raise Conflict(msg, {"client_id": [msg]}, code="idempotency_conflict")
    return pickup


def _by_client_id(session: Session, tenant_id: int, client_id: str) -> PickupRequest | None:
    return session.scalar(select(PickupRequest).where(PickupRequest.tenant_id == tenant_id, PickupRequest.client_id == client_id))


def _check(session: Session, tenant: Tenant, values: dict[str, Any]) -> None:
    today, day = local_today(tenant), values["requested_date"]
    if day < today:
        raise InvalidInput.field("requested_date", f"is in the past (today is {today.isoformat()})")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput.field("requested_date", f"at most {MAX_DAYS_AHEAD} days ahead")
    start, end = values["window_start"], values["window_end"]
    if start is not None and end is not None and start >= end:
        raise InvalidInput.field("window_end", "must be later than window_start")
    codes = [e["material_code"] for e in values["estimated"]]
    known = {
        m.code: m
        for m in session.scalars(select(Material).where(Material.tenant_id == tenant.id, Material.code.in_(sorted(set(codes)))))
    }
    errors = FieldErrors()
    for i, line in enumerate(values["estimated"]):
        code, material = line["material_code"], known.get(line["material_code"])
        if material is None:
            errors[f"estimated.{i}.material_code"] = [f"unknown material {code!r}"]
        elif not material.active:
            errors[f"estimated.{i}.material_code"] = [f"{code} is no longer bought"]
        elif code in codes[:i]:
            errors[f"estimated.{i}.material_code"] = [f"{code} is listed twice"]
        if not 1 <= line["estimated_g"] <= MAX_ESTIMATED_G:
            errors[f"estimated.{i}.estimated_g"] = [f"between 1 and {MAX_ESTIMATED_G} grams"]
    if errors:
        raise InvalidInput("some estimated materials are not right", errors)


def create(session: Session, principal: Principal, data: PickupInput) -> tuple[PickupRequest, bool]:
    """The pickup and whether it is new; a retry with the same client_id and payload gets the first one back."""
    tenant = session.get(Tenant, principal.tenant_id)
    household = _household(session, principal, data.household_id)
    # Serializes one household's requests, so two taps cannot both pass the one-per-date check.
    session.execute(select(Household.id).where(Household.id == household.id).with_for_update())
    values = _values(household, data)
    if data.client_id:
        first = _by_client_id(session, tenant.id, data.client_id)
        if first is not None:
            return _replay(first, values), False
    _check(session, tenant, values)
    clash = session.scalar(
        select(PickupRequest.id).where(
            PickupRequest.tenant_id == tenant.id,
            PickupRequest.household_id == household.id,
            PickupRequest.requested_date == values["requested_date"],
            PickupRequest.status.in_(OPEN),
        )
    )
    if clash is not None:
        msg = f"this household already has an open pickup (#{clash}) on {values['requested_date'].isoformat()}"
        raise Conflict(msg, {"requested_date": [msg]}, code="pickup_exists")
    pickup = PickupRequest(
        tenant_id=tenant.id,
        client_id=data.client_id,
        requested_by_user_id=principal.user_id,
        status="requested",
        status_changed_at=utcnow(),
        **values,
    )
    pickup.record("requested", pickup.status_changed_at, principal.user_id)
    try:
        with session.begin_nested():
            session.add(pickup)
            session.flush()
    except IntegrityError:  # the same client_id inserted at the same instant by another household or node
        first = _by_client_id(session, tenant.id, data.client_id) if data.client_id else None
        if first is None:
            raise
        return _replay(first, values), False
    audit.record(session, "pickup.request", principal=principal, target=("pickup", pickup.id))
    return pickup, True


def transition(
    pickup: PickupRequest, to: str, *, reason: str = "", when: dt.datetime | None = None, by_user_id: int | None = None
) -> None:
    """The one place a status changes: only along PICKUP_TRANSITIONS, anything else is a 409."""
    if to not in PICKUP_TRANSITIONS[pickup.status]:
        msg = f"a {pickup.status} pickup cannot become {to}"
        raise Conflict(msg, {"status": [msg]}, code="pickup_transition")
    pickup.status, pickup.status_reason, pickup.status_changed_at = to, reason[:300], when or utcnow()
    pickup.record(to, pickup.status_changed_at, by_user_id)


def leave_round(session: Session, pickup: PickupRequest) -> None:
    """Take the pickup off its round and close the gap, so positions stay 1..n."""
    stop = session.scalar(select(RoundStop).where(RoundStop.tenant_id == pickup.tenant_id, RoundStop.pickup_id == pickup.id))
    if stop is not None:
        rnd = stop.round
        rnd.stops.remove(stop)
        for i, s in enumerate(sorted(rnd.stops, key=lambda s: s.position), 1):
            s.position = i
    pickup.round_id = None
    session.flush()


def timeline(session: Session, pickup: PickupRequest) -> list[PickupEvent]:
    """The pickup's status changes, oldest first."""
    return list(
        session.scalars(
            select(PickupEvent)
            .where(PickupEvent.tenant_id == pickup.tenant_id, PickupEvent.pickup_id == pickup.id)
            .order_by(PickupEvent.at, PickupEvent.id)
        )
    )


def get(session: Session, principal: Principal, pickup_id: int, lock: bool = False) -> PickupRequest:
    """Another household's pickup, or one not on a collector's rounds, is a 404 like another tenant's.

    `lock`: before a status change, lock the row and re-read it (a weigh-in or planner may have moved it)."""
    stmt = select(PickupRequest).where(PickupRequest.id == pickup_id, visibility.pickups(principal))
    pickup = session.scalar(for_update(stmt, PickupRequest) if lock else stmt)
    if pickup is None:
        raise NotFound("no such pickup request")
    return pickup


def list_query(
    principal: Principal, status: str | None = None, day: dt.date | None = None, village_id: int | None = None
) -> Select:
    """Own (household), on my rounds (collector) or all (staff); newest date first."""
    stmt = select(PickupRequest).where(visibility.pickups(principal))
    if status:
        stmt = stmt.where(PickupRequest.status == status)
    if day:
        stmt = stmt.where(PickupRequest.requested_date == day)
    if village_id:
        stmt = stmt.where(
            PickupRequest.household_id.in_(
                select(Household.id).where(Household.tenant_id == principal.tenant_id, Household.village_id == village_id)
            )
        )
    return stmt.order_by(PickupRequest.requested_date.desc(), PickupRequest.id.desc())


def cancel(session: Session, principal: Principal, pickup_id: int, reason: str = "") -> PickupRequest:
    """A household cancels its own (until collected), staff any; the stop leaves its round."""
    principal.require("household", "staff", "admin")
    pickup = get(session, principal, pickup_id, lock=True)
    transition(pickup, "cancelled", reason=reason.strip(), by_user_id=principal.user_id)
    leave_round(session, pickup)
    audit.record(session, "pickup.cancel", principal=principal, target=("pickup", pickup.id), reason=reason)
    return pickup


def mark_missed(session: Session, principal: Principal, pickup_id: int, reason: str) -> PickupRequest:
    """Nobody home: the stop stays on the round (the collector's record); staff may re-plan it."""
    principal.require("collector", "staff", "admin")
    pickup = get(session, principal, pickup_id, lock=True)
    if not reason.strip():
        raise InvalidInput.field("reason", "say why it was missed")
    transition(pickup, "missed", reason=reason.strip(), by_user_id=principal.user_id)
    session.flush()
    audit.record(session, "pickup.missed", principal=principal, target=("pickup", pickup.id), reason=reason)
    return pickup


def mark_collected(session: Session, pickup: PickupRequest, when: dt.datetime, by_user_id: int | None = None) -> PickupRequest:
    """Called by the weigh-in: collected at `when`. Idempotent (a synced retry), never for a cancelled one."""
    pickup = get_for_update(session, PickupRequest, pickup.id, pickup.tenant_id) or pickup
    if pickup.status == "collected":
        return pickup
    if pickup.status == "cancelled":
        msg = "this pickup was cancelled; it cannot be collected"
        raise Conflict(msg, {"pickup_id": [msg]}, code="pickup_transition")
    transition(pickup, "collected", when=when, by_user_id=by_user_id)
    session.flush()
    return pickup


def open_pickup_for(session: Session, tenant_id: int, household_id: int, today: dt.date | None = None) -> PickupRequest | None:
    """The household's open pickup nearest to today (the one a collector at the door means)."""
    rows = list(
        session.scalars(
            select(PickupRequest).where(
                PickupRequest.tenant_id == tenant_id, PickupRequest.household_id == household_id, PickupRequest.status.in_(OPEN)
            )
        )
    )
    if not rows:
        return None
    if today is None:
        tenant = session.get(Tenant, tenant_id)
        today = local_today(tenant) if tenant else utcnow().date()
    return min(rows, key=lambda p: (abs((p.requested_date - today).days), p.requested_date, p.id))
