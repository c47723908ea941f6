"""Finding 14.1: a collector typing any household id and any weight no longer credits money."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from recycle import ledger
from recycle.db import utcnow
from recycle.models import AuditEntry
from tests import factories
from tests.pickup.ticket_helpers import round_with_pickup, ticket

API = "/api/v1/collections"


def _copper(db, tenant):
    return factories.add_material(db, tenant, "COPPER", buy=26_000, sale=28_000, since=utcnow() - dt.timedelta(days=10))


def test_500_kg_of_copper_typed_in_by_a_collector_waits_for_staff_and_credits_nothing(
    client, db, auth, tenant, catalog, collector, staff
):
    _copper(db, tenant)
    victim_of_fraud = factories.HouseholdFactory(tenant=tenant)
    body = ticket(
        household_id=victim_of_fraud.id,
        typed=True,
        at=utcnow() - dt.timedelta(days=1),
        lines=[{"material_code": "COPPER", "weight_g": 500_000}],
    )
    r = client.post(API, headers=auth(collector), json=body)
    assert r.status_code == 201
    assert r.json["status"] == "pending_approval" and r.json["total_satang"] == 13_000_000
    codes = {w["code"] for w in r.json["waiting_because"]}
    assert codes == {"typed_household", "line_weight", "ticket_amount"}
    assert all(w["detail_th"] and w["detail_en"] for w in r.json["waiting_because"])
    assert ledger.household_balance(db, tenant.id, victim_of_fraud.id) == 0
    me = client.get(f"/api/v1/households/{victim_of_fraud.id}/wallet", headers=auth(staff)).json
    assert me["balance_satang"] == 0
    held = db.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.held")).all()
    assert len(held) == 1 and set(held[0].detail["reasons"]) == codes and held[0].actor_user_id == collector.id
    # staff look at it and decide; only then is the member credited
    ok = client.post(f"{API}/{r.json['id']}/approve", headers=auth(staff))
    assert ok.status_code == 200 and ok.json["status"] == "active" and ok.json["waiting_because"] == []
    assert ledger.household_balance(db, tenant.id, victim_of_fraud.id) == 13_000_000


def test_a_typed_household_is_fine_with_a_pickup_on_the_collectors_own_round(client, db, auth, tenant, catalog, collector):
    household = factories.HouseholdFactory(tenant=tenant)
    _, pickup = round_with_pickup(db, tenant, collector, household)
    r = client.post(API, headers=auth(collector), json=ticket(household_id=household.id, pickup_id=pickup.id))
    assert r.status_code == 201 and r.json["status"] == "active" and r.json["waiting_because"] == []
    # the pickup is found on the round even without its id
    other = factories.HouseholdFactory(tenant=tenant)
    round_with_pickup(db, tenant, collector, other)
    r = client.post(API, headers=auth(collector), json=ticket(household_id=other.id, typed=True))
    assert r.json["status"] == "active"


def test_a_scanned_card_within_the_limits_is_credited_at_once(client, db, auth, tenant, catalog, collector):
    household = factories.HouseholdFactory(tenant=tenant)
    r = client.post(API, headers=auth(collector), json=ticket(household_id=household.id))
    assert r.json["status"] == "active" and ledger.household_balance(db, tenant.id, household.id) == r.json["total_satang"] > 0


def test_tenant_limits_per_line_per_ticket_and_per_collector_day(client, db, auth, tenant, catalog, collector, staff):
    tenant.settings = {
        "approval_line_weight_g": 20_000,
        "approval_ticket_satang": 50_000,
        "approval_collector_day_satang": 60_000,
    }
    db.flush()
    h = factories.HouseholdFactory(tenant=tenant)
    heavy = client.post(
        API,
        headers=auth(collector),
        json=ticket(household_id=h.id, lines=[{"material_code": "PET_CLEAR", "grade": "A", "weight_g": 20_001}]),
    ).json  # 180 THB, 20.001 kg
    assert heavy["status"] == "pending_approval" and [w["code"] for w in heavy["waiting_because"]] == ["line_weight"]
    rich = client.post(
        API, headers=auth(collector), json=ticket(household_id=h.id, lines=[{"material_code": "ALU_CAN", "weight_g": 12_600}])
    ).json  # 504 THB > 500
    assert rich["status"] == "pending_approval" and [w["code"] for w in rich["waiting_because"]] == ["ticket_amount"]
    fine = client.post(
        API, headers=auth(collector), json=ticket(household_id=h.id, lines=[{"material_code": "ALU_CAN", "weight_g": 12_000}])
    ).json  # 480 THB
    assert fine["status"] == "active"
    day = client.post(
        API, headers=auth(collector), json=ticket(household_id=h.id, lines=[{"material_code": "ALU_CAN", "weight_g": 3_000}])
    ).json  # 480 + 120 = 600 THB: at the limit
    assert day["status"] == "active"
    over = client.post(
        API, headers=auth(collector), json=ticket(household_id=h.id, lines=[{"material_code": "ALU_CAN", "weight_g": 25}])
    ).json  # 1 THB past the day's limit
    assert over["status"] == "pending_approval" and [w["code"] for w in over["waiting_because"]] == ["collector_day"]
    # staff at the centre are the people who approve: their own walk-ins are not held
    walk_in = client.post(
        API,
        headers=auth(staff),
        json=ticket(household_id=h.id, typed=True, lines=[{"material_code": "ALU_CAN", "weight_g": 30_000}]),
    ).json
    assert walk_in["status"] == "active"


def test_an_offline_phone_syncing_typed_household_ids_gets_them_held_too(client, db, auth, tenant, catalog, collector):
    h = factories.HouseholdFactory(tenant=tenant)
    items = [ticket(household_id=h.id, typed=True), ticket(household_id=h.id)]
    r = client.post(f"{API}/sync", headers=auth(collector), json={"items": items}).json
    assert [x["ticket"]["status"] for x in r["results"]] == ["pending_approval", "active"]
    assert r["results"][0]["ticket"]["waiting_because"][0]["code"] == "typed_household"
    assert ledger.household_balance(db, tenant.id, h.id) == r["results"][1]["ticket"]["total_satang"]
