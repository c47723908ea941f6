"""Points: the rules (tenant settings over defaults), the points of a weighed line, and the points ledger.

Points are earned only from weigh-ins (never self-reported) and are not money. Every change is an
append-only entry with a unique key, posted together with a conditional UPDATE of the household's
balance row, so balances are sums of entries and a redemption can refuse to go below zero atomically.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.game.models import EARNED_KINDS, HouseholdPoints, PeriodTotal, PointsEntry
from recycle.models import Household

# Defaults a tenant overrides under `Tenant.settings["points"]` (same keys). Integers only.
DEFAULT_RULES: dict[str, Any] = {
    "per_kg": {"recyclable": 10, "organic": 5, "hazardous": 20, "general": 0},
    "per_piece": {"recyclable": 1, "organic": 1, "hazardous": 1, "general": 0},
    "material_per_kg": {},  # material code -> points per kg, instead of its category's
    "material_per_piece": {},
    "grade_a_bonus_pct": 20,  # for grade A of a material that also has lower grades: sorting clean pays
    "monthly_cap": 5000,  # deposit points per household per local month (0 = no cap)
    "streak_bonus": 10,  # per consecutive earlier week with a deposit...
    "streak_max_weeks": 5,  # ...counting at most this many (so at most 50 a week)
}


@dataclass(frozen=True)
class PointRules:
    per_kg: dict[str, int]
    per_piece: dict[str, int]
    material_per_kg: dict[str, int]
    material_per_piece: dict[str, int]
    grade_a_bonus_pct: int
    monthly_cap: int
    streak_bonus: int
    streak_max_weeks: int


def _int(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


def _rates(base: dict[str, int], over: Any, codes: bool = False) -> dict[str, int]:
    """Categories keep only known keys; material maps are keyed by upper-case code."""
    out = dict(base)
    if isinstance(over, dict):
        for k, v in over.items():
            if codes:
                out[str(k).upper()] = _int(v, 0)
            elif k in base:
                out[k] = _int(v, base[k])
    return out


def rules_for(settings: dict | None) -> PointRules:
    """A tenant's rules; a bad value in its settings falls back to the default rather than breaking weigh-ins."""
    over = (settings or {}).get("points") or {}
    over = over if isinstance(over, dict) else {}
    d = DEFAULT_RULES
    return PointRules(
        per_kg=_rates(d["per_kg"], over.get("per_kg")),
        per_piece=_rates(d["per_piece"], over.get("per_piece")),
        material_per_kg=_rates({}, over.get("material_per_kg"), codes=True),
        material_per_piece=_rates({}, over.get("material_per_piece"), codes=True),
        **{k: _int(over.get(k, d[k]), d[k]) for k in ("grade_a_bonus_pct", "monthly_cap", "streak_bonus", "streak_max_weeks")},
    )


@dataclass(frozen=True)
class DepositLine:
    """One weighed line as the game needs it (plain data: the pickup package builds it from a ticket line)."""

    material_code: str
    category: str
    grade: str = "A"
    unit: str = "kg"
    weight_g: int | None = None
    quantity: int | None = None
    co2e_g: int = 0
    has_grades: bool = False  # the material is also bought as B, C...: then A earns the bonus


@dataclass
class DepositInput:
    tenant_id: int
    household_id: int
    ticket_id: int
    occurred_at: dt.datetime
    lines: list[DepositLine] = field(default_factory=list)


def line_points(rules: PointRules, line: DepositLine) -> int:
    """Rounded down, per line: a 50 g line earns nothing rather than a fraction."""
    bonus = rules.grade_a_bonus_pct if line.has_grades and line.grade.upper() == "A" else 0
    code = line.material_code.upper()
    if line.unit == "piece":
        rate = rules.material_per_piece.get(code, rules.per_piece.get(line.category, 0))
        return (line.quantity or 0) * rate * (100 + bonus) // 100
    rate = rules.material_per_kg.get(code, rules.per_kg.get(line.category, 0))
    return (line.weight_g or 0) * rate * (100 + bonus) // 100_000


def preview_points(rules: PointRules, lines: list[DepositLine]) -> int:
    """What a quote would earn before the monthly cap and any streak: the sum of its lines."""
    return sum(line_points(rules, ln) for ln in lines)


def local_date(tz_name: str, instant: dt.datetime) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(tz_name)).date()


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def household_row(session: Session, tenant_id: int, household_id: int, lock: bool = False) -> HouseholdPoints:
    """Get or create the balance row; `lock` serialises everything that moves this household's points."""
    stmt = select(HouseholdPoints).where(HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id == household_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(HouseholdPoints(tenant_id=tenant_id, household_id=household_id, village_id=village_of(household_id)))
    except IntegrityError:
        pass  # another transaction created it first
    return session.scalar(stmt.with_for_update() if lock else stmt)


def village_of(household_id: int):  # noqa: ANN201 - a scalar subquery
    """The household's village, read inside the insert that copies it (no extra round trip)."""
    return select(Household.village_id).where(Household.id == household_id).scalar_subquery()


def find(session: Session, tenant_id: int, key: str) -> PointsEntry | None:
    return session.scalar(select(PointsEntry).where(PointsEntry.tenant_id == tenant_id, PointsEntry.idempotency_key == key))


def post(
    session: Session,
    tenant_id: int,
    household_id: int,
    key: str,
    kind: str,
    points: int,
    day: dt.date,
    *,
    ref: tuple[str, int] | None = None,
    reverses_id: int | None = None,
    memo: str = "",
) -> PointsEntry | None:
    """Append one entry and move the balance row with it; the same key again is the first entry (or nothing if 0)."""
    if not isinstance(points, int) or isinstance(points, bool):
        raise TypeError("points are integers")
    existing = find(session, tenant_id, key)
    if existing is not None or points == 0:
        return existing
    entry = PointsEntry(
        tenant_id=tenant_id,
        household_id=household_id,
        idempotency_key=key,
        kind=kind,
        points=points,
        local_date=day,
        ref_type=ref[0] if ref else None,
        ref_id=ref[1] if ref else None,
        reverses_id=reverses_id,
        memo=memo[:300],
    )
    session.add(entry)
    session.flush()
    earned = points if kind in EARNED_KINDS else 0
    session.execute(
        update(HouseholdPoints)
        .where(HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id == household_id)
        .values(balance=HouseholdPoints.balance + points, lifetime=HouseholdPoints.lifetime + earned, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if earned:
        add_to_periods(session, tenant_id, household_id, day, points=earned, **counters_for(kind, points))
    return entry


def add_weight(session: Session, tenant_id: int, household_id: int, weight_g: int, day: dt.date) -> None:
    if weight_g:
        session.execute(
            update(HouseholdPoints)
            .where(HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id == household_id)
            .values(weight_g=HouseholdPoints.weight_g + weight_g)
            .execution_options(synchronize_session=False)
        )
        add_to_periods(session, tenant_id, household_id, day, weight_g=weight_g)


def period_starts(day: dt.date) -> dict[str, dt.date]:
    return {"week": week_start(day), "month": day.replace(day=1), "year": day.replace(month=1, day=1)}


PERIOD_COUNTERS = ("points", "weight_g", "deposits", "raw_points", "capped_points", "streak_points")
MONTH_KINDS = ("deposit", "void", "cap")  # what the monthly cap counts


def add_to_periods(
    session: Session, tenant_id: int, household_id: int, day: dt.date, points: int = 0, weight_g: int = 0, **counters: int
) -> None:
    """Move the week, month and year totals of `day` (rows made on first use; increments are atomic)."""
    deltas: dict[tuple[str, dt.date], dict[str, int]] = {}
    add_deltas(deltas, day, points=points, weight_g=weight_g, **counters)
    upsert_periods(session, tenant_id, household_id, deltas)


def add_deltas(deltas: dict[tuple[str, dt.date], dict[str, int]], day: dt.date, **amounts: int) -> None:
    """Accumulate `amounts` into the week, month and year of `day` (one upsert later moves them all)."""
    for period, start in period_starts(day).items():
        row = deltas.setdefault((period, start), dict.fromkeys(PERIOD_COUNTERS, 0))
        for k, v in amounts.items():
            row[k] += v


def upsert_periods(
    session: Session, tenant_id: int, household_id: int, deltas: dict[tuple[str, dt.date], dict[str, int]]
) -> None:
    upsert_period_rows(session, tenant_id, {(household_id, *k): v for k, v in deltas.items()})


def upsert_period_rows(session: Session, tenant_id: int, deltas: dict[tuple[int, str, dt.date], dict[str, int]]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE adding every delta (PostgreSQL and SQLite both speak it); keys are
    (household, period, start), sorted so concurrent upserts take row locks in one order. Each row copies its
    household's village (the boards rank a village on it)."""
    rows = [
        {"tenant_id": tenant_id, "household_id": hid, "village_id": village_of(hid), "period": period, "start": start, **amounts}
        for (hid, period, start), amounts in sorted(deltas.items())
        if any(amounts.values())
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(PeriodTotal).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PeriodTotal.tenant_id, PeriodTotal.period, PeriodTotal.start, PeriodTotal.household_id],
        set_={
            "village_id": stmt.excluded.village_id,  # the household's now (boards.household_moved keeps the others)
            **{k: getattr(PeriodTotal, k) + getattr(stmt.excluded, k) for k in PERIOD_COUNTERS},
        },
    )
    session.execute(stmt.execution_options(synchronize_session=False))


def counters_for(kind: str, points: int) -> dict[str, int]:
    """The kept counters an entry of `kind` moves besides earned points."""
    if kind in MONTH_KINDS:
        return {"capped_points": points}
    if kind == "streak":
        return {"streak_points": points}
    return {}


def spend(session: Session, tenant_id: int, household_id: int, points: int) -> bool:
    """Take points only if the balance covers them, in one conditional UPDATE (no read-then-write race)."""
    result = session.execute(
        update(HouseholdPoints)
        .where(
            HouseholdPoints.tenant_id == tenant_id,
            HouseholdPoints.household_id == household_id,
            HouseholdPoints.balance >= points,
        )
        .values(balance=HouseholdPoints.balance - points, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class Summary:
    balance: int
    lifetime: int
    weight_g: int


def summary(session: Session, tenant_id: int, household_id: int) -> Summary:
    row = session.execute(
        select(HouseholdPoints.balance, HouseholdPoints.lifetime, HouseholdPoints.weight_g).where(
            HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id == household_id
        )
    ).first()
    return Summary(*row) if row else Summary(0, 0, 0)


def entries_sum(session: Session, tenant_id: int, household_id: int, earned_only: bool = False) -> int:
    """The balance (or lifetime) recomputed from the entries: what the balance row must always equal."""
    stmt = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.tenant_id == tenant_id, PointsEntry.household_id == household_id
    )
    if earned_only:
        stmt = stmt.where(PointsEntry.kind.in_(EARNED_KINDS))
    return int(session.scalar(stmt))


def ticket_points(session: Session, tenant_id: int, ticket_id: int) -> int:
    """What a weigh-in earned after the monthly cap (0 once voided, or while it waits for approval)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                PointsEntry.tenant_id == tenant_id, PointsEntry.ref_type == "ticket", PointsEntry.ref_id == ticket_id
            )
        )
    )


def statement(tenant_id: int, household_id: int):  # noqa: ANN201
    """The household's entries, newest first (a Select the API pages)."""
    return (
        select(PointsEntry)
        .where(PointsEntry.tenant_id == tenant_id, PointsEntry.household_id == household_id)
        .order_by(PointsEntry.id.desc())
    )
