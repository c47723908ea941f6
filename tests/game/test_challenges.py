"""Community challenges: staff set them, everyone sees the progress, participants get the bonus when reached."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from recycle.db import utcnow
from recycle.game import challenges, points
from recycle.game.models import PointsEntry
from recycle.principal import Principal
from tests import factories
from tests.game.helpers import deposit, kg, local
from tests.pickup.ticket_helpers import ticket


def _today() -> dt.date:
    return utcnow().astimezone(dt.timezone(dt.timedelta(hours=7))).date()


def _challenge(client, headers, **over):  # noqa: ANN001, ANN003, ANN202
    body = {
        "title_th": "อลูมิเนียม 5 กิโล",
        "title_en": "5 kg of aluminium",
        "material_code": "ALU_CAN",
        "start_date": (_today() - dt.timedelta(days=3)).isoformat(),
        "end_date": (_today() + dt.timedelta(days=3)).isoformat(),
        "target_g": 5000,
        "bonus_points": 25,
    }
    body.update(over)
    return client.post("/api/v1/challenges", headers=headers, json=body)


def test_progress_is_visible_to_all_and_every_participant_gets_the_bonus_once(
    client, db, auth, tenant, catalog, collector, staff, member
):
    village = member.household.village
    neighbour = factories.HouseholdUserFactory(
        tenant=tenant, household=factories.HouseholdFactory(tenant=tenant, village=village)
    )
    elsewhere = factories.HouseholdUserFactory(tenant=tenant)
    c = _challenge(client, auth(staff), village_id=village.id)
    assert c.status_code == 201 and c.json["status"] == "running" and c.json["progress_g"] == 0
    alu = lambda g: [{"material_code": "ALU_CAN", "weight_g": g}]  # noqa: E731
    client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id, lines=alu(3000)))
    client.post(
        "/api/v1/collections", headers=auth(collector), json=ticket(household_id=elsewhere.household_id, lines=alu(9000))
    )  # another village: does not count
    client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, lines=[{"material_code": "PET_CLEAR", "weight_g": 9000}]),
    )
    seen = client.get("/api/v1/challenges", headers={**auth(elsewhere), "Accept-Language": "en"}).json["items"][0]
    assert (seen["progress_g"], seen["progress_pct"], seen["participants"], seen["title"]) == (3000, 60, 1, "5 kg of aluminium")
    before = {h: points.summary(db, tenant.id, h).balance for h in (member.household_id, neighbour.household_id)}
    client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=neighbour.household_id, lines=alu(2500)))
    done = client.get("/api/v1/challenges", headers=auth(collector)).json["items"][0]
    assert done["status"] == "completed" and done["completed_at"] and done["progress_g"] == 5500
    assert points.summary(db, tenant.id, member.household_id).balance == before[member.household_id] + 25
    assert points.summary(db, tenant.id, neighbour.household_id).balance == before[neighbour.household_id] + 25 + 25
    assert points.summary(db, tenant.id, elsewhere.household_id).balance == 90  # no bonus outside the village
    client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id, lines=alu(1000)))
    assert db.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.kind == "challenge")) == 2
    mine = client.get("/api/v1/me/points", headers=auth(member)).json["entries"]["items"]
    assert any(e["kind"] == "challenge" and e["points"] == 25 for e in mine)


def test_the_bonus_task_is_idempotent(db, tenant):
    hid = factories.HouseholdFactory(tenant=tenant).id
    staff = factories.UserFactory(tenant=tenant, role="staff")
    c = challenges.create(
        db,
        Principal(staff.id, tenant.id, "staff"),
        challenges.ChallengeInput("x", "x", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 1000, 40),
    )
    _, events = deposit(db, tenant.id, hid, local(2026, 3, 5), [kg("PET_CLEAR", 1500)])
    assert events.completed_challenge_ids == [c.id]
    assert challenges.award_bonus(db, c.id) == []
    assert challenges.award_bonus(db, c.id) == []
    assert db.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.kind == "challenge")) == 40
    assert points.summary(db, tenant.id, hid).balance == 15 + 40 == points.entries_sum(db, tenant.id, hid)


def test_a_challenge_reached_before_it_was_posted_completes_at_once(client, db, auth, tenant, catalog, collector, staff, member):
    client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, lines=[{"material_code": "PET_CLEAR", "weight_g": 6000}]),
    )
    c = _challenge(client, auth(staff), material_code=None)
    assert c.json["status"] == "completed" and c.json["participants"] == 1
    assert client.get("/api/v1/me", headers=auth(member)).json["points"] == 72 + 25


def test_bad_challenges_are_refused_naming_the_field(client, auth, staff, member, catalog):
    r = _challenge(client, {**auth(staff), "Accept-Language": "en"}, start_date="2026-12-31", end_date="2026-12-01")
    assert r.status_code == 422 and "end_date" in r.json["errors"] and "before it starts" in r.json["detail"]
    r = _challenge(client, auth(staff), material_code="GOLD")
    assert r.status_code == 422 and "material_code" in r.json["errors"]
    r = _challenge(client, auth(staff), village_id=factories.VillageFactory().id)
    assert r.status_code == 422 and "village_id" in r.json["errors"]
    r = _challenge(client, auth(staff), target_g=0)
    assert r.status_code == 422 and "target_g" in r.json["errors"]
    assert _challenge(client, auth(member)).status_code == 403
    upcoming = _challenge(client, auth(staff), start_date="2099-01-01", end_date="2099-01-31").json
    assert upcoming["status"] == "upcoming"
    listed = client.get("/api/v1/challenges?status=upcoming", headers=auth(member)).json
    assert [x["id"] for x in listed["items"]] == [upcoming["id"]]
