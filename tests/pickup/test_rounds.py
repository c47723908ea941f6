"""Rounds: planning by village or by hand, the stop order, who sees which round, reordering and cancelling."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import select

from api.auth import issue_tokens
from pickup.models import PickupRequest, RoundStop
from pickup.pickups import local_today
from recycle.db import UnitOfWork
from tests import factories

STEP = 0.01  # ~1.1 km of latitude between neighbours on the line


@pytest.fixture
def line(tenant, make_pickup):
    """Five pickups on a lane heading north from the centre, zig-zagging a little east and west, created
    out of order (ids do not follow the lane), plus three without a location in villages ข and ก."""
    north = factories.VillageFactory(tenant_id=tenant.id, name_th="ข เหนือ")
    south = factories.VillageFactory(tenant_id=tenant.id, name_th="ก ใต้")
    by_step = {}
    for k in (3, 1, 5, 2, 4):
        lng = tenant.centre_lng + (0.002 if k % 2 else -0.002)
        h = factories.HouseholdFactory(tenant=tenant, village=north, lat=tenant.centre_lat + k * STEP, lng=lng)
        by_step[k] = make_pickup(h)
    nowhere = [
        make_pickup(factories.HouseholdFactory(tenant=tenant, village=v, lat=None, lng=None)) for v in (north, south, north)
    ]
    return {"villages": (north, south), "route": [by_step[k].id for k in (1, 2, 3, 4, 5)], "nowhere": nowhere}


def plan(client, auth, staff, collector, day, **fields):
    body = {"collector_user_id": collector.id, "round_date": day.isoformat(), **fields}
    return client.post("/api/v1/rounds", headers=auth(staff), json=body)


def stop_ids(r) -> list[int]:
    return [s["pickup_id"] for s in r.json["stops"]]


def test_a_round_by_village_visits_the_lane_in_order_and_unlocated_last_by_village(
    client, auth, tenant, staff, collector, line, make_pickup, today
):
    north, south = line["villages"]
    tomorrow = make_pickup(factories.HouseholdFactory(tenant=tenant, village=north), today + dt.timedelta(days=1))
    r = plan(client, auth, staff, collector, today, village_ids=[north.id, south.id])
    assert r.status_code == 201, r.json
    a, b, c = line["nowhere"]  # a, c in ข; b in ก: ก sorts first
    assert stop_ids(r) == line["route"] + [b.id, a.id, c.id]
    assert tomorrow.id not in stop_ids(r)
    assert [s["position"] for s in r.json["stops"]] == list(range(1, 9))
    assert {s["status"] for s in r.json["stops"]} == {"scheduled"}
    first = r.json["stops"][0]
    assert first["village_name_th"] == "ข เหนือ" and first["member_no"] and first["address"] == "1 หมู่ 1"
    assert r.json["route_length_m"] > 5 * 1000 and r.json["collector_name"] == collector.name
    pickup = client.get(f"/api/v1/pickups/{first['pickup_id']}", headers=auth(collector)).json
    assert pickup["status"] == "scheduled" and pickup["round_id"] == r.json["id"]

    again = plan(client, auth, staff, collector, today, pickup_ids=[line["route"][0]])
    assert again.status_code == 409 and "pickup_ids" in again.json["errors"]
    assert f"round {r.json['id']}" in again.json["errors"]["pickup_ids"][0]
    empty = plan(client, auth, staff, collector, today, village_ids=[north.id])
    assert empty.status_code == 422 and "village_ids" in empty.json["errors"]


def test_planning_errors_name_the_field(client, auth, tenant, staff, collector, member, line, today):
    pid = line["route"][0]
    assert "collector_user_id" in plan(client, auth, staff, staff, today, pickup_ids=[pid]).json["errors"]
    foreign = factories.UserFactory(role="collector")
    assert "collector_user_id" in plan(client, auth, staff, foreign, today, pickup_ids=[pid]).json["errors"]
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=61)):
        assert "round_date" in plan(client, auth, staff, collector, day, pickup_ids=[pid]).json["errors"]
    both = plan(client, auth, staff, collector, today, pickup_ids=[pid], village_ids=[line["villages"][0].id])
    assert both.status_code == 422 and "pickup_ids" in both.json["errors"]
    assert "pickup_ids" in plan(client, auth, staff, collector, today, pickup_ids=[pid, 10**9]).json["errors"]
    assert "pickup_ids" in plan(client, auth, staff, collector, today, pickup_ids=[pid, pid]).json["errors"]
    assert "village_ids" in plan(client, auth, staff, collector, today, village_ids=[10**9]).json["errors"]
    assert plan(client, auth, collector, collector, today, pickup_ids=[pid]).status_code == 403


def test_a_collector_sees_only_its_own_rounds(client, auth, tenant, staff, collector, other_collector, member, line, today):
    mine = plan(client, auth, staff, collector, today, pickup_ids=line["route"][:2]).json
    theirs = plan(client, auth, staff, other_collector, today, pickup_ids=line["route"][2:]).json
    assert client.get(f"/api/v1/rounds/{mine['id']}", headers=auth(collector)).status_code == 200
    assert client.get(f"/api/v1/rounds/{theirs['id']}", headers=auth(collector)).status_code == 404
    assert client.post(f"/api/v1/rounds/{theirs['id']}/reoptimize", headers=auth(collector)).status_code == 404
    assert client.get(f"/api/v1/rounds/{mine['id']}", headers=auth(member)).status_code == 403
    listed = client.get("/api/v1/rounds", headers=auth(collector)).json
    assert [x["id"] for x in listed["items"]] == [mine["id"]] and listed["items"][0]["stop_count"] == 2
    assert listed["items"][0]["stops_by_status"] == {"scheduled": 2}
    everyone = client.get(f"/api/v1/rounds?date={today.isoformat()}", headers=auth(staff)).json
    assert everyone["total"] == 2
    only = client.get(f"/api/v1/rounds?collector_user_id={other_collector.id}", headers=auth(staff)).json
    assert [x["id"] for x in only["items"]] == [theirs["id"]]
    seen = client.get("/api/v1/pickups", headers=auth(collector)).json
    assert sorted(p["id"] for p in seen["items"]) == sorted(line["route"][:2])
    outsider = factories.UserFactory(role="staff")
    assert client.get(f"/api/v1/rounds/{mine['id']}", headers=auth(outsider)).status_code == 404


def test_the_collector_reorders_with_a_permutation_only(client, auth, staff, collector, other_collector, line, today):
    rnd = plan(client, auth, staff, collector, today, pickup_ids=line["route"]).json
    url = f"/api/v1/rounds/{rnd['id']}/stops/order"
    wanted = list(reversed(line["route"]))
    r = client.post(url, headers=auth(collector), json={"pickup_ids": wanted})
    assert r.status_code == 200 and stop_ids(r) == wanted and [s["position"] for s in r.json["stops"]] == [1, 2, 3, 4, 5]
    for bad in (wanted[:-1], wanted + [line["nowhere"][0].id], wanted[:-1] + [wanted[0]], []):
        r = client.post(url, headers=auth(collector), json={"pickup_ids": bad})
        assert r.status_code == 422 and "pickup_ids" in r.json["errors"], bad
    assert client.post(url, headers=auth(other_collector), json={"pickup_ids": wanted}).status_code == 404
    back = client.post(f"/api/v1/rounds/{rnd['id']}/reoptimize", headers=auth(collector))
    assert back.status_code == 200 and stop_ids(back) == line["route"]


def test_cancel_removes_the_stop_and_closes_the_gap(client, db, auth, tenant, staff, collector, line, today):
    rnd = plan(client, auth, staff, collector, today, pickup_ids=line["route"]).json
    gone = line["route"][2]
    household_user = factories.HouseholdUserFactory(tenant=tenant, household=db.get(PickupRequest, gone).household)
    r = client.post(f"/api/v1/pickups/{gone}/cancel", headers=auth(household_user), json={"reason": "ไม่อยู่บ้าน"})
    assert r.status_code == 200 and r.json["status"] == "cancelled" and r.json["round_id"] is None
    after = client.get(f"/api/v1/rounds/{rnd['id']}", headers=auth(collector)).json
    assert [s["pickup_id"] for s in after["stops"]] == [p for p in line["route"] if p != gone]
    assert [s["position"] for s in after["stops"]] == [1, 2, 3, 4]
    readd = client.post(f"/api/v1/rounds/{rnd['id']}/stops", headers=auth(staff), json={"pickup_ids": [gone]})
    assert readd.status_code == 409 and "pickup_ids" in readd.json["errors"]  # cancelled for good


def test_staff_add_stops_and_a_missed_pickup_is_replanned(client, auth, tenant, staff, collector, other_collector, line, today):
    first, second = line["route"][0], line["route"][1]
    rnd = plan(client, auth, staff, collector, today, pickup_ids=[first]).json
    added = client.post(
        f"/api/v1/rounds/{rnd['id']}/stops", headers=auth(staff), json={"pickup_ids": [line["nowhere"][0].id, second]}
    )
    assert added.status_code == 200 and stop_ids(added) == [first, second, line["nowhere"][0].id]
    assert (
        client.post(
            f"/api/v1/rounds/{rnd['id']}/stops", headers=auth(collector), json={"pickup_ids": [line["route"][2]]}
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/pickups/{first}/missed", headers=auth(collector), json={"reason": "ไม่มีคน"}).status_code == 200
    later = plan(client, auth, staff, other_collector, today + dt.timedelta(days=1), pickup_ids=[first])
    assert later.status_code == 201 and stop_ids(later) == [first]
    old = client.get(f"/api/v1/rounds/{rnd['id']}", headers=auth(staff)).json
    assert stop_ids_of(old) == [second, line["nowhere"][0].id] and [s["position"] for s in old["stops"]] == [1, 2]
    assert client.get(f"/api/v1/pickups/{first}", headers=auth(collector)).status_code == 404  # no longer its round


def stop_ids_of(body: dict) -> list[int]:
    return [s["pickup_id"] for s in body["stops"]]


def test_two_staff_planning_the_same_pickups_at_once_book_each_once(committed_app):
    """On PostgreSQL this races two real transactions: row locks decide, nobody double-books a pickup."""
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        day = local_today(tenant)
        staff = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(2)]
        collectors = [factories.UserFactory(tenant=tenant, role="collector") for _ in range(2)]
        households = [factories.HouseholdFactory(tenant=tenant) for _ in range(3)]
        for h in households:
            uow.session.add(
                PickupRequest(
                    tenant_id=tenant.id,
                    household_id=h.id,
                    requested_date=day,
                    lat=h.lat,
                    lng=h.lng,
                    estimated=[],
                    note="",
                    status="requested",
                )
            )
        uow.commit()
        pickup_ids = list(uow.session.scalars(select(PickupRequest.id).where(PickupRequest.tenant_id == tenant.id)))
        member = factories.HouseholdUserFactory(tenant=tenant, household=households[0])
        uow.commit()
    with committed_app.app_context():
        headers = [{"Authorization": "Bearer " + issue_tokens(u)["access_token"]} for u in (*staff, member, member)]
    barrier = threading.Barrier(2)
    out: list = [None, None]

    def race(calls) -> list[int]:  # noqa: ANN001
        def go(i: int) -> None:
            client = committed_app.test_client()
            barrier.wait()
            out[i] = client.post(calls[i][0], headers=calls[i][1], json=calls[i][2])

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        [t.start() for t in threads]
        [t.join(timeout=60) for t in threads]
        return sorted(r.status_code for r in out)

    rounds = [
        (
            "/api/v1/rounds",
            headers[i],
            {
                "collector_user_id": collectors[i].id,
                "round_date": day.isoformat(),
                "pickup_ids": list(reversed(pickup_ids)) if i else pickup_ids,
            },
        )
        for i in range(2)
    ]
    assert race(rounds) == [201, 409], [r.json for r in out]
    asks = [
        (
            "/api/v1/pickups",
            headers[2 + i],
            {"requested_date": (day + dt.timedelta(days=1)).isoformat(), "client_id": str(uuid.uuid4())},
        )
        for i in range(2)
    ]
    assert race(asks) == [201, 409], [r.json for r in out]
    with UnitOfWork(factory) as uow:
        stops = list(uow.session.scalars(select(RoundStop).where(RoundStop.tenant_id == tenant.id)))
        assert sorted(s.pickup_id for s in stops) == sorted(pickup_ids) and len({s.round_id for s in stops}) == 1
