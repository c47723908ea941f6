"""Badges, levels and challenges as outbox notices, recorded in the transaction that awarded them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.game.badges import LEVELS, badge_definitions
from recycle.game.models import BadgeAward, Challenge, LevelUp
from recycle.models import Tenant
from recycle.notify.notices import Message, record


def badge_message(award: BadgeAward, tenant: Tenant) -> Message:
    defn = next(
        (b for b in badge_definitions(tenant.settings) if b["code"] == award.badge_code),
        {"name_th": award.badge_code, "name_en": award.badge_code},
    )
    return Message(
        "badge",
        f"ได้รับเหรียญ {defn['name_th']}",
        f"Badge earned: {defn['name_en']}",
        data={"badge_code": award.badge_code, "awarded_at": award.awarded_at.isoformat()},
    )


def level_message(up: LevelUp) -> Message:
    level = next((lv for lv in LEVELS if lv["code"] == up.level_code), {"name_th": up.level_code, "name_en": up.level_code})
    return Message(
        "level_up", f"เลื่อนระดับเป็น {level['name_th']}", f"Level up: {level['name_en']}", data={"level_code": up.level_code}
    )


def record_one(session: Session, row: BadgeAward | LevelUp) -> None:
    """One award's notice, marked told (the caller holds the row lock)."""
    if isinstance(row, BadgeAward):
        record(
            session, row.tenant_id, row.household_id, f"badge:{row.id}", badge_message(row, session.get(Tenant, row.tenant_id))
        )
    else:
        record(session, row.tenant_id, row.household_id, f"level:{row.id}", level_message(row))
    row.notified_at = utcnow()


def record_awards(session: Session, tenant_id: int, household_id: int) -> int:
    """Every badge and level-up of the household not yet told: a notice each, marked told. Idempotent."""
    tenant = session.get(Tenant, tenant_id)
    n = 0
    for award in list(
        session.scalars(
            select(BadgeAward)
            .where(BadgeAward.tenant_id == tenant_id, BadgeAward.household_id == household_id, BadgeAward.notified_at.is_(None))
            .with_for_update()
        )
    ):
        record(session, tenant_id, household_id, f"badge:{award.id}", badge_message(award, tenant))
        award.notified_at, n = utcnow(), n + 1
    for up in list(
        session.scalars(
            select(LevelUp)
            .where(LevelUp.tenant_id == tenant_id, LevelUp.household_id == household_id, LevelUp.notified_at.is_(None))
            .with_for_update()
        )
    ):
        record(session, tenant_id, household_id, f"level:{up.id}", level_message(up))
        up.notified_at, n = utcnow(), n + 1
    return n


def record_challenge(session: Session, challenge: Challenge, household_ids: list[int]) -> None:
    """Each participant of a reached challenge is told (with the bonus), once."""
    for hid in household_ids:
        record(
            session,
            challenge.tenant_id,
            hid,
            f"challenge:{challenge.id}:{hid}",
            Message(
                "challenge_completed",
                f"ชุมชนทำสำเร็จ: {challenge.title_th}",
                f"Challenge completed: {challenge.title_en}",
                f"ได้โบนัส {challenge.bonus_points} แต้ม" if challenge.bonus_points else "",
                f"Bonus: {challenge.bonus_points} points" if challenge.bonus_points else "",
                {"challenge_id": challenge.id, "bonus_points": challenge.bonus_points},
            ),
        )
