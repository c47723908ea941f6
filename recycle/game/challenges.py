"""Community challenges: staff set a target (kilos of a material or of anything, from a village or from all,
between two local dates); everyone in the tenant sees the progress; when it is reached, each household
that took part gets the bonus.

Reaching the target is marked in the weigh-in's transaction; the bonus is paid afterwards by a task
(`tasks.award_challenge_bonus`), so a weigh-in never has to lock other households' balance rows
(which, with offline batches holding many households at once, could deadlock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, distinct, func, insert, or_, select, update
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.errors import InvalidInput
from recycle.game import badges
from recycle.game.models import Challenge, GameDeposit, GameDepositLine, HouseholdPoints, PointsEntry
from recycle.game.points import add_to_periods, household_row, local_date
from recycle.models import Household, Tenant, Village
from recycle.principal import Principal
from recycle.tenancy import get_owned

MAX_DAYS = 366


@dataclass
class ChallengeInput:
    title_th: str
    title_en: str
    start_date: dt.date
    end_date: dt.date
    target_g: int
    bonus_points: int = 0
    material_code: str | None = None
    village_id: int | None = None


def create(session: Session, principal: Principal, inp: ChallengeInput, known_material: bool = True) -> Challenge:
    """`known_material` is the caller's check of the code against the catalog (this package cannot read it)."""
    principal.require("staff", "admin")
    if inp.end_date < inp.start_date:
        raise InvalidInput.field("end_date", f"ends on {inp.end_date}, before it starts on {inp.start_date}")
    if (inp.end_date - inp.start_date).days > MAX_DAYS:
        raise InvalidInput.field("end_date", f"a challenge lasts at most {MAX_DAYS} days")
    if inp.material_code and not known_material:
        raise InvalidInput.field("material_code", f"{inp.material_code} is not in this waste bank's catalog")
    if inp.village_id is not None:
        get_owned(session, Village, inp.village_id, principal.tenant_id, what="village", field="village_id")  # 422 unless ours
    challenge = Challenge(
        tenant_id=principal.tenant_id,
        title_th=inp.title_th.strip(),
        title_en=inp.title_en.strip(),
        material_code=inp.material_code.strip().upper() if inp.material_code else None,
        village_id=inp.village_id,
        start_date=inp.start_date,
        end_date=inp.end_date,
        target_g=inp.target_g,
        bonus_points=inp.bonus_points,
        created_by_user_id=principal.user_id,
    )
    session.add(challenge)
    session.flush()
    challenge.progress_g = progress(session, challenge)[0]  # deposits already in its window count; then kept by each one
    session.flush()
    return challenge


def get(session: Session, tenant_id: int, challenge_id: int) -> Challenge:
    challenge = get_owned(session, Challenge, challenge_id, tenant_id, what="challenge")
    return challenge


def _matching(c: Challenge):  # noqa: ANN202
    """Active deposit lines that count toward the challenge (the household's village as it is now)."""
    stmt = (
        select()
        .select_from(GameDepositLine)
        .join(GameDeposit, GameDeposit.id == GameDepositLine.deposit_id)
        .where(
            GameDeposit.tenant_id == c.tenant_id,
            GameDeposit.status == "active",
            GameDeposit.local_date >= c.start_date,
            GameDeposit.local_date <= c.end_date,
        )
    )
    if c.material_code:
        stmt = stmt.where(GameDepositLine.material_code == c.material_code)
    if c.village_id:
        stmt = stmt.join(Household, Household.id == GameDeposit.household_id).where(Household.village_id == c.village_id)
    return stmt


def progress(session: Session, c: Challenge) -> tuple[int, int]:
    """(grams so far, households taking part)."""
    grams, households = session.execute(
        _matching(c).add_columns(
            func.coalesce(func.sum(GameDepositLine.weight_g), 0), func.count(distinct(GameDeposit.household_id))
        )
    ).one()
    return int(grams), int(households)


def status(c: Challenge, today: dt.date) -> str:
    if c.completed_at is not None:
        return "completed"
    if today < c.start_date:
        return "upcoming"
    return "ended" if today > c.end_date else "running"


def add_progress(
    session: Session,
    tenant_id: int,
    day: dt.date,
    village_id: int | None,
    grams: dict[str, int],
    sign: int = 1,
    now: dt.datetime | None = None,
) -> list[int]:
    """A deposit of `day` (sign 1) or its void (-1): move the running total of every challenge it counts toward
    (one UPDATE … RETURNING), and mark each open one now reached; returns their ids."""
    codes = sorted(code for code, g in grams.items() if g)
    if not codes:
        return []
    per_code = case({code: grams[code] * sign for code in codes}, value=Challenge.material_code, else_=0)
    delta = case((Challenge.material_code.is_(None), sign * sum(grams.values())), else_=per_code)
    moved = session.execute(
        update(Challenge)
        .where(
            Challenge.tenant_id == tenant_id,
            Challenge.start_date <= day,
            Challenge.end_date >= day,
            or_(Challenge.material_code.is_(None), Challenge.material_code.in_(codes)),
            or_(Challenge.village_id.is_(None), Challenge.village_id == village_id),
        )
        .values(progress_g=Challenge.progress_g + delta)
        .returning(Challenge.id, Challenge.progress_g, Challenge.target_g, Challenge.completed_at)
        .execution_options(synchronize_session=False)
    ).all()
    done = []
    for cid, total, target, completed_at in sorted(moved):
        if sign > 0 and completed_at is None and total >= target and mark_if_reached(session, session.get(Challenge, cid), now):
            done.append(cid)
    return done


def any_running(tenant_id: int, day: dt.date):  # noqa: ANN201 - an EXISTS clause
    """Whether any challenge of the tenant runs on `day` (asked inside another query, so usually costs nothing)."""
    return (
        select(Challenge.id)
        .where(Challenge.tenant_id == tenant_id, Challenge.start_date <= day, Challenge.end_date >= day)
        .exists()
    )


def mark_if_reached(session: Session, c: Challenge, now: dt.datetime | None = None) -> bool:
    locked = session.scalar(
        select(Challenge).where(Challenge.id == c.id).with_for_update().execution_options(populate_existing=True)
    )
    if locked.completed_at is not None or locked.progress_g < locked.target_g:
        return False
    locked.completed_at = now or utcnow()
    session.flush()
    return True


def award_bonus(session: Session, challenge_id: int) -> list[int]:
    """Pay the bonus to every household that took part and was not paid yet; returns level-up ids. Idempotent."""
    c = session.scalar(select(Challenge).where(Challenge.id == challenge_id).with_for_update())
    if c is None or c.completed_at is None or c.bonus_points <= 0:
        return []
    participants = set(session.scalars(_matching(c).add_columns(GameDeposit.household_id).distinct()))
    key = f"challenge:{c.id}:"
    paid = {
        int(k.removeprefix(key))
        for k in session.scalars(
            select(PointsEntry.idempotency_key).where(
                PointsEntry.tenant_id == c.tenant_id, PointsEntry.ref_type == "challenge", PointsEntry.ref_id == c.id
            )
        )
    }
    todo = sorted(participants - paid)
    if not todo:
        return []
    tenant = session.get(Tenant, c.tenant_id)
    day = local_date(tenant.timezone, c.completed_at)
    for hid in todo:
        household_row(session, c.tenant_id, hid)
    session.execute(
        insert(PointsEntry),
        [
            {
                "tenant_id": c.tenant_id,
                "household_id": hid,
                "idempotency_key": f"{key}{hid}",
                "kind": "challenge",
                "points": c.bonus_points,
                "local_date": day,
                "ref_type": "challenge",
                "ref_id": c.id,
                "memo": f"challenge reached: {c.title_en}"[:300],
                "created_at": utcnow(),
            }
            for hid in todo
        ],
    )
    session.execute(
        update(HouseholdPoints)
        .where(HouseholdPoints.tenant_id == c.tenant_id, HouseholdPoints.household_id.in_(todo))
        .values(balance=HouseholdPoints.balance + c.bonus_points, lifetime=HouseholdPoints.lifetime + c.bonus_points)
        .execution_options(synchronize_session=False)
    )
    level_ups: list[int] = []
    for hid in todo:  # bounded by the challenge's participants; a few small indexed statements each
        add_to_periods(session, c.tenant_id, hid, day, points=c.bonus_points)
        level_ups += badges.check_level_ups(session, c.tenant_id, hid)
    return level_ups
