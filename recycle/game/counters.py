"""Counters a household's badges are checked against, kept by each deposit and void.

Checking badges used to re-aggregate a member's whole history on every weigh-in, so weighing got
slower as a member kept coming. The same figures are now kept in `household_points.stats` (JSON,
moved under the household's row lock) and in extra columns of the period totals (deposits, points
before the cap, cap and streak entries per week/month). A household whose counters were never built
(NULL: it deposited before they existed) gets them built once from its history.

Keys: n deposits, w grams, m grams per material, c grams per category, cd deposits per category,
ls longest run of weeks with a deposit, b badge codes held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from recycle.game import badges
from recycle.game.models import BadgeAward, GameDeposit, PeriodTotal, PointsEntry
from recycle.game.points import MONTH_KINDS, add_deltas, counters_for, upsert_periods, week_start


def build(session: Session, tenant_id: int, household_id: int) -> dict[str, Any]:
    """From history, once per household (its period counters too). Call under the household's lock."""
    st = badges.household_stats(session, tenant_id, household_id)
    have = sorted(
        session.scalars(
            select(BadgeAward.badge_code).where(BadgeAward.tenant_id == tenant_id, BadgeAward.household_id == household_id)
        )
    )
    _rebuild_periods(session, tenant_id, household_id)
    return {
        "n": st.deposits,
        "w": st.weight_g,
        "m": st.material_weight_g,
        "c": st.category_weight_g,
        "cd": st.category_deposits,
        "ls": st.streak_weeks,
        "b": have,
    }


def _rebuild_periods(session: Session, tenant_id: int, household_id: int) -> None:
    mine = (PeriodTotal.tenant_id == tenant_id, PeriodTotal.household_id == household_id)
    session.execute(
        update(PeriodTotal)
        .where(*mine)
        .values(deposits=0, raw_points=0, capped_points=0, streak_points=0)
        .execution_options(synchronize_session=False)
    )
    deltas: dict = {}
    for day, n, raw in session.execute(
        select(GameDeposit.local_date, func.count(), func.coalesce(func.sum(GameDeposit.raw_points), 0))
        .where(GameDeposit.tenant_id == tenant_id, GameDeposit.household_id == household_id, GameDeposit.status == "active")
        .group_by(GameDeposit.local_date)
    ):
        add_deltas(deltas, day, deposits=int(n), raw_points=int(raw))
    for kind, day, pts in session.execute(
        select(PointsEntry.kind, PointsEntry.local_date, func.sum(PointsEntry.points))
        .where(
            PointsEntry.tenant_id == tenant_id,
            PointsEntry.household_id == household_id,
            PointsEntry.kind.in_((*MONTH_KINDS, "streak")),
        )
        .group_by(PointsEntry.kind, PointsEntry.local_date)
    ):
        add_deltas(deltas, day, **counters_for(kind, int(pts)))
    upsert_periods(session, tenant_id, household_id, deltas)


def moved(counters: dict[str, Any], lines: Iterable[Any], sign: int) -> dict[str, Any]:
    """A new dict with one deposit's lines added (sign 1) or taken away (sign -1); `ls` is left to the caller."""
    out = {**counters, "m": dict(counters["m"]), "c": dict(counters["c"]), "cd": dict(counters["cd"])}
    out["n"] += sign
    categories = set()
    for ln in lines:
        grams = ln.weight_g or 0
        out["w"] += sign * grams
        out["m"][ln.material_code] = out["m"].get(ln.material_code, 0) + sign * grams
        out["c"][ln.category] = out["c"].get(ln.category, 0) + sign * grams
        categories.add(ln.category)
    for cat in categories:
        out["cd"][cat] = out["cd"].get(cat, 0) + sign
    return out


def as_stats(counters: dict[str, Any]) -> badges.Stats:
    return badges.Stats(counters["n"], counters["w"], counters["m"], counters["c"], counters["cd"], counters["ls"])


def run_through(weeks: set[dt.date], week: dt.date) -> int:
    """Consecutive weeks with a deposit around `week` (which has one), within the weeks given."""
    n, w = 1, week - dt.timedelta(weeks=1)
    while w in weeks:
        n, w = n + 1, w - dt.timedelta(weeks=1)
    w = week + dt.timedelta(weeks=1)
    while w in weeks:
        n, w = n + 1, w + dt.timedelta(weeks=1)
    return n


def longest_now(session: Session, tenant_id: int, household_id: int) -> int:
    """Exactly, from history: after a void (rare) the longest run may have shrunk."""
    days = list(
        session.scalars(
            select(GameDeposit.local_date)
            .distinct()
            .where(GameDeposit.tenant_id == tenant_id, GameDeposit.household_id == household_id, GameDeposit.status == "active")
        )
    )
    return badges.longest_streak(days)


def streak_horizon(settings: dict | None) -> int:
    """How many weeks either side a run must be seen to decide every streak badge."""
    return max([int(d["threshold"]) for d in badges.badge_definitions(settings) if d["metric"] == "streak_weeks"] or [0])


__all__ = ["build", "moved", "as_stats", "run_through", "longest_now", "streak_horizon", "week_start"]
