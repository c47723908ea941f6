"""Awarding a weigh-in and reversing a void: deposit points, the monthly cap, the weekly streak, then badges,
levels and challenges.

The cap and the streak are *reconciled* rather than computed once: after any deposit or void, the
month's deposit points are brought to min(cap, sum of its active deposits' points) and each affected
week's streak bonus to what its run of consecutive weeks gives, by posting the difference as a new
entry. So the balance equals what the rules give for the active tickets, whatever order tickets and
voids arrive in (an offline phone may sync last week's ticket after today's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.game import award, challenges, counters, points
from recycle.game.models import GameDeposit, HouseholdPoints, PointsEntry
from recycle.game.points import (
    MONTH_KINDS,  # noqa: E402
    DepositInput,
    PointRules,
)
from recycle.models import Household, Tenant


@dataclass
class GameEvents:
    """What to tell people (or do) once the transaction has committed."""

    badge_award_ids: list[int] = field(default_factory=list)
    level_up_ids: list[int] = field(default_factory=list)
    completed_challenge_ids: list[int] = field(default_factory=list)
    ticket_points: int | None = None  # what the weigh-in earned after the cap (None: not awarded now)


def award_deposit(session: Session, dep: DepositInput, now: dt.datetime | None = None) -> GameEvents:
    """Points for one active weigh-in, once per ticket (a second call for the same ticket does nothing)."""
    return award.award_deposits(session, [dep], now).get(dep.ticket_id) or GameEvents()


def award_deposits(session: Session, deps: list[DepositInput], now: dt.datetime | None = None) -> dict[int, GameEvents]:
    """A synced batch: the same as awarding each in turn, in a fixed number of statements (see recycle.game.award)."""
    return award.award_deposits(session, deps, now)


def _grams_by_code(lines: list) -> dict[str, int]:  # type: ignore[type-arg]
    out: dict[str, int] = {}
    for ln in lines:
        out[ln.material_code] = out.get(ln.material_code, 0) + (ln.weight_g or 0)
    return out


def _lock(
    session: Session, tenant_id: int, household_id: int, ticket_id: int, day: dt.date | None = None
) -> tuple[HouseholdPoints, bool, bool]:
    """The household's balance row, locked and read afresh (other code moves it with plain UPDATEs), whether the
    game already saw this ticket, and whether a challenge runs on `day`: one query."""
    seen = select(GameDeposit.id).where(GameDeposit.tenant_id == tenant_id, GameDeposit.ticket_id == ticket_id).exists()
    running = challenges.any_running(tenant_id, day or dt.date.min)
    stmt = (
        select(HouseholdPoints, seen.label("seen"), running.label("running"))
        .where(HouseholdPoints.tenant_id == tenant_id, HouseholdPoints.household_id == household_id)
        .with_for_update(of=HouseholdPoints)
        .execution_options(populate_existing=True)
    )
    found = session.execute(stmt).first()
    if found is None:
        points.household_row(session, tenant_id, household_id)
        found = session.execute(stmt).first()
    return found[0], bool(found[1]), bool(found[2])


def reverse_deposit(session: Session, tenant_id: int, ticket_id: int) -> None:
    """A voided ticket: a reversing entry for what it earned, then the cap and streak brought back in line."""
    deposit = _deposit(session, tenant_id, ticket_id)
    if deposit is None:
        return  # weighed before the game existed (see points_hook.replay_tickets)
    hid = deposit.household_id
    row, _, _ = _lock(session, tenant_id, hid, ticket_id)
    session.refresh(deposit)
    if deposit.status == "voided":
        return
    stats = row.stats if row.stats is not None else counters.build(session, tenant_id, hid)
    rules = points.rules_for(session.get(Tenant, tenant_id).settings)
    deposit.status, deposit.voided_at = "voided", utcnow()
    earned = points.ticket_points(session, tenant_id, ticket_id)
    original = points.find(session, tenant_id, f"ticket:{ticket_id}")
    points.post(
        session,
        tenant_id,
        hid,
        f"void:{ticket_id}",
        "void",
        -earned,
        deposit.local_date,
        ref=("ticket", ticket_id),
        reverses_id=original.id if original else None,
        memo=f"void of weigh-in #{ticket_id}",
    )
    points.add_weight(session, tenant_id, hid, -deposit.weight_g, deposit.local_date)
    points.add_to_periods(session, tenant_id, hid, deposit.local_date, deposits=-1, raw_points=-deposit.raw_points)
    session.flush()
    _reconcile_month(session, rules, tenant_id, hid, deposit.local_date, f"v{ticket_id}", None)
    _reconcile_streaks(session, rules, tenant_id, hid, deposit.local_date, f"v{ticket_id}")
    stats = counters.moved(stats, deposit.lines, -1)
    stats["ls"] = counters.longest_now(session, tenant_id, hid)
    session.execute(
        update(HouseholdPoints)
        .where(HouseholdPoints.id == row.id)
        .values(stats=stats)
        .execution_options(synchronize_session=False)
    )
    household = session.get(Household, hid)
    challenges.add_progress(
        session, tenant_id, deposit.local_date, household.village_id if household else None, _grams_by_code(deposit.lines), -1
    )


def _deposit(session: Session, tenant_id: int, ticket_id: int) -> GameDeposit | None:
    return session.scalar(select(GameDeposit).where(GameDeposit.tenant_id == tenant_id, GameDeposit.ticket_id == ticket_id))


def _active_deposits(tenant_id: int, household_id: int) -> tuple:
    return (GameDeposit.tenant_id == tenant_id, GameDeposit.household_id == household_id, GameDeposit.status == "active")


def _posted(session: Session, tenant_id: int, household_id: int, kinds: tuple[str, ...], start: dt.date, end: dt.date) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                PointsEntry.tenant_id == tenant_id,
                PointsEntry.household_id == household_id,
                PointsEntry.kind.in_(kinds),
                PointsEntry.local_date >= start,
                PointsEntry.local_date < end,
            )
        )
    )


month_target = award.month_target
streak_bonus = award.streak_bonus


def _reconcile_month(
    session: Session,
    rules: PointRules,
    tenant_id: int,
    household_id: int,
    day: dt.date,
    trigger: str,
    ref: tuple[str, int] | None,
) -> None:
    start, end = points.month_bounds(day)
    raw = int(
        session.scalar(
            select(func.coalesce(func.sum(GameDeposit.raw_points), 0)).where(
                *_active_deposits(tenant_id, household_id), GameDeposit.local_date >= start, GameDeposit.local_date < end
            )
        )
    )
    delta = month_target(raw, rules) - _posted(session, tenant_id, household_id, MONTH_KINDS, start, end)
    points.post(
        session,
        tenant_id,
        household_id,
        f"cap:{household_id}:{trigger}",
        "cap",
        delta,
        day,
        ref=ref,
        memo=f"monthly cap {rules.monthly_cap} for {start:%Y-%m}",
    )


def _reconcile_streaks(
    session: Session, rules: PointRules, tenant_id: int, household_id: int, day: dt.date, trigger: str
) -> None:
    """A change in week W can only move the bonus of W and of the `streak_max_weeks` weeks after it."""
    first = points.week_start(day)
    span = dt.timedelta(weeks=rules.streak_max_weeks)
    days = session.scalars(
        select(GameDeposit.local_date)
        .distinct()
        .where(
            *_active_deposits(tenant_id, household_id),
            GameDeposit.local_date >= first - span,
            GameDeposit.local_date < first + span + dt.timedelta(weeks=1),
        )
    )
    weeks = {points.week_start(d) for d in days}
    for i in range(rules.streak_max_weeks + 1):
        week = first + dt.timedelta(weeks=i)
        end = week + dt.timedelta(weeks=1)
        delta = streak_bonus(weeks, week, rules) - _posted(session, tenant_id, household_id, ("streak",), week, end)
        points.post(
            session,
            tenant_id,
            household_id,
            f"streak:{household_id}:{week.isoformat()}:{trigger}",
            "streak",
            delta,
            week,
            memo=f"weekly streak, week of {week.isoformat()}",
        )


def month_earned(session: Session, tenant_id: int, household_id: int, today: dt.date) -> int:
    """Deposit points counted against this local month's cap so far."""
    return _posted(session, tenant_id, household_id, MONTH_KINDS, *points.month_bounds(today))


def current_streak(session: Session, tenant_id: int, household_id: int, today: dt.date, horizon_weeks: int = 104) -> int:
    """Consecutive weeks with a deposit up to this one (a week not yet deposited in does not break it)."""
    this_week = points.week_start(today)
    days = session.scalars(
        select(GameDeposit.local_date)
        .distinct()
        .where(
            *_active_deposits(tenant_id, household_id),
            GameDeposit.local_date >= this_week - dt.timedelta(weeks=horizon_weeks),
            GameDeposit.local_date < this_week + dt.timedelta(weeks=1),
        )
    )
    weeks = {points.week_start(d) for d in days}
    week = this_week if this_week in weeks else this_week - dt.timedelta(weeks=1)
    n = 0
    while week - dt.timedelta(weeks=n) in weeks:
        n += 1
    return n
