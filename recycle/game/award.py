"""Awarding weigh-ins, one or a synced batch of them, in a fixed number of statements.

The month's cap and the streaks of the weeks a deposit can move are reconciled from kept period
counters (one indexed read of a few dozen rows per batch), not by summing history; the entries go in
one insert, the period totals in one upsert, the balance rows in one executemany; badges are checked
against kept counters (recycle.game.counters). A batch is processed in the order given, in memory,
exactly as the same deposits awarded one after another would be: each sees the counters the ones
before it left. So a weigh-in costs the same whatever the member's history or an open challenge's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.game import badges, challenges, counters, points
from recycle.game.models import GameDeposit, GameDepositLine, HouseholdPoints, PeriodTotal, PointsEntry
from recycle.game.points import DepositInput, PointRules
from recycle.models import Household, Tenant

KEPT = ("deposits", "raw_points", "capped_points", "streak_points")


def month_target(raw_total: int, rules: PointRules) -> int:
    return min(raw_total, rules.monthly_cap) if rules.monthly_cap > 0 else raw_total


def streak_bonus(weeks: set[dt.date], week: dt.date, rules: PointRules) -> int:
    """bonus × the consecutive earlier weeks with a deposit (at most `streak_max_weeks`), if this week has one."""
    if week not in weeks:
        return 0
    n = 0
    while n < rules.streak_max_weeks and week - dt.timedelta(weeks=n + 1) in weeks:
        n += 1
    return rules.streak_bonus * n


def lock_households(
    session: Session, tenant_id: int, household_ids: list[int], ticket_ids: list[int], first_day: dt.date, last_day: dt.date
) -> tuple[dict[int, HouseholdPoints], bool, bool]:
    """Balance rows locked in household order and read afresh (other code moves them with plain UPDATEs), whether
    the game saw any of these tickets already, and whether a challenge runs in the days: one query."""
    seen = select(GameDeposit.id).where(GameDeposit.tenant_id == tenant_id, GameDeposit.ticket_id.in_(ticket_ids)).exists()
    running = (
        select(challenges.Challenge.id)
        .where(
            challenges.Challenge.tenant_id == tenant_id,
            challenges.Challenge.start_date <= last_day,
            challenges.Challenge.end_date >= first_day,
        )
        .exists()
    )
    stmt = (
        select(HouseholdPoints, seen.label("seen"), running.label("running"))
        .where(HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id.in_(household_ids))
        .order_by(HouseholdPoints.household_id)
        .with_for_update(of=HouseholdPoints)
        .execution_options(populate_existing=True)
    )
    found = session.execute(stmt).all()
    if len(found) < len(household_ids):
        have = {r[0].household_id for r in found}
        for hid in household_ids:
            if hid not in have:
                points.household_row(session, tenant_id, hid)
        found = session.execute(stmt).all()
    return {r[0].household_id: r[0] for r in found}, any(r[1] for r in found), any(r[2] for r in found)


def award_deposits(session: Session, deps: list[DepositInput], now: dt.datetime | None = None) -> dict[int, Any]:
    """ticket id -> GameEvents for each deposit awarded now (a ticket the game already saw is left out)."""
    from recycle.game.deposits import GameEvents

    if not deps:
        return {}
    now = now or utcnow()
    tenant = session.get(Tenant, deps[0].tenant_id)
    tid, rules = tenant.id, points.rules_for(tenant.settings)
    day_of = {d.ticket_id: points.local_date(tenant.timezone, d.occurred_at) for d in deps}
    hids = sorted({d.household_id for d in deps})
    rows, any_seen, running = lock_households(session, tid, hids, sorted(day_of), min(day_of.values()), max(day_of.values()))
    seen = (
        set(
            session.scalars(
                select(GameDeposit.ticket_id).where(GameDeposit.tenant_id == tid, GameDeposit.ticket_id.in_(list(day_of)))
            )
        )
        if any_seen
        else set()
    )
    todo = []
    for d in deps:
        if d.ticket_id not in seen:
            seen.add(d.ticket_id)
            todo.append(d)
    if not todo:
        return {}
    stats = {hid: rows[hid].stats if rows[hid].stats is not None else counters.build(session, tid, hid) for hid in hids}

    line_points = {d.ticket_id: [points.line_points(rules, ln) for ln in d.lines] for d in todo}
    raw = {t: sum(v) for t, v in line_points.items()}
    weight = {d.ticket_id: sum(ln.weight_g or 0 for ln in d.lines) for d in todo}
    table = GameDeposit.__table__
    ids = dict(
        (t, i)
        for i, t in session.execute(
            insert(table).returning(table.c.id, table.c.ticket_id),
            [
                {
                    "tenant_id": tid,
                    "household_id": d.household_id,
                    "ticket_id": d.ticket_id,
                    "occurred_at": d.occurred_at,
                    "local_date": day_of[d.ticket_id],
                    "weight_g": weight[d.ticket_id],
                    "raw_points": raw[d.ticket_id],
                    "status": "active",
                    "voided_at": None,
                }
                for d in todo
            ],
        ).all()
    )
    session.execute(
        insert(GameDepositLine.__table__),
        [
            {
                "tenant_id": tid,
                "deposit_id": ids[d.ticket_id],
                "material_code": ln.material_code,
                "category": ln.category,
                "grade": ln.grade,
                "weight_g": ln.weight_g,
                "quantity": ln.quantity,
                "co2e_g": ln.co2e_g,
                "points": pts,
            }
            for d in todo
            for ln, pts in zip(d.lines, line_points[d.ticket_id])
        ],
    )

    horizon = dt.timedelta(weeks=max(rules.streak_max_weeks, counters.streak_horizon(tenant.settings)) + 1)
    weeks_needed = [points.week_start(day_of[d.ticket_id]) for d in todo]
    months = sorted({points.month_bounds(day_of[d.ticket_id])[0] for d in todo})
    kept: dict[tuple[int, str, dt.date], dict[str, int]] = {}
    for r in session.execute(
        select(PeriodTotal.household_id, PeriodTotal.period, PeriodTotal.start, *(getattr(PeriodTotal, k) for k in KEPT)).where(
            PeriodTotal.tenant_id == tid,
            PeriodTotal.household_id.in_(hids),
            or_(
                and_(
                    PeriodTotal.period == "week",
                    PeriodTotal.start >= min(weeks_needed) - horizon,
                    PeriodTotal.start <= max(weeks_needed) + horizon,
                ),
                and_(PeriodTotal.period == "month", PeriodTotal.start.in_(months)),
            ),
        )
    ):
        kept[(r.household_id, r.period, r.start)] = {k: getattr(r, k) for k in KEPT}

    entries: list[dict[str, Any]] = []
    deltas: dict[tuple[int, str, dt.date], dict[str, int]] = {}
    earned_by = dict.fromkeys(hids, 0)
    weight_by = dict.fromkeys(hids, 0)
    lifetime = {hid: rows[hid].lifetime for hid in hids}
    events: dict[int, Any] = {}

    def move(hid: int, day: dt.date, **amounts: int) -> None:
        """Into the deltas to write and the kept counters the next deposit reads."""
        per: dict = {}
        points.add_deltas(per, day, **amounts)
        for (period, start), values in per.items():
            row = deltas.setdefault((hid, period, start), dict.fromkeys(points.PERIOD_COUNTERS, 0))
            mine = kept.setdefault((hid, period, start), dict.fromkeys(KEPT, 0))
            for k, v in values.items():
                row[k] += v
                if k in mine:
                    mine[k] += v

    for d in todo:
        t, hid, day = d.ticket_id, d.household_id, day_of[d.ticket_id]
        week, (month, _) = points.week_start(day), points.month_bounds(day)
        m = kept.get((hid, "month", month), dict.fromkeys(KEPT, 0))
        raw_before, capped_before = m["raw_points"], m["capped_points"]
        move(hid, day, weight_g=weight[t], deposits=1, raw_points=raw[t])
        weeks = {start for (h, period, start), v in kept.items() if h == hid and period == "week" and v["deposits"] > 0}
        ref = ("ticket", t)
        mine = [
            (f"ticket:{t}", "deposit", raw[t], day, ref, f"weigh-in #{t}"),
            (
                f"cap:{hid}:t{t}",
                "cap",
                month_target(raw_before + raw[t], rules) - capped_before - raw[t],
                day,
                ref,
                f"monthly cap {rules.monthly_cap} for {month:%Y-%m}",
            ),
        ]
        for i in range(rules.streak_max_weeks + 1):
            w = week + dt.timedelta(weeks=i)
            posted = kept.get((hid, "week", w), {}).get("streak_points", 0)
            mine.append(
                (
                    f"streak:{hid}:{w.isoformat()}:t{t}",
                    "streak",
                    streak_bonus(weeks, w, rules) - posted,
                    w,
                    None,
                    f"weekly streak, week of {w}",
                )
            )
        mine = [e for e in mine if e[2] != 0]
        for key, kind, pts, when, r, memo in mine:  # every kind here is earned
            move(hid, when, points=pts, **points.counters_for(kind, pts))
            entries.append(
                {
                    "tenant_id": tid,
                    "household_id": hid,
                    "idempotency_key": key,
                    "kind": kind,
                    "points": pts,
                    "local_date": when,
                    "ref_type": r[0] if r else None,
                    "ref_id": r[1] if r else None,
                    "reverses_id": None,
                    "memo": memo[:300],
                    "created_at": now,
                }
            )
        earned = sum(e[2] for e in mine)
        earned_by[hid] += earned
        weight_by[hid] += weight[t]
        st = counters.moved(stats[hid], d.lines, 1)
        st["ls"] = max(st["ls"], counters.run_through(weeks, week))
        have = set(st["b"])
        ev = GameEvents(
            badge_award_ids=badges.award_from_counters(session, tid, hid, tenant.settings, counters.as_stats(st), have, now),
            ticket_points=sum(e[2] for e in mine if e[4] == ref),
        )
        st["b"] = sorted(have)
        stats[hid] = st
        if badges.level_crossed(lifetime[hid], lifetime[hid] + earned):
            ev.level_up_ids = badges.check_level_ups(session, tid, hid, now, lifetime=lifetime[hid] + earned)
        lifetime[hid] += earned
        if running:
            household = session.get(Household, hid)
            grams: dict[str, int] = {}
            for ln in d.lines:
                grams[ln.material_code] = grams.get(ln.material_code, 0) + (ln.weight_g or 0)
            ev.completed_challenge_ids = challenges.add_progress(
                session, tid, day, household.village_id if household else None, grams, 1, now
            )
        events[t] = ev

    if entries:
        session.execute(insert(PointsEntry.__table__), entries)
    points.upsert_period_rows(session, tid, deltas)
    c = HouseholdPoints.__table__.c
    session.execute(
        update(HouseholdPoints.__table__)
        .where(c.id == bindparam("row_id"))
        .values(
            balance=c.balance + bindparam("b_earned"),
            lifetime=c.lifetime + bindparam("b_earned"),
            weight_g=c.weight_g + bindparam("b_weight"),
            stats=bindparam("b_stats"),
            updated_at=bindparam("b_now"),
        ),
        [
            {"row_id": rows[hid].id, "b_earned": earned_by[hid], "b_weight": weight_by[hid], "b_stats": stats[hid], "b_now": now}
            for hid in hids
        ],
    )
    return events
