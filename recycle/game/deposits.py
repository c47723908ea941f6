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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recycle.game import badges, challenges, points
from recycle.db import utcnow
from recycle.game.models import GameDeposit, GameDepositLine, PointsEntry
from recycle.models import Household, Tenant
from recycle.game.points import DepositInput, PointRules

MONTH_KINDS = ("deposit", "void", "cap")


@dataclass
class GameEvents:
    """What to tell people (or do) once the transaction has committed."""

    badge_award_ids: list[int] = field(default_factory=list)
    level_up_ids: list[int] = field(default_factory=list)
    completed_challenge_ids: list[int] = field(default_factory=list)


def award_deposit(session: Session, dep: DepositInput, now: dt.datetime | None = None) -> GameEvents:
    """Points for one active weigh-in, once per ticket (a second call for the same ticket does nothing)."""
    now = now or utcnow()
    tenant = session.get(Tenant, dep.tenant_id)
    rules = points.rules_for(tenant.settings)
    points.household_row(session, dep.tenant_id, dep.household_id, lock=True)  # one household at a time
    if _deposit(session, dep.tenant_id, dep.ticket_id) is not None:
        return GameEvents()
    day = points.local_date(tenant.timezone, dep.occurred_at)
    lines = [GameDepositLine(tenant_id=dep.tenant_id, material_code=ln.material_code, category=ln.category, grade=ln.grade,
                             weight_g=ln.weight_g, quantity=ln.quantity, co2e_g=ln.co2e_g,
                             points=points.line_points(rules, ln)) for ln in dep.lines]
    deposit = GameDeposit(tenant_id=dep.tenant_id, household_id=dep.household_id, ticket_id=dep.ticket_id,
                          occurred_at=dep.occurred_at, local_date=day, weight_g=sum(ln.weight_g or 0 for ln in dep.lines),
                          raw_points=sum(ln.points for ln in lines), status="active", lines=lines)
    session.add(deposit)
    session.flush()
    ref = ("ticket", dep.ticket_id)
    points.post(session, dep.tenant_id, dep.household_id, f"ticket:{dep.ticket_id}", "deposit", deposit.raw_points, day,
                ref=ref, memo=f"weigh-in #{dep.ticket_id}")
    points.add_weight(session, dep.tenant_id, dep.household_id, deposit.weight_g, day)
    _reconcile_month(session, rules, dep.tenant_id, dep.household_id, day, f"t{dep.ticket_id}", ref)
    _reconcile_streaks(session, rules, dep.tenant_id, dep.household_id, day, f"t{dep.ticket_id}")
    events = GameEvents(badge_award_ids=badges.award_badges(session, dep.tenant_id, dep.household_id,
                                                                 tenant.settings, now),
                        level_up_ids=badges.check_level_ups(session, dep.tenant_id, dep.household_id, now))
    village_id = session.scalar(select(Household.village_id).where(Household.id == dep.household_id))
    events.completed_challenge_ids = challenges.complete_reached(
        session, dep.tenant_id, day, village_id, {ln.material_code for ln in lines}, now)
    return events


def reverse_deposit(session: Session, tenant_id: int, ticket_id: int) -> None:
    """A voided ticket: a reversing entry for what it earned, then the cap and streak brought back in line."""
    deposit = _deposit(session, tenant_id, ticket_id)
    if deposit is None:
        return  # weighed before the game existed (see points_hook.replay_tickets)
    hid = deposit.household_id
    points.household_row(session, tenant_id, hid, lock=True)
    session.refresh(deposit)
    if deposit.status == "voided":
        return
    rules = points.rules_for(session.get(Tenant, tenant_id).settings)
    deposit.status, deposit.voided_at = "voided", utcnow()
    earned = points.ticket_points(session, tenant_id, ticket_id)
    original = points.find(session, tenant_id, f"ticket:{ticket_id}")
    points.post(session, tenant_id, hid, f"void:{ticket_id}", "void", -earned, deposit.local_date, ref=("ticket", ticket_id),
                reverses_id=original.id if original else None, memo=f"void of weigh-in #{ticket_id}")
    points.add_weight(session, tenant_id, hid, -deposit.weight_g, deposit.local_date)
    session.flush()
    _reconcile_month(session, rules, tenant_id, hid, deposit.local_date, f"v{ticket_id}", None)
    _reconcile_streaks(session, rules, tenant_id, hid, deposit.local_date, f"v{ticket_id}")


def _deposit(session: Session, tenant_id: int, ticket_id: int) -> GameDeposit | None:
    return session.scalar(select(GameDeposit).where(GameDeposit.tenant_id == tenant_id, GameDeposit.ticket_id == ticket_id))


def _active_deposits(tenant_id: int, household_id: int) -> tuple:
    return (GameDeposit.tenant_id == tenant_id, GameDeposit.household_id == household_id, GameDeposit.status == "active")


def _posted(session: Session, tenant_id: int, household_id: int, kinds: tuple[str, ...], start: dt.date,
            end: dt.date) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.tenant_id == tenant_id, PointsEntry.household_id == household_id, PointsEntry.kind.in_(kinds),
        PointsEntry.local_date >= start, PointsEntry.local_date < end)))


def month_target(raw_total: int, rules: PointRules) -> int:
    return min(raw_total, rules.monthly_cap) if rules.monthly_cap > 0 else raw_total


def _reconcile_month(session: Session, rules: PointRules, tenant_id: int, household_id: int, day: dt.date, trigger: str,
                     ref: tuple[str, int] | None) -> None:
    start, end = points.month_bounds(day)
    raw = int(session.scalar(select(func.coalesce(func.sum(GameDeposit.raw_points), 0)).where(
        *_active_deposits(tenant_id, household_id), GameDeposit.local_date >= start, GameDeposit.local_date < end)))
    delta = month_target(raw, rules) - _posted(session, tenant_id, household_id, MONTH_KINDS, start, end)
    points.post(session, tenant_id, household_id, f"cap:{household_id}:{trigger}", "cap", delta, day, ref=ref,
                memo=f"monthly cap {rules.monthly_cap} for {start:%Y-%m}")


def streak_bonus(weeks: set[dt.date], week: dt.date, rules: PointRules) -> int:
    """bonus × the consecutive earlier weeks with a deposit (at most `streak_max_weeks`), if this week has one."""
    if week not in weeks:
        return 0
    n = 0
    while n < rules.streak_max_weeks and week - dt.timedelta(weeks=n + 1) in weeks:
        n += 1
    return rules.streak_bonus * n


def _reconcile_streaks(session: Session, rules: PointRules, tenant_id: int, household_id: int, day: dt.date,
                       trigger: str) -> None:
    """A change in week W can only move the bonus of W and of the `streak_max_weeks` weeks after it."""
    first = points.week_start(day)
    span = dt.timedelta(weeks=rules.streak_max_weeks)
    days = session.scalars(select(GameDeposit.local_date).distinct().where(
        *_active_deposits(tenant_id, household_id), GameDeposit.local_date >= first - span,
        GameDeposit.local_date < first + span + dt.timedelta(weeks=1)))
    weeks = {points.week_start(d) for d in days}
    for i in range(rules.streak_max_weeks + 1):
        week = first + dt.timedelta(weeks=i)
        end = week + dt.timedelta(weeks=1)
        delta = streak_bonus(weeks, week, rules) - _posted(session, tenant_id, household_id, ("streak",), week, end)
        points.post(session, tenant_id, household_id, f"streak:{household_id}:{week.isoformat()}:{trigger}", "streak", delta,
                    week, memo=f"weekly streak, week of {week.isoformat()}")


def month_earned(session: Session, tenant_id: int, household_id: int, today: dt.date) -> int:
    """Deposit points counted against this local month's cap so far."""
    return _posted(session, tenant_id, household_id, MONTH_KINDS, *points.month_bounds(today))


def current_streak(session: Session, tenant_id: int, household_id: int, today: dt.date, horizon_weeks: int = 104) -> int:
    """Consecutive weeks with a deposit up to this one (a week not yet deposited in does not break it)."""
    this_week = points.week_start(today)
    days = session.scalars(select(GameDeposit.local_date).distinct().where(
        *_active_deposits(tenant_id, household_id), GameDeposit.local_date >= this_week - dt.timedelta(weeks=horizon_weeks),
        GameDeposit.local_date < this_week + dt.timedelta(weeks=1)))
    weeks = {points.week_start(d) for d in days}
    week = this_week if this_week in weeks else this_week - dt.timedelta(weeks=1)
    n = 0
    while week - dt.timedelta(weeks=n) in weeks:
        n += 1
    return n
