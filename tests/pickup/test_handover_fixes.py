"""Handover after the fact: wet waste counted but never short, a typing mistake corrected (stock follows), a flag resolved."""

from __future__ import annotations

from sqlalchemy import select

from enterprise import stock
from pickup.models import HandoverCorrection
from tests import factories
from tests.pickup.ticket_helpers import round_with_pickup, ticket


def _on_hand(db, tenant, code):
    rows = {(r["material_code"], r["grade"]): r["on_hand"] for r in stock.inventory(db, tenant.id)}
    return rows.get((code, "A"), 0)


def _round_with_ticket(client, db, auth, tenant, collector, member, lines):
    rnd, pickup = round_with_pickup(db, tenant, collector, member.household)
    r = client.post(
        "/api/v1/collections",
        headers=auth(collector),
        json=ticket(household_id=member.household_id, pickup_id=pickup.id, lines=lines),
    )
    assert r.status_code == 201, r.json
    return rnd


def test_wet_waste_is_counted_not_stocked_and_never_short(client, db, auth, tenant, catalog, collector, staff, member):
    factories.add_material(db, tenant, "ORGANIC", category="organic", buy=0, sale=0, co2e=0)
    rnd = _round_with_ticket(
        client,
        db,
        auth,
        tenant,
        collector,
        member,
        [{"material_code": "PET_CLEAR", "weight_g": 2000}, {"material_code": "ORGANIC", "weight_g": 20000}],
    )
    r = client.post(
        f"/api/v1/rounds/{rnd.id}/handover",
        headers=auth(staff),
        json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 2000}]},
    )  # the wet bin went to the compost
    assert r.status_code == 201, r.json
    lines = {ln["material_code"]: ln for ln in r.json["lines"]}
    assert lines["ORGANIC"]["wet"] is True and lines["ORGANIC"]["flagged"] is False
    assert r.json["flagged"] is False
    assert _on_hand(db, tenant, "ORGANIC") == 0 and _on_hand(db, tenant, "PET_CLEAR") == 2000


def test_a_handover_typo_is_corrected_with_a_reason_and_stock_follows(
    client, db, auth, tenant, catalog, collector, staff, member
):
    rnd = _round_with_ticket(
        client,
        db,
        auth,
        tenant,
        collector,
        member,
        [{"material_code": "PET_CLEAR", "weight_g": 5000}, {"material_code": "ALU_CAN", "weight_g": 1000}],
    )
    r = client.post(
        f"/api/v1/rounds/{rnd.id}/handover",
        headers=auth(staff),
        json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 500}, {"material_code": "ALU_CAN", "weight_g": 1000}]},
    )
    assert r.json["flagged"] is True and _on_hand(db, tenant, "PET_CLEAR") == 500
    url = f"/api/v1/rounds/{rnd.id}/handover/corrections"
    assert (
        client.post(url, headers=auth(staff), json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 4950}]}).status_code
        == 422
    )
    fix = client.post(
        url, headers=auth(staff), json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 4950}], "reason": "พิมพ์ตกเลข 9"}
    )
    assert fix.status_code == 201, fix.json
    assert fix.json["changes"][0]["before"] == 500 and fix.json["changes"][0]["after"] == 4950
    after = client.get(f"/api/v1/rounds/{rnd.id}/handover", headers=auth(staff)).json
    pet = next(ln for ln in after["lines"] if ln["material_code"] == "PET_CLEAR")
    assert (pet["measured"], pet["difference"], pet["flagged"]) == (4950, -50, False) and after["flagged"] is False
    assert _on_hand(db, tenant, "PET_CLEAR") == 4950  # stock moved by the difference, once
    same = client.post(
        url, headers=auth(staff), json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 4950}], "reason": "again"}
    )
    assert same.status_code == 422 and _on_hand(db, tenant, "PET_CLEAR") == 4950
    assert db.scalar(select(HandoverCorrection.corrected_by_user_id)) == staff.id
    assert (
        client.post(
            f"/api/v1/rounds/{rnd.id}/handover",
            headers=auth(staff),
            json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 1}]},
        ).status_code
        == 409
    )


def test_a_flag_is_resolved_once_with_who_and_what(client, db, auth, tenant, catalog, collector, staff, member):
    rnd = _round_with_ticket(client, db, auth, tenant, collector, member, [{"material_code": "PET_CLEAR", "weight_g": 5000}])
    client.post(
        f"/api/v1/rounds/{rnd.id}/handover",
        headers=auth(staff),
        json={"lines": [{"material_code": "PET_CLEAR", "weight_g": 4000}]},
    )
    url = f"/api/v1/rounds/{rnd.id}/handover/resolve"
    r = client.post(url, headers=auth(staff), json={"note": "ถุงรั่ว น้ำออกระหว่างทาง"})
    assert r.status_code == 200 and r.json["flag_resolved_by_user_id"] == staff.id and r.json["flag_note"]
    assert client.post(url, headers=auth(staff), json={"note": "again"}).status_code == 409
