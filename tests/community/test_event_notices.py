"""Every event a household hears about is recorded with it: payout ready and paid, pickup scheduled and the
reminder the day before; the member's notices list is their record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from enterprise import payouts
from pickup.models import PickupRequest
from pickup.notice_hooks import remind_tomorrow
from pickup.pickups import local_today
from pickup.tasks import remind_tomorrows_pickups
from recycle.db import utcnow
from recycle.notify.models import Notice
from recycle.principal import Principal
from tests import factories
from tests.enterprise.settle_helpers import credit, yesterday
from tests.enterprise.test_settlements import approve, run_and_payouts


def _mine(db: Any, household_id: int) -> list[Notice]:
    db.expire_all()
    return list(db.scalars(select(Notice).where(Notice.household_id == household_id).order_by(Notice.id)))


def test_payout_ready_then_paid(
    client: Any, db: Any, auth: Any, tenant: Any, catalog: Any, collector: Any, staff: Any, member: Any
) -> None:
    credit(client, auth(collector), member.household_id, 5000)  # 200 baht of cans
    run, pays = run_and_payouts(client, auth(staff), yesterday())
    approve(db, tenant, run["id"])
    ready = [n for n in _mine(db, member.household_id) if n.kind == "payout_ready"]
    assert len(ready) == 1 and "196.00 บาท" in ready[0].title_th and ready[0].data["net_satang"] == 19600
    payouts.mark_paid(db, Principal(staff.id, tenant.id, "staff"), pays[member.household_id]["id"], "cash", "")
    db.flush()
    paid = [n for n in _mine(db, member.household_id) if n.kind == "payout_paid"]
    assert len(paid) == 1 and "เงินสด" in paid[0].title_th
    listed = client.get("/api/v1/me/notices", headers=auth(member)).json
    assert {"payout_ready", "payout_paid"} <= {n["kind"] for n in listed["items"]}


def test_pickup_scheduled_and_reminded_the_day_before_once(
    client: Any, db: Any, auth: Any, tenant: Any, staff: Any, collector: Any, member: Any
) -> None:
    tomorrow = local_today(tenant) + dt.timedelta(days=1)
    r = client.post("/api/v1/pickups", headers=auth(member), json={"requested_date": tomorrow.isoformat()})
    assert r.status_code == 201, r.json
    r = client.post(
        "/api/v1/rounds",
        headers=auth(staff),
        json={"collector_user_id": collector.id, "round_date": tomorrow.isoformat(), "pickup_ids": [r.json["id"]]},
    )
    assert r.status_code == 201, r.json
    scheduled = [n for n in _mine(db, member.household_id) if n.kind == "pickup_scheduled"]
    assert len(scheduled) == 1 and str(tomorrow.year + 543) in scheduled[0].title_th
    assert remind_tomorrows_pickups.delay().get() == 1
    assert remind_tomorrow(db, tenant, utcnow()) == 1  # the beat ran twice: still one reminder
    reminders = [n for n in _mine(db, member.household_id) if n.kind == "pickup_reminder"]
    assert len(reminders) == 1 and reminders[0].status == "sent"
    other = factories.HouseholdUserFactory(tenant=tenant)
    assert client.get("/api/v1/me/notices", headers=auth(other)).json["total"] == 0  # only one's own
    assert db.scalar(select(PickupRequest.status).where(PickupRequest.household_id == member.household_id)) == "scheduled"


def test_a_completed_challenge_tells_each_participant_once(
    client: Any, db: Any, auth: Any, tenant: Any, catalog: Any, collector: Any, staff: Any, member: Any
) -> None:
    from recycle.game.tasks import award_challenge_bonus
    from tests.game.test_challenges import _challenge
    from tests.pickup.ticket_helpers import ticket

    elsewhere = factories.HouseholdUserFactory(tenant=tenant)
    c = _challenge(client, auth(staff), village_id=member.household.village_id)
    assert c.status_code == 201
    client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=elsewhere.household_id, lines=[{"material_code": "ALU_CAN", "weight_g": 9000}]),
    )
    client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, lines=[{"material_code": "ALU_CAN", "weight_g": 6000}]),
    )
    told = [n for n in _mine(db, member.household_id) if n.kind == "challenge_completed"]
    assert len(told) == 1 and told[0].title_th.endswith("อลูมิเนียม 5 กิโล") and told[0].data["bonus_points"] == 25
    assert [n for n in _mine(db, elsewhere.household_id) if n.kind == "challenge_completed"] == []
    award_challenge_bonus.delay(c.json["id"]).get()  # redelivered
    assert len([n for n in _mine(db, member.household_id) if n.kind == "challenge_completed"]) == 1
