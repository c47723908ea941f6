"""Game tasks: tell a household about a badge or a level (through a pluggable channel) and pay a reached
challenge's bonus. Task names are constants; tasks take ids and are idempotent (a redelivered task
finds `notified_at` set, or the bonus entries already there).

They are enqueued only after the transaction that made the award commits (`enqueue_after_commit`), so
a worker never looks for a row that is not there yet, and a rolled-back award tells nobody.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Protocol, Sequence

from celery import shared_task
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from recycle.db import task_unit_of_work, utcnow
from recycle.game.badges import LEVELS, badge_definitions
from recycle.game.challenges import award_bonus
from recycle.game.models import BadgeAward, LevelUp
from recycle.models import Household, Tenant

NOTIFY_BADGE = "recycle.game.notify_badge"
NOTIFY_LEVEL_UP = "recycle.game.notify_level_up"
AWARD_CHALLENGE_BONUS = "recycle.game.award_challenge_bonus"
log = logging.getLogger("thangngoen.notify")


class Channel(Protocol):
    def send(self, tenant_id: int, household_id: int, title_th: str, title_en: str, data: dict[str, Any]) -> None: ...


class LogChannel:
    """The default: a log line. LINE Messaging or push is another Channel registered under its name."""

    def send(self, tenant_id: int, household_id: int, title_th: str, title_en: str, data: dict[str, Any]) -> None:
        log.info("notify tenant=%s household=%s: %s / %s %s", tenant_id, household_id, title_th, title_en, data)


CHANNELS: dict[str, Channel] = {"log": LogChannel()}


def channel_for(settings: dict | None) -> Channel:
    """`Tenant.settings["notify_channel"]` names a registered channel; unknown names fall back to the log."""
    return CHANNELS.get(str((settings or {}).get("notify_channel", "log")), CHANNELS["log"])


def _notify_once(task: Any, model: type, row_id: int, message: Callable[[Any, Tenant], tuple[str, str, dict]]) -> bool:
    with task_unit_of_work(task) as uow:
        db = uow.session
        row = db.scalar(select(model).where(model.id == row_id).with_for_update())
        if row is None or row.notified_at is not None:
            return False
        tenant = db.get(Tenant, row.tenant_id)
        household = db.get(Household, row.household_id)
        if household is not None and household.notifications_opt_in:  # consent withdrawn (PUT /me/consents): silent
            title_th, title_en, data = message(row, tenant)
            channel_for(tenant.settings).send(row.tenant_id, row.household_id, title_th, title_en, data)
        row.notified_at = utcnow()  # settled either way: a later re-consent does not replay old notices
        uow.commit()
    return True


def _badge_message(award: BadgeAward, tenant: Tenant) -> tuple[str, str, dict]:
    defn = next((b for b in badge_definitions(tenant.settings) if b["code"] == award.badge_code),
                {"name_th": award.badge_code, "name_en": award.badge_code})
    return (f"ได้รับเหรียญ {defn['name_th']}", f"Badge earned: {defn['name_en']}",
            {"kind": "badge", "badge_code": award.badge_code, "awarded_at": award.awarded_at.isoformat()})


def _level_message(up: LevelUp, tenant: Tenant) -> tuple[str, str, dict]:
    level = next((lv for lv in LEVELS if lv["code"] == up.level_code), {"name_th": up.level_code, "name_en": up.level_code})
    return (f"เลื่อนระดับเป็น {level['name_th']}", f"Level up: {level['name_en']}",
            {"kind": "level_up", "level_code": up.level_code})


@shared_task(name=NOTIFY_BADGE, bind=True, acks_late=True)
def notify_badge(self, award_id: int) -> bool:  # noqa: ANN001
    """True if this run sent the notice; False if it had been sent (or the award is gone)."""
    return _notify_once(self, BadgeAward, award_id, _badge_message)


@shared_task(name=NOTIFY_LEVEL_UP, bind=True, acks_late=True)
def notify_level_up(self, level_up_id: int) -> bool:  # noqa: ANN001
    return _notify_once(self, LevelUp, level_up_id, _level_message)


@shared_task(name=AWARD_CHALLENGE_BONUS, bind=True, acks_late=True)
def award_challenge_bonus(self, challenge_id: int) -> int:  # noqa: ANN001
    """Pays each participant not yet paid; returns how many level-ups it caused (each then notified)."""
    with task_unit_of_work(self) as uow:
        level_ups = award_bonus(uow.session, challenge_id)
        enqueue_after_commit(uow.session, level_up_ids=level_ups)
        uow.commit()
    return len(level_ups)


_PENDING = "thangngoen.game_tasks"


def enqueue_after_commit(session: Session, *, badge_award_ids: Sequence[int] = (), level_up_ids: Sequence[int] = (),
                         completed_challenge_ids: Sequence[int] = ()) -> None:
    """Queue the tasks for when this session commits; a rollback drops them.

    SQLAlchemy also says "after_commit" when a savepoint is released, so the listeners act only when
    no nested transaction is open (a task for a row rolled back with a savepoint finds nothing and stops)."""
    calls: list[tuple[Any, int]] = [(notify_badge, i) for i in badge_award_ids]
    calls += [(notify_level_up, i) for i in level_up_ids] + [(award_challenge_bonus, i) for i in completed_challenge_ids]
    if not calls:
        return
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _send)
        event.listen(session, "after_rollback", _drop)
    session.info[_PENDING].extend(calls)


def _send(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the transaction is still open
    calls, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for task, arg in calls:
        try:
            task.delay(arg)
        except Exception:  # noqa: BLE001 - the award is committed; a lost notice must not fail the request
            log.exception("could not enqueue %s(%s)", task.name, arg)


def _drop(session: Session) -> None:
    if session.get_nested_transaction() is None:  # the whole transaction, not a savepoint inside it
        session.info[_PENDING] = []
