"""Weigh-in tickets: from a scanned card to money in the wallet, and every way it can go wrong."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pickup.models import CollectionTicket, PickupRequest
from recycle import ledger
from recycle.db import utcnow
from tests import factories
from tests.pickup.ticket_helpers import card_text, round_with_pickup, ticket


def test_scan_weigh_credit_and_receipt(client, db, auth, tenant, catalog, collector, member):
    rnd, pickup = round_with_pickup(db, tenant, collector, member.household)
    qr = card_text(client, auth(member), member.household_id)
    scan = client.post("/api/v1/scans", headers=auth(collector), json={"qr": qr})
    assert scan.json["household"]["id"] == member.household_id
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(qr=qr))
    assert r.status_code == 201, r.json
    t = r.json
    # 2500 g x 900 = 2250; 1234 g x 4000 = 4936
    assert [ln["amount_satang"] for ln in t["lines"]] == [2250, 4936] and t["total_satang"] == 7186
    assert t["pickup_id"] == pickup.id and t["round_id"] == rnd.id and t["status"] == "active"
    db.expire_all()
    assert db.get(PickupRequest, pickup.id).status == "collected"
    wallet = client.get("/api/v1/wallet", headers=auth(member)).json
    assert wallet["balance_satang"] == 7186 and wallet["entries"][0]["amount_satang"] == 7186
    assert client.get("/api/v1/me", headers=auth(member)).json["balance_satang"] == 7186
    mine = client.get(f"/api/v1/collections/{t['id']}", headers=auth(member))
    assert mine.status_code == 200 and mine.json["total_satang"] == 7186
    receipt = client.get(f"/api/v1/collections/{t['id']}/receipt", headers=auth(member)).get_data(as_text=True)
    assert "71.86" in receipt and "2.500 kg" in receipt and all(len(line) <= 32 for line in receipt.splitlines())
    assert ledger.trial_balance(db, tenant.id) == 0


def test_retry_is_idempotent_and_other_content_conflicts(client, db, auth, tenant, catalog, collector, member):
    body = ticket(household_id=member.household_id)
    first = client.post("/api/v1/collections", headers=auth(collector), json=body)
    again = client.post("/api/v1/collections", headers=auth(collector), json=body)
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    body["lines"][0]["weight_g"] += 1
    r = client.post("/api/v1/collections", headers=auth(collector), json=body)
    assert r.status_code == 409 and "client_id" in r.json["errors"]
    assert ledger.household_balance(db, tenant.id, member.household_id) == 7186
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 1


def test_each_bad_line_is_refused_with_its_field(client, db, auth, tenant, catalog, collector, member):
    hid = member.household_id
    cases = [
        ([{"material_code": "PET_CLEAR", "weight_g": 0}], "lines.0.weight_g"),
        ([{"material_code": "PET_CLEAR", "weight_g": -300}], "lines.0.weight_g"),
        ([{"material_code": "PET_CLEAR", "weight_g": 900_000}], "lines.0.weight_g"),
        ([{"material_code": "GOLD", "weight_g": 10}], "lines.0.material_code"),
        ([{"material_code": "PET_CLEAR", "grade": "C", "weight_g": 10}], "lines.0.grade"),
        ([{"material_code": "PET_CLEAR", "weight_g": 10}, {"material_code": "PET_CLEAR", "weight_g": 20}], "lines.1.grade"),
        ([{"material_code": "BOTTLE", "weight_g": 10}], "lines.0.quantity"),
        ([], "lines"),
    ]
    for lines, field in cases:
        r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=hid, lines=lines))
        assert r.status_code == 422 and field in r.json["errors"], (field, r.json)
    future = ticket(household_id=hid, at=utcnow() + dt.timedelta(days=2))
    r = client.post("/api/v1/collections", headers=auth(collector), json=future)
    assert r.status_code == 422 and "collected_at" in r.json["errors"]
    naive = ticket(household_id=hid)
    naive["collected_at"] = "2026-11-24T10:00:00"
    assert "collected_at" in client.post("/api/v1/collections", headers=auth(collector), json=naive).json["errors"]
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 0


def test_cards_and_pickups_that_are_not_this_collectors(client, db, auth, tenant, catalog, collector, member, staff):
    qr = card_text(client, auth(member), member.household_id)
    client.post(f"/api/v1/households/{member.household_id}/qr/reissue", headers=auth(staff))
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(qr=qr))
    assert r.status_code == 422 and r.json["type"].endswith("qr_revoked")
    foreign = factories.HouseholdUserFactory()
    fqr = card_text(client, auth(foreign), foreign.household_id)
    assert client.post("/api/v1/collections", headers=auth(collector), json=ticket(qr=fqr)).json["type"].endswith("qr_foreign")
    other_collector = factories.UserFactory(tenant=tenant, role="collector")
    _, pickup = round_with_pickup(db, tenant, other_collector, member.household)
    r = client.post(
        "/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id, pickup_id=pickup.id)
    )
    assert r.status_code == 422 and "pickup_id" in r.json["errors"]
    assert (
        client.post("/api/v1/collections", headers=auth(member), json=ticket(household_id=member.household_id)).status_code == 403
    )


def test_price_change_between_weighing_and_sync_pays_the_price_at_weighing(
    client, db, auth, tenant, catalog, collector, staff, member
):
    weighed_at = utcnow() - dt.timedelta(hours=3)
    client.post("/api/v1/prices", headers=auth(staff), json={"prices": [{"material_code": "ALU_CAN", "buy_price_satang": 4500}]})
    r = client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, at=weighed_at, lines=[{"material_code": "ALU_CAN", "weight_g": 1000}]),
    )
    assert r.json["total_satang"] == 4000 and r.json["lines"][0]["unit_price_satang"] == 4000
    r = client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, lines=[{"material_code": "ALU_CAN", "weight_g": 1000}]),
    )
    assert r.json["total_satang"] == 4500


def test_void_reverses_money_and_correction_supersedes(client, db, auth, tenant, catalog, collector, staff, member):
    t = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id)).json
    assert client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(collector), json={"reason": "x"}).status_code == 403
    r = client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "weighed twice"})
    assert r.status_code == 200 and r.json["status"] == "voided"
    assert ledger.household_balance(db, tenant.id, member.household_id) == 0
    assert client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "again"}).status_code == 409
    kinds = [e["kind"] for e in client.get("/api/v1/wallet", headers=auth(member)).json["entries"]]
    assert kinds == ["reversal", "weigh_in"]  # nothing deleted: the passbook shows both

    t2 = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id)).json
    client.post(
        "/api/v1/prices", headers=auth(staff), json={"prices": [{"material_code": "PET_CLEAR", "buy_price_satang": 1000}]}
    )
    fixed = client.post(
        f"/api/v1/collections/{t2['id']}/correct",
        headers=auth(staff),
        json={"reason": "PET was 3 kg", "lines": [{"material_code": "PET_CLEAR", "weight_g": 3000}]},
    )
    assert fixed.status_code == 201 and fixed.json["supersedes_id"] == t2["id"]
    assert fixed.json["total_satang"] == 2700  # the price in force at the original weighing, 900/kg
    old = client.get(f"/api/v1/collections/{t2['id']}", headers=auth(staff)).json
    assert old["status"] == "voided" and old["superseded_by_id"] == fixed.json["id"]
    assert ledger.household_balance(db, tenant.id, member.household_id) == 2700
    assert ledger.trial_balance(db, tenant.id) == 0


def test_disputes_are_resolved_on_the_record(client, db, auth, tenant, catalog, collector, staff, member):
    t = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id)).json
    d = client.post(
        f"/api/v1/collections/{t['id']}/disputes", headers=auth(member), json={"claim": "my scale said 2.9 kg of PET"}
    )
    assert d.status_code == 201
    assert (
        client.post(f"/api/v1/collections/{t['id']}/disputes", headers=auth(member), json={"claim": "again"}).status_code == 409
    )
    neighbour = factories.HouseholdUserFactory(tenant=tenant)
    assert client.post(f"/api/v1/collections/{t['id']}/disputes", headers=auth(neighbour), json={"claim": "x"}).status_code == 404
    open_ = client.get("/api/v1/disputes", headers=auth(staff)).json
    assert [x["id"] for x in open_["items"]] == [d.json["id"]]
    r = client.post(
        f"/api/v1/disputes/{d.json['id']}/resolve",
        headers=auth(staff),
        json={
            "outcome": "upheld",
            "resolution": "re-weighed: 2.9 kg",
            "corrected_lines": [{"material_code": "PET_CLEAR", "weight_g": 2900}, {"material_code": "ALU_CAN", "weight_g": 1234}],
        },
    )
    assert r.status_code == 200 and r.json["corrected_ticket_id"]
    history = client.get(f"/api/v1/collections/{t['id']}", headers=auth(member)).json
    assert history["disputes"][0]["status"] == "upheld" and history["superseded_by_id"] == r.json["corrected_ticket_id"]
    assert ledger.household_balance(db, tenant.id, member.household_id) == 2610 + 4936


def test_old_tickets_wait_for_staff_approval(client, db, auth, tenant, catalog, collector, staff, member):
    old = ticket(household_id=member.household_id, at=utcnow() - dt.timedelta(days=5))
    r = client.post("/api/v1/collections", headers=auth(collector), json=old)
    assert r.status_code == 201 and r.json["status"] == "pending_approval"
    assert ledger.household_balance(db, tenant.id, member.household_id) == 0
    assert client.post(f"/api/v1/collections/{r.json['id']}/approve", headers=auth(staff)).json["status"] == "active"
    assert ledger.household_balance(db, tenant.id, member.household_id) == 7186
    walk_in = client.post(
        "/api/v1/collections",
        headers=auth(staff),
        json=ticket(household_id=member.household_id, at=utcnow() - dt.timedelta(days=5)),
    )
    assert walk_in.json["status"] == "active" and walk_in.json["channel"] == "walk_in"


def test_short_handover_is_flagged_and_day_summary_adds_up(client, db, auth, tenant, catalog, collector, staff, member):
    rnd, pickup = round_with_pickup(db, tenant, collector, member.household)
    other = factories.HouseholdFactory(tenant=tenant)
    _, missed = round_with_pickup(db, tenant, collector, other)
    missed.status, missed.round_id = "missed", rnd.id
    db.flush()
    client.post(
        "/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id, pickup_id=pickup.id)
    )
    r = client.post(
        f"/api/v1/rounds/{rnd.id}/handover",
        headers=auth(staff),
        json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 2300}, {"material_code": "ALU_CAN", "weight_g": 1230}]},
    )
    assert r.status_code == 201
    lines = {ln["material_code"]: ln for ln in r.json["lines"]}
    assert lines["PET_CLEAR"]["difference"] == -200 and lines["PET_CLEAR"]["flagged"] is True  # 8% short > 3%
    assert lines["ALU_CAN"]["flagged"] is False and r.json["flagged"] is True
    assert (
        client.post(
            f"/api/v1/rounds/{rnd.id}/handover",
            headers=auth(staff),
            json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 1}]},
        ).status_code
        == 409
    )
    s = client.get("/api/v1/collectors/day-summary", headers=auth(collector)).json
    assert (s["households_visited"], s["value_satang"], s["pickups_collected"], s["pickups_missed"]) == (1, 7186, 1, 1)
    assert {m["material_code"]: m["weight_g"] for m in s["materials"]} == {"ALU_CAN": 1234, "PET_CLEAR": 2500}


def test_a_door_to_door_ticket_without_a_pickup_joins_the_collectors_round(client, db, auth, tenant, catalog, collector, member):
    walk_up = factories.HouseholdFactory(tenant=tenant)
    rnd, _ = round_with_pickup(db, tenant, collector, member.household)
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=walk_up.id))
    assert r.status_code == 201 and r.json["round_id"] == rnd.id and r.json["pickup_id"] is None


def test_a_collector_finds_in_the_list_every_ticket_it_may_open(client, db, auth, tenant, catalog, collector, staff, member):
    """Staff weighed a member's load on the collector's round: the collector may open it, so the list shows it."""
    rnd, pickup = round_with_pickup(db, tenant, collector, member.household)
    r = client.post(
        "/api/v1/collections", headers=auth(staff), json=ticket(household_id=member.household_id, pickup_id=pickup.id)
    )
    assert r.status_code == 201 and r.json["round_id"] == rnd.id
    tid = r.json["id"]
    assert client.get(f"/api/v1/collections/{tid}", headers=auth(collector)).status_code == 200
    listed = client.get(f"/api/v1/collections?round_id={rnd.id}", headers=auth(collector)).json
    assert [t["id"] for t in listed["items"]] == [tid]
    other = factories.UserFactory(tenant=tenant, role="collector")
    assert client.get(f"/api/v1/collections/{tid}", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/collections?round_id={rnd.id}", headers=auth(other)).json["items"] == []
