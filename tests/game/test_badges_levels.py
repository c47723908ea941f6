"""Badges earned once with their date, levels with progress, and the notices sent for both."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from recycle.db import UnitOfWork
from recycle.game import badges, deposits, tasks
from recycle.game.models import BadgeAward, LevelUp
from recycle.notify import notices
from tests import factories
from tests.game.helpers import deposit, kg, local, pieces
from tests.pickup.ticket_helpers import ticket


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    name = "recorder"

    def send(self, notice, to) -> None:  # noqa: ANN001 - the recycle.notify.notices.Channel interface
        self.sent.append((notice.household_id, notice.title_en))


@pytest.fixture
def recorder(db, tenant):  # noqa: ANN001, ANN201
    rec = Recorder()
    notices.CHANNELS["recorder"] = rec
    tenant.settings = {**(tenant.settings or {}), "notify_channel": "recorder"}
    db.flush()
    yield rec
    notices.CHANNELS.pop("recorder", None)


def _codes(db, hid) -> list[str]:  # noqa: ANN001
    return sorted(db.scalars(select(BadgeAward.badge_code).where(BadgeAward.household_id == hid)))


def test_first_deposit_badge_is_earned_once_with_its_date_and_announced_once(
    client, db, auth, catalog, collector, member, recorder
):
    for _ in range(2):
        r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id))
        assert r.status_code == 201
    badges = client.get("/api/v1/me/badges?per_page=200", headers={**auth(member), "Accept-Language": "en"}).json
    first = next(b for b in badges["items"] if b["code"] == "first_deposit")
    assert first["earned"] and first["earned_at"] and first["name"] == "First deposit"
    ten = next(b for b in badges["items"] if b["code"] == "deposits_10")
    assert not ten["earned"] and ten["earned_at"] is None and (ten["value"], ten["threshold"]) == (2, 10)
    assert _codes(db, member.household_id) == ["first_deposit"]
    # the notice went out after the commit, once; a redelivered task sends nothing more
    badge_notices = [n for n in recorder.sent if n[1].startswith("Badge")]  # beside each weigh-in's own receipt notice
    assert badge_notices == [(member.household_id, "Badge earned: First deposit")]
    award = db.scalar(select(BadgeAward).where(BadgeAward.household_id == member.household_id))
    db.refresh(award)
    assert award.notified_at is not None
    assert tasks.notify_badge.delay(award.id).get() is False
    assert len([n for n in recorder.sent if n[1].startswith("Badge")]) == 1


def test_the_database_refuses_a_second_copy_of_a_badge(db, tenant):
    hid = factories.HouseholdFactory(tenant=tenant).id
    db.add(BadgeAward(tenant_id=tenant.id, household_id=hid, badge_code="first_deposit"))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(BadgeAward(tenant_id=tenant.id, household_id=hid, badge_code="first_deposit"))
        db.flush()


def test_badges_for_pickups_kilos_materials_hazardous_organic_and_streaks(db, tenant):
    hid = factories.HouseholdFactory(tenant=tenant).id
    for week in range(4):  # four weekly deposits in a row: aluminium, batteries, wet waste
        deposit(
            db,
            tenant.id,
            hid,
            local(2026, 3, 2) + dt.timedelta(weeks=week),
            [kg("ALU_CAN", 2600), kg("BATTERY", 300, "hazardous"), kg("ORGANIC", 13_000, "organic")],
        )
    assert _codes(db, hid) == ["aluminium_hero", "first_deposit", "hazardous_hero", "organic_sorter", "streak_4"]
    for day in range(6):
        deposit(db, tenant.id, hid, local(2026, 4, 1 + day), [kg("CARDBOARD", 17_000), pieces("BOTTLE", 3)])
    assert {"deposits_10", "kg_100", "paper_hero"} <= set(_codes(db, hid))
    assert "tonne" not in _codes(db, hid) and "plastic_hero" not in _codes(db, hid)


def test_a_badge_stays_after_the_ticket_that_earned_it_is_voided(db, tenant):
    hid = factories.HouseholdFactory(tenant=tenant).id
    tid, events = deposit(db, tenant.id, hid, local(2026, 3, 2), [kg("ALU_CAN", 1000)])
    assert len(events.badge_award_ids) == 1
    deposits.reverse_deposit(db, tenant.id, tid)
    _, again = deposit(db, tenant.id, hid, local(2026, 3, 3), [kg("ALU_CAN", 1000)])
    assert again.badge_award_ids == [] and _codes(db, hid) == ["first_deposit"]


def test_levels_by_lifetime_points_with_progress_to_the_next():
    assert badges.level_progress(0)["code"] == "iron"
    almost = badges.level_progress(999)
    assert (almost["code"], almost["points_to_next"], almost["progress_pct"], almost["next"]["name_th"]) == (
        "iron",
        1,
        99,
        "ถังเงิน",
    )
    silver = badges.level_progress(3000)
    assert (silver["code"], silver["name_en"], silver["progress_pct"], silver["points_to_next"]) == (
        "silver",
        "Silver bin",
        50,
        2000,
    )
    gold = badges.level_progress(12_345)
    assert (gold["code"], gold["name_th"], gold["next"], gold["progress_pct"]) == ("gold", "ถังทอง", None, 100)


def test_a_level_up_is_recorded_once_and_announced(app, db, tenant, recorder):
    tenant.settings = {**tenant.settings, "points": {"monthly_cap": 0}}
    hid = factories.HouseholdFactory(tenant=tenant).id
    tid, events = deposit(db, tenant.id, hid, local(2026, 3, 2), [kg("ALU_CAN", 100_000)])  # 1000 points
    assert len(events.level_up_ids) == 1
    deposits.reverse_deposit(db, tenant.id, tid)
    _, again = deposit(db, tenant.id, hid, local(2026, 3, 3), [kg("ALU_CAN", 100_000)])
    assert again.level_up_ids == []  # reached silver before: no second "level up"
    assert db.scalar(select(func.count()).select_from(LevelUp).where(LevelUp.household_id == hid)) == 1
    with app.app_context():
        assert tasks.notify_level_up.delay(events.level_up_ids[0]).get() is True
        assert tasks.notify_level_up.delay(events.level_up_ids[0]).get() is False
    assert recorder.sent == [(hid, "Level up: Silver bin")]


def test_notices_are_sent_by_the_worker_once(committed_app, worker):
    """On CI a real worker on Redis runs the task; inline otherwise. Either way: once."""
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        household = factories.HouseholdFactory()
        award = BadgeAward(tenant_id=household.tenant_id, household_id=household.id, badge_code="first_deposit")
        uow.session.add(award)
        uow.commit()
        award_id = award.id
    with committed_app.app_context():
        assert tasks.notify_badge.delay(award_id).get(timeout=60) is True
        assert tasks.notify_badge.delay(award_id).get(timeout=60) is False
        assert tasks.notify_badge.delay(award_id + 1000).get(timeout=60) is False  # gone: nothing to say
    with UnitOfWork(factory) as uow:
        assert uow.session.get(BadgeAward, award_id).notified_at is not None


def test_notices_wait_for_the_real_commit_and_a_rollback_sends_none(app, db, session_factory, tenant, recorder):
    hid = factories.HouseholdFactory(tenant=tenant).id
    db.flush()
    request = session_factory()  # as a request's session would be
    with request.begin_nested():
        _, events = deposit(request, tenant.id, hid, local(2026, 3, 2), [kg("ALU_CAN", 1000)])
        tasks.enqueue_after_commit(request, badge_award_ids=events.badge_award_ids)
    assert recorder.sent == []  # a savepoint released is not a commit
    request.commit()
    assert recorder.sent == [(hid, "Badge earned: First deposit")]
    other = factories.HouseholdFactory(tenant=tenant).id
    db.flush()
    doomed = session_factory()
    _, events = deposit(doomed, tenant.id, other, local(2026, 3, 2), [kg("ALU_CAN", 1000)])
    tasks.enqueue_after_commit(doomed, badge_award_ids=events.badge_award_ids)
    doomed.rollback()
    doomed.commit()
    assert recorder.sent == [(hid, "Badge earned: First deposit")]
    request.close()
    doomed.close()


def test_a_tenant_defines_its_own_badges_as_data(db, tenant):
    tenant.settings = {
        "badges": [
            {
                "code": "copper_king",
                "name_th": "ราชาทองแดง",
                "name_en": "Copper king",
                "metric": "material_weight_g",
                "materials": ["COPPER"],
                "threshold": 2000,
            }
        ]
    }
    hid = factories.HouseholdFactory(tenant=tenant).id
    deposit(db, tenant.id, hid, local(2026, 3, 2), [kg("COPPER", 1500)])
    assert _codes(db, hid) == []  # and no first_deposit: the tenant's list replaces the standard one
    deposit(db, tenant.id, hid, local(2026, 3, 3), [kg("COPPER", 600)])
    assert _codes(db, hid) == ["copper_king"]
    tenant.settings = {"badges": [{"code": "broken", "metric": "weight_g"}]}  # unusable: the standard list applies
    assert badges.badge_definitions(tenant.settings) is badges.BADGES
