"""Stock at the centre: built from handovers and walk-ins at what members were paid, counted, adjusted."""

from __future__ import annotations

import uuid

from recycle import ledger
from tests import factories
from tests.enterprise.stock_helpers import API, buyer, delivered_round, draft, inventory, walk_in

PET = {"material_code": "PET_CLEAR", "grade": "A", "weight_g": 2500}
ALU = {"material_code": "ALU_CAN", "weight_g": 1234}


def _balance(db, tenant, code):  # noqa: ANN001, ANN202
    return ledger.balance(db, tenant.id, ledger.account(db, tenant.id, code, "expense").id)


def test_a_handover_puts_the_round_in_stock_at_what_members_were_paid(client, db, auth, tenant, catalog, collector, staff):
    homes = [factories.HouseholdFactory(tenant=tenant) for _ in range(2)]
    delivered_round(
        client,
        db,
        auth,
        tenant,
        collector,
        staff,
        homes,
        [PET, ALU],
        [{"material_code": "PET_CLEAR", "weight_g": 4900}, {"material_code": "ALU_CAN", "weight_g": 2468}],
    )
    stock = inventory(client, auth(staff))
    pet, alu = stock[("PET_CLEAR", "A")], stock[("ALU_CAN", "A")]
    # Re-weighed 4.9 kg of PET bought for 2 x 22.50 baht: on hand is the centre's scale, value what was paid.
    assert (pet["on_hand"], pet["reserved"], pet["free"], pet["value_satang"]) == (4900, 0, 4900, 4500)
    assert pet["average_cost_satang"] == 918 and pet["unit"] == "kg"  # 4500 / 4.9 kg
    assert (alu["on_hand"], alu["value_satang"], alu["average_cost_satang"]) == (2468, 9872, 4000)
    # The members' money moved from expense into inventory, nothing more.
    assert _balance(db, tenant, ledger.STOCK) == 14372 and _balance(db, tenant, ledger.PURCHASES) == 0
    assert ledger.trial_balance(db, tenant.id) == 0


def test_a_walk_in_is_stock_and_its_void_takes_it_back(client, db, auth, tenant, catalog, staff, member):
    t = walk_in(
        client,
        auth(staff),
        member.household_id,
        [{"material_code": "PET_CLEAR", "weight_g": 1000}, {"material_code": "BOTTLE", "quantity": 10}],
    )
    stock = inventory(client, auth(staff))
    assert (stock[("PET_CLEAR", "A")]["on_hand"], stock[("PET_CLEAR", "A")]["value_satang"]) == (1000, 900)
    assert stock[("BOTTLE", "A")]["unit"] == "piece" and stock[("BOTTLE", "A")]["on_hand"] == 10
    assert stock[("BOTTLE", "A")]["average_cost_satang"] == 30
    assert (
        client.post(f"{API}/collections/{t['id']}/void", headers=auth(staff), json={"reason": "wrong member"}).status_code == 200
    )
    stock = inventory(client, auth(staff))
    assert all((row["on_hand"], row["value_satang"]) == (0, 0) for row in stock.values())
    moves = client.get(f"{API}/inventory/movements?material_code=BOTTLE", headers=auth(staff)).json
    assert [(m["kind"], m["qty"]) for m in moves["items"]] == [("walk_in_void", -10), ("walk_in", 10)]
    assert _balance(db, tenant, ledger.STOCK) == 0 and ledger.trial_balance(db, tenant.id) == 0


def test_a_void_whose_material_is_reserved_is_refused_until_the_draft_goes(client, db, auth, tenant, catalog, staff, member):
    t = walk_in(client, auth(staff), member.household_id, [{"material_code": "PET_CLEAR", "weight_g": 1000}])
    b = buyer(client, auth(staff))
    batch = draft(client, auth(staff), b["id"], [{"material_code": "PET_CLEAR", "weight_g": 600}]).json
    r = client.post(
        f"{API}/collections/{t['id']}/void", headers={**auth(staff), "Accept-Language": "en"}, json={"reason": "wrong member"}
    )
    assert r.status_code == 409 and "reserved or sold" in r.json["detail"]
    assert client.get(f"{API}/collections/{t['id']}", headers=auth(staff)).json["status"] == "active"
    client.post(f"{API}/sales/{batch['id']}/cancel", headers=auth(staff), json={"reason": "buyer changed mind"})
    assert (
        client.post(f"{API}/collections/{t['id']}/void", headers=auth(staff), json={"reason": "wrong member"}).status_code == 200
    )
    assert inventory(client, auth(staff))[("PET_CLEAR", "A")]["on_hand"] == 0


def test_counts_and_adjustments_are_movements_with_a_reason(client, db, auth, tenant, catalog, staff, member):
    walk_in(client, auth(staff), member.household_id, [{"material_code": "PET_CLEAR", "weight_g": 3000}])  # 2700 satang
    h = auth(staff)
    count = {"material_code": "PET_CLEAR", "kind": "count", "weight_g": 2800, "reason": "dried in the sun"}
    r = client.post(f"{API}/inventory/adjustments", headers=h, json=count)
    assert r.status_code == 201, r.json
    assert (r.json["qty"], r.json["cost_satang"], r.json["on_hand"]) == (-200, -180, 2800)  # 200 g at 0.90 baht/100 g
    assert _balance(db, tenant, "stock_adjustments") == 180  # the loss is an expense
    no_reason = client.post(f"{API}/inventory/adjustments", headers=h, json={**count, "reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    by_weight = client.post(
        f"{API}/inventory/adjustments",
        headers=h,
        json={"material_code": "BOTTLE", "kind": "adjustment", "weight_g": 5, "reason": "found"},
    )
    assert by_weight.status_code == 422 and "weight_g" in by_weight.json["errors"]
    found = {
        "material_code": "PET_CLEAR",
        "kind": "adjustment",
        "weight_g": 200,
        "reason": "under the tarp",
        "client_id": str(uuid.uuid4()),
    }
    first = client.post(f"{API}/inventory/adjustments", headers=h, json=found)
    again = client.post(f"{API}/inventory/adjustments", headers=h, json=found)
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    row = inventory(client, h)[("PET_CLEAR", "A")]
    assert (row["on_hand"], row["value_satang"]) == (3000, 2700)
    b = buyer(client, h)
    assert draft(client, h, b["id"], [{"material_code": "PET_CLEAR", "weight_g": 2000}]).status_code == 201
    short = client.post(f"{API}/inventory/adjustments", headers=h, json={**count, "weight_g": 1500})
    assert short.status_code == 409 and "weight_g" in short.json["errors"]
    assert inventory(client, h)[("PET_CLEAR", "A")]["on_hand"] == 3000
    assert _balance(db, tenant, ledger.STOCK) == 2700 and ledger.trial_balance(db, tenant.id) == 0


def test_a_corrected_walk_in_holds_the_corrected_weight(client, db, auth, tenant, catalog, staff, member):
    t = walk_in(client, auth(staff), member.household_id, [{"material_code": "PET_CLEAR", "weight_g": 1000}])
    r = client.post(
        f"{API}/collections/{t['id']}/correct",
        headers=auth(staff),
        json={"reason": "scale was not zeroed", "lines": [{"material_code": "PET_CLEAR", "weight_g": 1200}]},
    )
    assert r.status_code == 201, r.json
    row = inventory(client, auth(staff))[("PET_CLEAR", "A")]
    assert (row["on_hand"], row["value_satang"]) == (1200, 1080)
    assert _balance(db, tenant, ledger.STOCK) == 1080 and ledger.trial_balance(db, tenant.id) == 0
