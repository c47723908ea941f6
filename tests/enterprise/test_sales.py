"""Buyers and sale batches: draft, dispatch, settle with the factory's figures; and every way it can go wrong."""

from __future__ import annotations

import uuid

import pytest

from recycle import ledger
from tests import factories
from tests.enterprise.stock_helpers import API, buyer, delivered_round, dispatch, draft, inventory, settle, tax_id, walk_in


def _bal(db, tenant, code, kind=None):  # noqa: ANN001, ANN202
    return ledger.balance(db, tenant.id, ledger.account(db, tenant.id, code, kind).id)


@pytest.fixture
def stocked(client, db, auth, tenant, catalog, collector, staff):  # noqa: ANN001, ANN201
    """A round of two households handed over: 4.9 kg PET A (cost 45.00 baht), 2.468 kg cans (98.72 baht)."""
    homes = [factories.HouseholdFactory(tenant=tenant) for _ in range(2)]
    lines = [{"material_code": "PET_CLEAR", "weight_g": 2500}, {"material_code": "ALU_CAN", "weight_g": 1234}]
    delivered_round(
        client,
        db,
        auth,
        tenant,
        collector,
        staff,
        homes,
        lines,
        [{"material_code": "PET_CLEAR", "weight_g": 4900}, {"material_code": "ALU_CAN", "weight_g": 2468}],
    )
    return auth(staff)


def test_draft_dispatch_settle_and_get_paid(client, db, tenant, stocked):
    h = stocked
    b = buyer(client, h, name="Wongpanit Chiang Rai")
    r = draft(
        client, h, b["id"], [{"material_code": "PET_CLEAR", "weight_g": 4000}, {"material_code": "ALU_CAN", "weight_g": 2468}]
    )
    assert r.status_code == 201 and r.json["status"] == "draft", r.json
    batch = r.json
    pet = inventory(client, h)[("PET_CLEAR", "A")]
    assert (pet["on_hand"], pet["reserved"], pet["free"]) == (4900, 4000, 900)
    r = dispatch(client, h, batch["id"], vehicle="80-1234 ชร", weighbridge_ticket_no="WB-7781")
    assert r.status_code == 200 and r.json["status"] == "dispatched" and r.json["weighbridge_ticket_no"] == "WB-7781"
    assert inventory(client, h)[("PET_CLEAR", "A")]["reserved"] == 4000  # still ours until the factory weighs it
    r = settle(
        client,
        h,
        batch["id"],
        [
            {
                "material_code": "PET_CLEAR",
                "weight_g": 3900,
                "deduction_g": 100,
                "deduction_reason": "moisture",
                "price_satang": 1150,
            },
            {
                "material_code": "ALU_CAN",
                "weight_g": 2460,
                "price_satang": 4600,
                "deduction_satang": 500,
                "deduction_reason": "contamination",
            },
        ],
        statement_no="INV-2026-0042",
        payment={"amount_satang": 10000, "method": "bank", "reference": "KBank"},
    )
    assert r.status_code == 200, r.json
    s = r.json
    lines = {ln["material_code"]: ln for ln in s["lines"]}
    # 3.8 kg paid at 11.50 = 43.70; 2.46 kg at 46.00 = 113.16 less 5.00 contamination = 108.16
    assert (lines["PET_CLEAR"]["revenue_satang"], lines["ALU_CAN"]["revenue_satang"]) == (4370, 10816)
    assert (lines["PET_CLEAR"]["shrinkage"], lines["ALU_CAN"]["shrinkage"]) == (100, 8)
    # Cost at weighted average: 4000/4900 of 45.00 baht; all the cans.
    assert (lines["PET_CLEAR"]["cost_satang"], lines["ALU_CAN"]["cost_satang"]) == (3673, 9872)
    assert (s["status"], s["revenue_satang"], s["cost_satang"], s["margin_satang"]) == ("settled", 15186, 13545, 1641)
    assert (s["paid_satang"], s["due_satang"]) == (10000, 5186)
    pet = inventory(client, h)[("PET_CLEAR", "A")]
    assert (pet["on_hand"], pet["reserved"], pet["value_satang"]) == (900, 0, 827)
    assert inventory(client, h)[("ALU_CAN", "A")]["on_hand"] == 0
    assert (_bal(db, tenant, ledger.SALES_REVENUE), _bal(db, tenant, ledger.COST_OF_GOODS)) == (-15186, 13545)
    assert (_bal(db, tenant, ledger.RECEIVABLES), _bal(db, tenant, ledger.BANK), _bal(db, tenant, ledger.STOCK)) == (
        5186,
        10000,
        827,
    )
    pay = {"client_id": str(uuid.uuid4()), "amount_satang": 5186, "method": "cash"}
    first = client.post(f"{API}/sales/{batch['id']}/payments", headers=h, json=pay)
    again = client.post(f"{API}/sales/{batch['id']}/payments", headers=h, json=pay)
    assert first.status_code == again.status_code == 201 and again.json["due_satang"] == 0
    over = client.post(f"{API}/sales/{batch['id']}/payments", headers=h, json={**pay, "client_id": str(uuid.uuid4())})
    assert over.status_code == 422 and "amount_satang" in over.json["errors"]
    assert _bal(db, tenant, ledger.RECEIVABLES) == 0 and _bal(db, tenant, ledger.CASH) == 5186
    assert ledger.trial_balance(db, tenant.id) == 0
    listed = client.get(f"{API}/sales?status=settled", headers=h).json
    assert listed["total"] == 1 and listed["items"][0]["buyer_name"] == "Wongpanit Chiang Rai"


def test_stock_and_state_refusals_name_the_field(client, db, tenant, stocked, auth):
    h = stocked
    b = buyer(client, h, materials=("PET_CLEAR",))
    too_much = draft(client, h, b["id"], [{"material_code": "PET_CLEAR", "weight_g": 5000}])
    assert too_much.status_code == 409 and "lines.0.weight_g" in too_much.json["errors"]
    assert "only 4900 g" in too_much.json["errors"]["lines.0.weight_g"][0]
    negative = draft(client, h, b["id"], [{"material_code": "PET_CLEAR", "weight_g": -100}])
    assert negative.status_code == 422 and "lines.0.weight_g" in negative.json["errors"]
    not_taken = draft(client, h, b["id"], [{"material_code": "ALU_CAN", "weight_g": 100}])
    assert not_taken.status_code == 422 and "lines.0.material_code" in not_taken.json["errors"]
    other = factories.TenantFactory()
    factories.add_material(db, other, "PET_CLEAR")
    foreign = buyer(client, auth(factories.UserFactory(tenant=other, role="staff")), materials=("PET_CLEAR",))
    r = draft(client, h, foreign["id"], [{"material_code": "PET_CLEAR", "weight_g": 100}])
    assert r.status_code == 422 and "buyer_id" in r.json["errors"]
    batch = draft(client, h, b["id"], [{"material_code": "PET_CLEAR", "weight_g": 4900}]).json
    assert draft(client, h, b["id"], [{"material_code": "PET_CLEAR", "weight_g": 1}]).status_code == 409  # all reserved
    early = settle(client, h, batch["id"], [{"material_code": "PET_CLEAR", "weight_g": 4900, "price_satang": 1100}])
    assert early.status_code == 409 and "status" in early.json["errors"] and "dispatch it first" in early.json["detail"]
    assert dispatch(client, h, batch["id"]).status_code == 200
    twice = dispatch(client, h, batch["id"])
    assert twice.status_code == 409 and "already dispatched" in twice.json["detail"]
    assert client.post(f"{API}/sales/{batch['id']}/cancel", headers=h, json={"reason": "x"}).status_code == 409
    typo = settle(client, h, batch["id"], [{"material_code": "PET_CLEAR", "weight_g": 49000, "price_satang": 1100}])
    assert typo.status_code == 422 and "lines.0.weight_g" in typo.json["errors"]
    missing = settle(client, h, batch["id"], [{"material_code": "ALU_CAN", "weight_g": 1, "price_satang": 1}])
    assert missing.status_code == 422 and {"lines", "lines.0.material_code"} <= set(missing.json["errors"])
    greedy = settle(
        client, h, batch["id"], [{"material_code": "PET_CLEAR", "weight_g": 4900, "price_satang": 10, "deduction_satang": 10_000}]
    )
    assert greedy.status_code == 422 and "lines.0.deduction_satang" in greedy.json["errors"]
    ok = settle(client, h, batch["id"], [{"material_code": "PET_CLEAR", "weight_g": 4850, "price_satang": 1100}])
    assert ok.status_code == 200 and ok.json["revenue_satang"] == 5335
    assert settle(client, h, batch["id"], [{"material_code": "PET_CLEAR", "weight_g": 1}]).status_code == 409
    assert (
        client.get(f"{API}/sales/{batch['id']}", headers=auth(factories.UserFactory(tenant=other, role="staff"))).status_code
        == 404
    )
    assert ledger.trial_balance(db, tenant.id) == 0


def test_cancelling_a_draft_frees_its_stock(client, stocked):
    h = stocked
    b = buyer(client, h)
    batch = draft(client, h, b["id"], [{"material_code": "ALU_CAN", "weight_g": 2468}]).json
    assert inventory(client, h)[("ALU_CAN", "A")]["free"] == 0
    r = client.post(f"{API}/sales/{batch['id']}/cancel", headers=h, json={"reason": "price too low this week"})
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert inventory(client, h)[("ALU_CAN", "A")]["free"] == 2468
    assert client.post(f"{API}/sales/{batch['id']}/cancel", headers=h, json={"reason": "again"}).status_code == 409
    assert dispatch(client, h, batch["id"]).status_code == 409


def test_buyers_need_a_real_tax_id_and_disposers_a_licence(client, auth, catalog, staff):
    h = auth(staff)
    good = tax_id("010553612345")
    base = {"kind": "factory", "name": "SCG Packaging", "tax_id": good, "material_codes": ["PET_CLEAR"]}
    wrong_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    for bad in (wrong_digit, good[:12], "01055361234AB"):
        r = client.post(f"{API}/buyers", headers=h, json={**base, "tax_id": bad})
        assert r.status_code == 422 and "tax_id" in r.json["errors"], bad
    dashed = good[0] + "-" + good[1:5] + "-" + good[5:10] + "-" + good[10:12] + "-" + good[12]
    assert client.post(f"{API}/buyers", headers=h, json={**base, "tax_id": dashed}).json["tax_id"] == good
    dup = client.post(f"{API}/buyers", headers=h, json=base)
    assert dup.status_code == 409 and "tax_id" in dup.json["errors"]
    hazardous = client.post(f"{API}/buyers", headers=h, json={**base, "tax_id": tax_id(), "material_codes": ["BATTERY"]})
    assert hazardous.status_code == 422 and "material_codes.0" in hazardous.json["errors"]
    unlicensed = client.post(
        f"{API}/buyers", headers=h, json={**base, "kind": "disposer", "tax_id": tax_id(), "material_codes": ["BATTERY"]}
    )
    assert unlicensed.status_code == 422 and "license_no" in unlicensed.json["errors"]
    buyer(client, h, kind="disposer", materials=("BATTERY",))
    assert client.get(f"{API}/buyers?kind=disposer", headers=h).json["total"] == 1


def test_a_hazardous_batch_goes_to_a_disposer_for_a_fee_with_its_manifest(client, db, auth, tenant, catalog, staff, member):
    h = auth(staff)
    walk_in(client, h, member.household_id, [{"material_code": "BATTERY", "weight_g": 5000}])
    factory = buyer(client, h)
    r = draft(client, h, factory["id"], [{"material_code": "BATTERY", "weight_g": 5000}])
    assert r.status_code == 422 and "lines.0.material_code" in r.json["errors"]
    disposer = buyer(client, h, kind="disposer", materials=("BATTERY",))
    batch = draft(client, h, disposer["id"], [{"material_code": "BATTERY", "weight_g": 5000}]).json
    assert batch["hazardous"] is True
    no_manifest = dispatch(client, h, batch["id"])
    assert no_manifest.status_code == 422 and "manifest_no" in no_manifest.json["errors"]
    assert dispatch(client, h, batch["id"], manifest_no="MF-67-000123").json["manifest_no"] == "MF-67-000123"
    paid = settle(client, h, batch["id"], [{"material_code": "BATTERY", "weight_g": 5000, "price_satang": 100}])
    assert paid.status_code == 422 and "lines.0.price_satang" in paid.json["errors"]
    how = settle(client, h, batch["id"], [{"material_code": "BATTERY", "weight_g": 5000, "fee_satang": 25000}])
    assert how.status_code == 422 and "fee_paid_via" in how.json["errors"]
    r = settle(client, h, batch["id"], [{"material_code": "BATTERY", "weight_g": 5000, "fee_satang": 25000}], fee_paid_via="cash")
    assert r.status_code == 200 and (r.json["fee_satang"], r.json["revenue_satang"], r.json["margin_satang"]) == (
        25000,
        0,
        -25000,
    )
    assert _bal(db, tenant, "disposal_fees", "expense") == 25000 and _bal(db, tenant, ledger.CASH) == -25000
    assert inventory(client, h)[("BATTERY", "A")]["on_hand"] == 0
    assert ledger.trial_balance(db, tenant.id) == 0
