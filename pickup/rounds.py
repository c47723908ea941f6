"""Rounds: a collector's pickups for one local day, in the order pickup.route finds from the centre."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pickup import notice_hooks, visibility
from pickup import pickups as pickup_requests
from pickup.models import PickupRequest, Round, RoundStatus, RoundStop
from pickup.route import Point, Stop, order_stops, path_length_m
from recycle import audit
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.locking import for_update, lock_many
from recycle.models import Household, Tenant, User, Village
from recycle.principal import Principal

PLANNABLE = ("requested", "missed")  # missed ones come back on a later round
DONE = ("collected", "missed")  # stops the collector has already been to


@dataclass
class RoundInput:
    collector_user_id: int
    round_date: dt.date
    pickup_ids: list[int] | None = None
    village_ids: list[int] | None = None


def _centre(tenant: Tenant) -> Point | None:
    if tenant.centre_lat is None or tenant.centre_lng is None:
        return None
    return (tenant.centre_lat, tenant.centre_lng)


def _point(p: PickupRequest) -> Point | None:
    return None if p.lat is None or p.lng is None else (p.lat, p.lng)


def _route(start: Point | None, pickups: list[PickupRequest]) -> list[PickupRequest]:
    """Located pickups routed from `start`; unlocated ones last, grouped by the household's village."""
    by_id = {p.id: p for p in pickups}
    stops = [Stop(p.id, p.lat, p.lng, p.household.village.name_th) for p in pickups]
    return [by_id[k] for k in order_stops(start, stops)]


def ordered(rnd: Round) -> list[RoundStop]:
    return sorted(rnd.stops, key=lambda s: s.position)


def route_length_m(tenant: Tenant, rnd: Round) -> int:
    """Metres from the centre through the located stops in their current order (straight lines)."""
    points = [pt for s in ordered(rnd) if (pt := _point(s.pickup)) is not None]
    return round(path_length_m(_centre(tenant), points)) if points else 0


def _lock(session: Session, tenant_id: int, ids: list[int]) -> dict[int, PickupRequest]:
    """Row locks in id order, so two staff planning at once queue instead of double-booking a pickup.
    The rows are re-read under the lock: a status already in the session may be stale."""
    return lock_many(session, PickupRequest, ids, tenant_id)


def _claim(
    session: Session, tenant_id: int, rnd: Round, pickup_ids: list[int], by_user_id: int | None = None
) -> list[PickupRequest]:
    """Check every pickup can join this round (422 for unknown, 409 for taken), then schedule them on it."""
    if len(set(pickup_ids)) != len(pickup_ids):
        raise InvalidInput.field("pickup_ids", "each pickup once")
    found = _lock(session, tenant_id, pickup_ids)
    unknown = [i for i in pickup_ids if i not in found]
    if unknown:
        raise InvalidInput.field("pickup_ids", f"no such pickup request: {', '.join(map(str, unknown))}")
    taken = []
    for pid in pickup_ids:
        p = found[pid]
        if p.status not in PLANNABLE:
            taken.append(f"pickup {pid} is {p.status}" + (f" on round {p.round_id}" if p.round_id else ""))
        elif p.status == "requested" and p.round_id is not None and p.round_id != rnd.id:
            taken.append(f"pickup {pid} is already on round {p.round_id}")
    if taken:
        raise Conflict("some pickups cannot go on this round: " + "; ".join(taken), {"pickup_ids": taken}, code="pickup_taken")
    pickups = [found[pid] for pid in pickup_ids]
    for p in pickups:
        if p.round_id is not None:  # a missed pickup leaves its old round's list
            pickup_requests.leave_round(session, p)
        pickup_requests.transition(p, "scheduled", by_user_id=by_user_id)
        p.round_id = rnd.id
        notice_hooks.on_pickup_scheduled(session, p, rnd)  # no "pickup scheduled" event exists yet
    return pickups


def _append(rnd: Round, pickups: list[PickupRequest]) -> None:
    start = len(rnd.stops)
    for i, p in enumerate(pickups, start + 1):
        rnd.stops.append(RoundStop(tenant_id=rnd.tenant_id, pickup_id=p.id, position=i, pickup=p))


def _village_pickups(session: Session, tenant_id: int, day: dt.date, village_ids: list[int]) -> list[int]:
    known = set(session.scalars(select(Village.id).where(Village.tenant_id == tenant_id, Village.id.in_(village_ids))))
    unknown = [v for v in village_ids if v not in known]
    if unknown:
        raise InvalidInput.field("village_ids", f"no such village: {', '.join(map(str, unknown))}")
    ids = list(
        session.scalars(
            select(PickupRequest.id)
            .join(Household, Household.id == PickupRequest.household_id)
            .where(
                PickupRequest.tenant_id == tenant_id,
                PickupRequest.status == "requested",
                PickupRequest.round_id.is_(None),
                PickupRequest.requested_date == day,
                Household.village_id.in_(village_ids),
            )
            .order_by(PickupRequest.id)
        )
    )
    if not ids:
        raise InvalidInput.field("village_ids", f"no requested pickups on {day.isoformat()} in these villages")
    return ids


def plan(session: Session, principal: Principal, data: RoundInput) -> Round:
    """Staff plan a collector's day: hand-picked pickups, or every requested one of that date in some villages."""
    principal.require("staff", "admin")
    tenant = session.get(Tenant, principal.tenant_id)
    collector = session.get(User, data.collector_user_id)
    if collector is None or collector.tenant_id != tenant.id or collector.role != "collector" or not collector.active:
        raise InvalidInput.field("collector_user_id", "not an active collector of this waste bank")
    today = pickup_requests.local_today(tenant)
    if data.round_date < today:
        raise InvalidInput.field("round_date", "is in the past")
    if data.round_date > today + dt.timedelta(days=pickup_requests.MAX_DAYS_AHEAD):
        raise InvalidInput.field("round_date", f"at most {pickup_requests.MAX_DAYS_AHEAD} days ahead")
    if bool(data.pickup_ids) == bool(data.village_ids):
        msg = "give pickup_ids or village_ids (exactly one of them)"
        raise InvalidInput(msg, {"pickup_ids": [msg]})
    ids = data.pickup_ids or _village_pickups(session, tenant.id, data.round_date, data.village_ids or [])
    rnd = Round(
        tenant_id=tenant.id,
        collector_user_id=collector.id,
        round_date=data.round_date,
        status="planned",
        created_by_user_id=principal.user_id,
    )
    session.add(rnd)
    session.flush()
    pickups = _claim(session, tenant.id, rnd, ids, principal.user_id)
    _append(rnd, _route(_centre(tenant), pickups))
    session.flush()
    audit.record(session, "round.plan", principal=principal, target=("round", rnd.id), stops=len(ids))
    return rnd


def collectors_query(tenant_id: int) -> Select:
    """The tenant's active collectors by name: staff plan a round by picking a person, not a user id."""
    return (
        select(User)
        .where(User.tenant_id == tenant_id, User.role == "collector", User.active.is_(True))
        .order_by(User.name, User.id)
    )


def get(session: Session, principal: Principal, round_id: int, lock: bool = False) -> Round:
    """Staff see every round of the tenant; a collector only its own (another's is a 404).
    `lock` before changing its stops: a handover completing the round meanwhile is then seen."""
    stmt = select(Round).where(Round.id == round_id, visibility.rounds(principal))
    rnd = session.scalar(for_update(stmt, Round) if lock else stmt)
    if rnd is None:
        raise NotFound("no such round")
    return rnd


def list_query(principal: Principal, day: dt.date | None = None, collector_user_id: int | None = None) -> Select:
    stmt = select(Round).where(visibility.rounds(principal))
    if day:
        stmt = stmt.where(Round.round_date == day)
    if collector_user_id:
        stmt = stmt.where(Round.collector_user_id == collector_user_id)
    return stmt.order_by(Round.round_date.desc(), Round.id.desc())


def start(session: Session, principal: Principal, round_id: int) -> Round:
    """The collector sets out (or staff say so): planned -> in_progress. Again, or later, changes nothing."""
    principal.require("collector", "staff", "admin")
    rnd = get(session, principal, round_id, lock=True)
    if rnd.status == RoundStatus.PLANNED:
        rnd.status = RoundStatus.IN_PROGRESS
        audit.record(session, "round.start", principal=principal, target=("round", rnd.id))
    return rnd


def _editable(rnd: Round) -> None:
    if rnd.status == "completed":
        raise Conflict("this round is completed; its stops can no longer change", code="round_completed")


def add_stops(session: Session, principal: Principal, round_id: int, pickup_ids: list[int]) -> Round:
    """New pickups go after the current last stop, routed from it; reoptimize to shuffle the whole round."""
    principal.require("staff", "admin")
    rnd = get(session, principal, round_id, lock=True)
    _editable(rnd)
    pickups = _claim(session, rnd.tenant_id, rnd, pickup_ids, principal.user_id)
    located = [pt for s in ordered(rnd) if (pt := _point(s.pickup)) is not None]
    start = located[-1] if located else _centre(session.get(Tenant, rnd.tenant_id))
    _append(rnd, _route(start, pickups))
    session.flush()
    audit.record(session, "round.add_stops", principal=principal, target=("round", rnd.id), pickup_ids=pickup_ids)
    return rnd


def reorder(session: Session, principal: Principal, round_id: int, pickup_ids: list[int]) -> Round:
    """The collector knows the lanes better than a straight line: any permutation of the stops is taken."""
    rnd = get(session, principal, round_id, lock=True)
    _editable(rnd)
    current = {s.pickup_id: s for s in rnd.stops}
    missing = [pid for pid in current if pid not in pickup_ids]
    extra = [pid for pid in pickup_ids if pid not in current]
    if missing or extra or len(set(pickup_ids)) != len(pickup_ids):
        parts = (
            ([f"missing {', '.join(map(str, sorted(missing)))}"] if missing else [])
            + ([f"not on this round {', '.join(map(str, extra))}"] if extra else [])
            + (["a pickup is listed twice"] if len(set(pickup_ids)) != len(pickup_ids) else [])
        )
        raise InvalidInput.field("pickup_ids", "give every stop of the round exactly once: " + "; ".join(parts))
    for i, pid in enumerate(pickup_ids, 1):
        current[pid].position = i
    session.flush()
    audit.record(session, "round.reorder", principal=principal, target=("round", rnd.id))
    return rnd


def reoptimize(session: Session, principal: Principal, round_id: int) -> Round:
    """Re-run the ordering for the stops still to visit, from the last one visited (or the centre)."""
    rnd = get(session, principal, round_id, lock=True)
    _editable(rnd)
    stops = ordered(rnd)
    done = [s for s in stops if s.pickup.status in DONE]
    todo = [s for s in stops if s.pickup.status not in DONE]
    visited = [pt for s in done if (pt := _point(s.pickup)) is not None]
    start = visited[-1] if visited else _centre(session.get(Tenant, rnd.tenant_id))
    by_pickup = {s.pickup_id: s for s in todo}
    new_order = done + [by_pickup[p.id] for p in _route(start, [s.pickup for s in todo])]
    for i, s in enumerate(new_order, 1):
        s.position = i
    session.flush()
    return rnd
