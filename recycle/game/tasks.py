"""Game tasks: tell a household about a badge or a level (a notice in the outbox, recycle/notices.py) and pay a
reached challenge's bonus (its participants told in the same transaction). Task names are constants; tasks
take ids and are idempotent (a redelivered task finds `notified_at` set, or the bonus entries already there).

They are enqueued only after the transaction that made the award commits (`enqueue_after_commit`), so
a worker never looks for a row that is not there yet, and a rolled-back award tells nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import shared_task
from sqlalchemy import select
from sqlalchemy.orm import Session

from recycle import outbox
from recycle.db import task_unit_of_work
from recycle.game import notices as game_notices
from recycle.game.challenges import award_bonus
from recycle.game.models import BadgeAward, Challenge, LevelUp, PointsEntry

NOTIFY_BADGE = "recycle.game.notify_badge"
NOTIFY_LEVEL_UP = "recycle.game.notify_level_up"
AWARD_CHALLENGE_BONUS = "recycle.game.award_challenge_bonus"
log = logging.getLogger("thangngoen.notify")


def _notify_once(task: Any, model: type, row_id: int) -> bool:
    """Record the award's notice in the outbox (sent by recycle.notify.tasks) unless it was already told."""
    with task_unit_of_work(task) as uow:
        db = uow.session
        row = db.scalar(select(model).where(model.id == row_id).with_for_update())
        if row is None or row.notified_at is not None:
            return False
        game_notices.record_one(db, row)
        uow.commit()
    return True


@shared_task(name=NOTIFY_BADGE, bind=True, acks_late=True)
def notify_badge(self, award_id: int) -> bool:  # noqa: ANN001
    """True if this run sent the notice; False if it had been sent (or the award is gone)."""
    return _notify_once(self, BadgeAward, award_id)


@shared_task(name=NOTIFY_LEVEL_UP, bind=True, acks_late=True)
def notify_level_up(self, level_up_id: int) -> bool:  # noqa: ANN001
    return _notify_once(self, LevelUp, level_up_id)


@shared_task(name=AWARD_CHALLENGE_BONUS, bind=True, acks_late=True)
def award_challenge_bonus(self, challenge_id: int) -> int:  # noqa: ANN001
    """Pays each participant not yet paid; returns how many level-ups it caused (each then notified)."""
    with task_unit_of_work(self) as uow:
        db = uow.session
        level_ups = award_bonus(db, challenge_id)
        challenge = db.get(Challenge, challenge_id)
        if challenge is not None and challenge.completed_at is not None:
            paid = sorted(
                set(
                    db.scalars(
                        select(PointsEntry.household_id).where(
                            PointsEntry.tenant_id == challenge.tenant_id,
                            PointsEntry.ref_type == "challenge",
                            PointsEntry.ref_id == challenge.id,
                        )
                    )
                )
            )
            game_notices.record_challenge(db, challenge, paid)
            for hid in paid:  # a bonus may lift a level: told in the same transaction
                game_notices.record_awards(db, challenge.tenant_id, hid)
        uow.commit()
    return len(level_ups)


def enqueue_after_commit(
    session: Session,
    *,
    badge_award_ids: Sequence[int] = (),
    level_up_ids: Sequence[int] = (),
    completed_challenge_ids: Sequence[int] = (),
) -> None:
    """Queue the notices and bonus for when this session commits (recycle.outbox.after_commit); a rollback drops them.

    The award rows are the durable record: a notice whose task was lost is still owed (`notified_at` unset)."""
    for award_id in badge_award_ids:
        outbox.after_commit(session, NOTIFY_BADGE, award_id=award_id)
    for level_up_id in level_up_ids:
        outbox.after_commit(session, NOTIFY_LEVEL_UP, level_up_id=level_up_id)
    for challenge_id in completed_challenge_ids:
        outbox.after_commit(session, AWARD_CHALLENGE_BONUS, challenge_id=challenge_id)
