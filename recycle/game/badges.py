"""Levels by lifetime points and badges from data-driven definitions, each earned once with its date.

Badges are a list of dicts (a tenant may replace it under `Tenant.settings["badges"]`): a metric, a
threshold and, for material heroes, the material codes or category. Adding a badge is adding a dict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.game.models import BadgeAward, GameDeposit, GameDepositLine, HouseholdPoints, LevelUp
from recycle.game.points import week_start

LEVELS: list[dict[str, Any]] = [
    {"code": "iron", "name_th": "ถังเหล็ก", "name_en": "Iron bin", "min_points": 0},
    {"code": "silver", "name_th": "ถังเงิน", "name_en": "Silver bin", "min_points": 1_000},
    {"code": "gold", "name_th": "ถังทอง", "name_en": "Gold bin", "min_points": 5_000},
]

METRICS = ("deposits", "weight_g", "material_weight_g", "category_weight_g", "category_deposits", "streak_weeks")
BADGES: list[dict[str, Any]] = [
    {"code": "first_deposit", "name_th": "ฝากครั้งแรก", "name_en": "First deposit", "metric": "deposits", "threshold": 1},
    {"code": "deposits_10", "name_th": "ฝากครบ 10 ครั้ง", "name_en": "10 pickups", "metric": "deposits", "threshold": 10},
    {"code": "deposits_50", "name_th": "ฝากครบ 50 ครั้ง", "name_en": "50 pickups", "metric": "deposits", "threshold": 50},
    {"code": "kg_100", "name_th": "ร้อยกิโล", "name_en": "100 kg recycled", "metric": "weight_g", "threshold": 100_000},
    {"code": "tonne", "name_th": "หนึ่งตัน", "name_en": "One tonne recycled", "metric": "weight_g", "threshold": 1_000_000},
    {
        "code": "aluminium_hero",
        "name_th": "ฮีโร่กระป๋องอลูมิเนียม",
        "name_en": "Aluminium hero",
        "metric": "material_weight_g",
        "materials": ["ALU_CAN"],
        "threshold": 10_000,
    },
    {
        "code": "plastic_hero",
        "name_th": "ฮีโร่ขวดพลาสติก",
        "name_en": "Plastic hero",
        "metric": "material_weight_g",
        "materials": ["PET_CLEAR", "PET_COLOUR", "HDPE", "PP"],
        "threshold": 50_000,
    },
    {
        "code": "paper_hero",
        "name_th": "ฮีโร่กระดาษ",
        "name_en": "Paper hero",
        "metric": "material_weight_g",
        "materials": ["CARDBOARD", "PAPER_WHITE", "PAPER_MIXED", "NEWSPAPER", "UHT_CARTON"],
        "threshold": 100_000,
    },
    {
        "code": "glass_hero",
        "name_th": "ฮีโร่แก้ว",
        "name_en": "Glass hero",
        "metric": "material_weight_g",
        "materials": ["GLASS_CLEAR", "GLASS_BROWN", "GLASS_GREEN"],
        "threshold": 50_000,
    },
    {
        "code": "hazardous_hero",
        "name_th": "ฮีโร่ขยะอันตราย",
        "name_en": "Hazardous waste hero",
        "metric": "category_deposits",
        "category": "hazardous",
        "threshold": 3,
    },
    {
        "code": "organic_sorter",
        "name_th": "นักแยกขยะเปียก",
        "name_en": "Organic sorter",
        "metric": "category_weight_g",
        "category": "organic",
        "threshold": 50_000,
    },
    {"code": "streak_4", "name_th": "ฝากต่อเนื่อง 4 สัปดาห์", "name_en": "4-week streak", "metric": "streak_weeks", "threshold": 4},
    {
        "code": "streak_12",
        "name_th": "ฝากต่อเนื่อง 12 สัปดาห์",
        "name_en": "12-week streak",
        "metric": "streak_weeks",
        "threshold": 12,
    },
]


def level_progress(lifetime: int) -> dict[str, Any]:
    """The level reached, the next one and how far along the way (whole per cent)."""
    current = [lv for lv in LEVELS if lifetime >= lv["min_points"]][-1]
    later = [lv for lv in LEVELS if lv["min_points"] > lifetime]
    nxt = later[0] if later else None
    out = {**current, "lifetime": lifetime, "next": nxt, "points_to_next": None, "progress_pct": 100}
    if nxt:
        span = nxt["min_points"] - current["min_points"]
        out["points_to_next"] = nxt["min_points"] - lifetime
        out["progress_pct"] = (lifetime - current["min_points"]) * 100 // span
    return out


def badge_definitions(settings: dict | None) -> list[dict[str, Any]]:
    """A tenant's own list if every entry is usable, else the standard one (a typo must not break weigh-ins)."""
    custom = (settings or {}).get("badges")
    if isinstance(custom, list) and custom and all(_usable(b) for b in custom):
        return custom
    return BADGES


def _usable(b: Any) -> bool:
    return (
        isinstance(b, dict)
        and b.get("metric") in METRICS
        and isinstance(b.get("threshold"), int)
        and all(isinstance(b.get(k), str) for k in ("code", "name_th", "name_en"))
    )


@dataclass
class Stats:
    deposits: int
    weight_g: int
    material_weight_g: dict[str, int]
    category_weight_g: dict[str, int]
    category_deposits: dict[str, int]
    streak_weeks: int


def longest_streak(days: list[dt.date]) -> int:
    weeks = sorted({week_start(d) for d in days})
    best = run = 0
    for i, w in enumerate(weeks):
        run = run + 1 if i and (w - weeks[i - 1]).days == 7 else 1
        best = max(best, run)
    return best


def household_stats(session: Session, tenant_id: int, household_id: int) -> Stats:
    """Three grouped queries over one household's active deposits."""
    active = (GameDeposit.tenant_id == tenant_id, GameDeposit.household_id == household_id, GameDeposit.status == "active")
    days = list(session.scalars(select(GameDeposit.local_date).distinct().where(*active)))
    count, weight = session.execute(select(func.count(), func.coalesce(func.sum(GameDeposit.weight_g), 0)).where(*active)).one()
    rows = session.execute(
        select(
            GameDepositLine.material_code,
            GameDepositLine.category,
            func.coalesce(func.sum(GameDepositLine.weight_g), 0),
            func.count(distinct(GameDepositLine.deposit_id)),
        )
        .join(GameDeposit, GameDeposit.id == GameDepositLine.deposit_id)
        .where(*active)
        .group_by(GameDepositLine.material_code, GameDepositLine.category)
    ).all()
    by_material: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for code, category, grams, _ in rows:
        by_material[code] = by_material.get(code, 0) + int(grams)
        by_category[category] = by_category.get(category, 0) + int(grams)
    cat_deposits = dict(
        session.execute(
            select(GameDepositLine.category, func.count(distinct(GameDepositLine.deposit_id)))
            .join(GameDeposit, GameDeposit.id == GameDepositLine.deposit_id)
            .where(*active)
            .group_by(GameDepositLine.category)
        ).all()
    )
    return Stats(
        int(count), int(weight), by_material, by_category, {k: int(v) for k, v in cat_deposits.items()}, longest_streak(days)
    )


def badge_value(defn: dict[str, Any], stats: Stats) -> int:
    metric = defn["metric"]
    if metric == "material_weight_g":
        return sum(stats.material_weight_g.get(code, 0) for code in defn.get("materials", []))
    if metric in ("category_weight_g", "category_deposits"):
        return getattr(stats, metric).get(defn.get("category"), 0)
    return int(getattr(stats, metric))


def award_badges(
    session: Session, tenant_id: int, household_id: int, settings: dict | None, now: dt.datetime | None = None
) -> list[int]:
    """Award every badge newly reached; returns the new award ids (to notify). Earned badges are kept after a void."""
    defs = badge_definitions(settings)
    have = set(
        session.scalars(
            select(BadgeAward.badge_code).where(BadgeAward.tenant_id == tenant_id, BadgeAward.household_id == household_id)
        )
    )
    todo = [d for d in defs if d["code"] not in have]
    if not todo:
        return []
    stats = household_stats(session, tenant_id, household_id)
    new: list[int] = []
    for d in todo:
        if badge_value(d, stats) >= int(d["threshold"]):
            award = _insert_once(
                session,
                BadgeAward(tenant_id=tenant_id, household_id=household_id, badge_code=d["code"], awarded_at=now or utcnow()),
            )
            if award is not None:
                new.append(award.id)
    return new


def award_from_counters(
    session: Session,
    tenant_id: int,
    household_id: int,
    settings: dict | None,
    stats: Stats,
    have: set[str],
    now: dt.datetime | None = None,
) -> list[int]:
    """As `award_badges`, against kept counters and the kept set of badges held (`have` gains what is awarded)."""
    new: list[int] = []
    for d in badge_definitions(settings):
        if d["code"] in have or badge_value(d, stats) < int(d["threshold"]):
            continue
        award = _insert_once(
            session, BadgeAward(tenant_id=tenant_id, household_id=household_id, badge_code=d["code"], awarded_at=now or utcnow())
        )
        have.add(d["code"])  # awarded now, or already (by a transaction the counters had not seen)
        if award is not None:
            new.append(award.id)
    return new


def level_crossed(before: int, after: int) -> bool:
    """Whether lifetime points passed a level's threshold (only then is `check_level_ups` worth its queries)."""
    return any(before < lv["min_points"] <= after for lv in LEVELS if lv["min_points"] > 0)


def check_level_ups(
    session: Session, tenant_id: int, household_id: int, now: dt.datetime | None = None, lifetime: int | None = None
) -> list[int]:
    """Record each level reached for the first time; returns the new ids (to notify). `lifetime` if the caller knows it."""
    if lifetime is None:
        lifetime = (
            session.scalar(
                select(HouseholdPoints.lifetime).where(
                    HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id == household_id
                )
            )
            or 0
        )
    reached = [lv["code"] for lv in LEVELS if lv["min_points"] > 0 and lifetime >= lv["min_points"]]
    if not reached:
        return []
    have = set(
        session.scalars(select(LevelUp.level_code).where(LevelUp.tenant_id == tenant_id, LevelUp.household_id == household_id))
    )
    new = []
    for code in reached:
        if code not in have:
            row = _insert_once(
                session, LevelUp(tenant_id=tenant_id, household_id=household_id, level_code=code, reached_at=now or utcnow())
            )
            if row is not None:
                new.append(row.id)
    return new


def _insert_once(session: Session, row: Any) -> Any:
    """The unique constraint decides when two transactions award the same thing at once."""
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return None
