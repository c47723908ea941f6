"""Pickup requests: asking, privacy between households, idempotent retries, the rules, the status moves."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pickup import pickups
from pickup.models import PickupRequest
from recycle.db import utcnow
from recycle.errors import Conflict
from tests import factories
from tests.pickup.ticket_helpers import card_text, round_with_pickup


def test_a_household_asks_and_lists_its_pickups(client, auth, tenant, catalog, member, ask, today):
    r = ask(
        member,
        window_start="09:00",
        window_end="11:30",
        note="ถุงอยู่หน้าบ้าน",
        estimated=[{"material_code": "pet_clear", "estimated_g": 3000}, {"material_code": "ALU_CAN", "estimated_g": 500}],
    )
    assert r.status_code == 201, r.json
    p = r.json
    assert p["household_id"] == member.household_id and p["status"] == "requested" and p["round_id"] is None
    assert p["requested_date"] == (today + dt.timedelta(days=1)).isoformat()
    assert (p["window_start"], p["window_end"]) == ("09:00", "11:30")
    assert (p["lat"], p["lng"]) == (member.household.lat, member.household.lng)  # default: the household's place
    assert p["estimated"] == [
        {"material_code": "PET_CLEAR", "estimated_g": 3000},
        {"material_code": "ALU_CAN", "estimated_g": 500},
    ]
    pinned = ask(member, requested_date=(today + dt.timedelta(days=2)).isoformat(), lat=20.1, lng=100.4)
    assert (pinned.json["lat"], pinned.json["lng"]) == (20.1, 100.4)

    factories.HouseholdUserFactory(tenant=tenant)  # a neighbour's pickups never show up in mine
    listed = client.get("/api/v1/pickups", headers=auth(member)).json
    assert listed["total"] == 2 and [x["id"] for x in listed["items"]] == [pinned.json["id"], p["id"]]
    one = client.get(f"/api/v1/pickups/{p['id']}", headers=auth(member))
    assert one.status_code == 200 and one.json["note"] == "ถุงอยู่หน้าบ้าน"


def test_another_households_pickup_is_404(client, auth, tenant, member, staff, collector, ask):
    neighbour = factories.HouseholdUserFactory(tenant=tenant)
    pid = ask(neighbour).json["id"]
    assert client.get(f"/api/v1/pickups/{pid}", headers=auth(member)).status_code == 404
    assert client.post(f"/api/v1/pickups/{pid}/cancel", headers=auth(member), json={}).status_code == 404
    assert client.get(f"/api/v1/pickups/{pid}", headers=auth(collector)).status_code == 404  # not on its round
    assert client.get(f"/api/v1/pickups/{pid}", headers=auth(staff)).status_code == 200
    outsider = factories.UserFactory(role="staff")
    assert client.get(f"/api/v1/pickups/{pid}", headers=auth(outsider)).status_code == 404
    assert client.get("/api/v1/pickups", headers=auth(outsider)).json["total"] == 0


def test_a_retry_with_the_same_client_id_gets_the_first_pickup(client, auth, catalog, member, ask, today):
    cid = str(uuid.uuid4())
    body = {"client_id": cid, "estimated": [{"material_code": "ALU_CAN", "estimated_g": 800}]}
    first = ask(member, **body)
    again = ask(member, **body)
    assert first.status_code == 201 and again.status_code == 200 and again.json["id"] == first.json["id"]
    other = ask(member, client_id=cid, estimated=[{"material_code": "ALU_CAN", "estimated_g": 900}])
    assert other.status_code == 409 and "client_id" in other.json["errors"]
    elsewhere = ask(member, client_id=cid, requested_date=(today + dt.timedelta(days=3)).isoformat())
    assert elsewhere.status_code == 409
    assert client.get("/api/v1/pickups", headers=auth(member)).json["total"] == 1


def _errors(r) -> dict:
    assert r.status_code in (409, 422), (r.status_code, r.json)
    return r.json["errors"]


def test_bad_requests_name_the_field(client, db, auth, tenant, catalog, member, staff, ask, today):
    day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
    assert "requested_date" in _errors(ask(member, requested_date=day(-1)))
    assert "requested_date" in _errors(ask(member, requested_date=day(61)))
    assert ask(member, requested_date=day(60)).status_code == 201
    assert "requested_date" in _errors(ask(member, requested_date=day(5).replace("-", "")))
    assert "window_end" in _errors(ask(member, window_start="14:00", window_end="09:00"))
    assert "window_start" in _errors(ask(member, window_start="9:00"))
    assert "window_end" in _errors(ask(member, window_end="24:00"))
    assert "estimated.0.material_code" in _errors(ask(member, estimated=[{"material_code": "GOLD", "estimated_g": 5}]))
    dup = [{"material_code": "ALU_CAN", "estimated_g": 5}, {"material_code": "alu_can", "estimated_g": 6}]
    assert "estimated.1.material_code" in _errors(ask(member, estimated=dup))
    assert "estimated.0.estimated_g" in _errors(ask(member, estimated=[{"material_code": "ALU_CAN", "estimated_g": 0}]))
    catalog["BOTTLE"].active = False
    db.flush()
    assert "estimated.0.material_code" in _errors(ask(member, estimated=[{"material_code": "BOTTLE", "estimated_g": 5}]))
    assert "lat" in _errors(ask(member, lat=20.0))
    assert "note" in _errors(ask(member, note="x" * 501))
    assert "colour" in _errors(ask(member, colour="red"))  # unknown fields are refused

    assert ask(member, requested_date=day(7)).status_code == 201
    twice = ask(member, requested_date=day(7))
    assert twice.status_code == 409 and "requested_date" in twice.json["errors"]
    assert "household_id" in _errors(ask(staff))  # staff must say for whom
    neighbour = factories.HouseholdFactory(tenant=tenant)
    assert "household_id" in _errors(ask(member, household_id=neighbour.id))
    assert "household_id" in _errors(ask(staff, household_id=factories.HouseholdFactory().id))  # another tenant's


def test_staff_ask_for_a_member_who_phoned(client, auth, tenant, staff, collector, ask):
    elderly = factories.HouseholdFactory(tenant=tenant, lat=None, lng=None)
    r = ask(staff, household_id=elderly.id, note="โทรมาเมื่อเช้า")
    assert r.status_code == 201 and r.json["household_id"] == elderly.id and r.json["lat"] is None
    assert r.json["requested_by_user_id"] == staff.id
    assert ask(collector, household_id=elderly.id).status_code == 403


def test_cancel_and_the_moves_a_pickup_may_make(client, db, auth, tenant, member, staff, collector, ask):
    pid = ask(member).json["id"]
    missed_early = client.post(
        f"/api/v1/pickups/{pid}/missed", headers={**auth(staff), "Accept-Language": "en"}, json={"reason": "ไม่มีคนอยู่"}
    )
    assert missed_early.status_code == 409 and "requested" in missed_early.json["detail"]  # never scheduled
    r = client.post(f"/api/v1/pickups/{pid}/cancel", headers=auth(member))  # no body at all is fine
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    again = client.post(f"/api/v1/pickups/{pid}/cancel", headers={**auth(staff), "Accept-Language": "en"}, json={"reason": "x"})
    assert again.status_code == 409 and again.json["detail"] == "a cancelled pickup cannot become cancelled"

    _, pickup = round_with_pickup(db, tenant, collector, member.household)
    pickups.mark_collected(db, pickup, utcnow())
    pickups.mark_collected(db, pickup, utcnow())  # a synced retry changes nothing
    assert pickup.status == "collected"
    late = client.post(
        f"/api/v1/pickups/{pickup.id}/cancel", headers={**auth(member), "Accept-Language": "en"}, json={"reason": "เปลี่ยนใจ"}
    )
    assert late.status_code == 409 and late.json["detail"] == "a collected pickup cannot become cancelled"
    cancelled = db.get(PickupRequest, pid)
    with pytest.raises(Conflict):
        pickups.mark_collected(db, cancelled, utcnow())


def test_a_collector_marks_a_stop_on_its_round_missed(client, db, auth, tenant, member, staff, collector, other_collector):
    _, pickup = round_with_pickup(db, tenant, collector, member.household)
    url = f"/api/v1/pickups/{pickup.id}/missed"
    assert client.post(url, headers=auth(other_collector), json={"reason": "x"}).status_code == 404
    assert client.post(url, headers=auth(member), json={"reason": "x"}).status_code == 403
    assert "reason" in client.post(url, headers=auth(collector), json={}).json["errors"]
    r = client.post(url, headers=auth(collector), json={"reason": "ประตูล็อก"})
    assert r.status_code == 200 and r.json["status"] == "missed" and r.json["status_reason"] == "ประตูล็อก"
    db.refresh(pickup)
    mine = client.get("/api/v1/pickups?status=missed", headers=auth(collector)).json
    assert [p["id"] for p in mine["items"]] == [pickup.id]
    assert client.get("/api/v1/pickups", headers=auth(other_collector)).json["total"] == 0
    pickups.mark_collected(db, pickup, utcnow())  # the collector came back later the same day
    assert pickup.status == "collected"


def test_filters_and_the_open_pickup_a_scan_shows(client, db, auth, tenant, member, staff, collector, make_pickup, today):
    other_village = factories.VillageFactory(tenant_id=tenant.id)
    far = make_pickup(member.household, today + dt.timedelta(days=9))
    near = make_pickup(member.household, today + dt.timedelta(days=2))
    make_pickup(member.household, today, status="cancelled")
    elsewhere = make_pickup(factories.HouseholdFactory(tenant=tenant, village=other_village), today)
    assert pickups.open_pickup_for(db, tenant.id, member.household_id).id == near.id
    scan = client.post("/api/v1/scans", headers=auth(collector), json={"qr": card_text(client, auth(staff), member.household_id)})
    assert scan.json["open_pickup_id"] == near.id

    def ids(qs):  # noqa: ANN001, ANN202
        return [p["id"] for p in client.get(f"/api/v1/pickups?{qs}", headers=auth(staff)).json["items"]]

    assert ids(f"village_id={other_village.id}") == [elsewhere.id]
    assert ids(f"date={far.requested_date.isoformat()}") == [far.id]
    assert set(ids("status=requested")) == {far.id, near.id, elsewhere.id}
    assert client.get("/api/v1/pickups?status=lost", headers=auth(staff)).status_code == 422
    assert pickups.open_pickup_for(db, tenant.id, factories.HouseholdFactory(tenant=tenant).id) is None
