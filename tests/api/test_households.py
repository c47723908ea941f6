"""Households and their cards: registration at the centre, privacy between members, QR scanning."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import select

from recycle.models import AuditEntry
from tests import factories

if os.environ.get("REQUIRE_ZBAR"):
    import pyzbar.pyzbar as pyzbar  # CI installs libzbar0: a missing decoder must fail, not skip
else:
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="needs the zbar library (apt-get install libzbar0)")


def new_household(client, headers, village, **over):
    body = {
        "name": "ยายจันทร์ แสงคำ",
        "village_id": village.id,
        "address": "3 หมู่ 3",
        "promptpay_id": "1101700230708",
        "consent": {"method": "paper_signed"},
    }
    body.update(over)
    return client.post("/api/v1/households", headers=headers, json=body)


def test_staff_registers_members_without_accounts_numbered_per_tenant(client, auth, tenant, staff):
    village = factories.VillageFactory(tenant_id=tenant.id)
    nos = [new_household(client, auth(staff), village, name=f"สมาชิก {i}").json["member_no"] for i in range(3)]
    assert nos == [1, 2, 3]
    other = factories.TenantFactory()
    other_staff = factories.UserFactory(tenant=other, role="staff")
    other_village = factories.VillageFactory(tenant_id=other.id)
    r = new_household(client, auth(other_staff), other_village)
    assert r.status_code == 201 and r.json["member_no"] == 1 and r.json["member_code"] == "00001"
    assert r.json["promptpay_id_masked"] == "xxxxxxxxx0708"


def test_registration_errors_name_the_field(client, auth, tenant, staff):
    village = factories.VillageFactory(tenant_id=tenant.id)
    foreign_village = factories.VillageFactory()
    assert "promptpay_id" in new_household(client, auth(staff), village, promptpay_id="1101700230709").json["errors"]
    assert "village_id" in new_household(client, auth(staff), foreign_village).json["errors"]
    assert "name" in new_household(client, auth(staff), village, name="").json["errors"]
    r = new_household(client, auth(staff), village, lat=20.0)
    assert r.status_code == 422 and "lat" in r.json["errors"]


def test_a_household_sees_only_itself(client, auth, tenant, member, staff):
    neighbour = factories.HouseholdFactory(tenant=tenant)
    mine = client.get(f"/api/v1/households/{member.household_id}", headers=auth(member))
    assert mine.status_code == 200 and mine.json["id"] == member.household_id
    assert client.get(f"/api/v1/households/{neighbour.id}", headers=auth(member)).status_code == 404
    assert client.get(f"/api/v1/households/{neighbour.id}/qr", headers=auth(member)).status_code == 404
    assert client.get("/api/v1/households", headers=auth(member)).status_code == 403
    outsider = factories.UserFactory(role="staff")  # another tenant's staff
    assert client.get(f"/api/v1/households/{member.household_id}", headers=auth(outsider)).status_code == 404


def decode_png(png: bytes) -> str:
    results = pyzbar.decode(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].data.decode()


def test_printed_card_scans_to_its_household_and_reissue_revokes_it(client, db, auth, tenant, staff, collector, member):
    r = client.get(f"/api/v1/households/{member.household_id}/qr", headers=auth(member))
    assert r.status_code == 200 and r.mimetype == "image/png"
    text = decode_png(r.data)
    assert member.household.name not in text and str(member.phone) not in text  # nothing personal on the card
    scan = client.post("/api/v1/scans", headers=auth(collector), json={"qr": text})
    assert scan.status_code == 200 and scan.json["household"]["id"] == member.household_id

    assert client.post(f"/api/v1/households/{member.household_id}/qr/reissue", headers=auth(staff)).status_code == 200
    old = client.post("/api/v1/scans", headers=auth(collector), json={"qr": text})
    assert old.status_code == 422 and old.json["type"].endswith("qr_revoked") and "qr" in old.json["errors"]
    new_text = decode_png(client.get(f"/api/v1/households/{member.household_id}/qr", headers=auth(staff)).data)
    assert new_text != text
    assert (
        client.post("/api/v1/scans", headers=auth(collector), json={"qr": new_text}).json["household"]["id"]
        == member.household_id
    )
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "household.card_reissue")).target_id == member.household_id


def test_forged_malformed_and_foreign_cards_are_refused(client, auth, tenant, collector, member):
    text = client.get(f"/api/v1/households/{member.household_id}/qr?format=text", headers=auth(member)).data.decode()
    flipped = text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]
    foreign_member = factories.HouseholdUserFactory()
    foreign = client.get(
        f"/api/v1/households/{foreign_member.household_id}/qr?format=text", headers=auth(foreign_member)
    ).data.decode()
    for qr, kind in ((flipped, "qr_forged"), ("hello", "qr_malformed"), ("TN1-ABC", "qr_malformed"), (foreign, "qr_foreign")):
        r = client.post("/api/v1/scans", headers=auth(collector), json={"qr": qr})
        assert r.status_code == 422, (kind, r.json)
        assert r.json["type"].endswith(kind) and r.json["errors"]["qr"], (kind, r.json)
    assert client.post("/api/v1/scans", headers=auth(member), json={"qr": text}).status_code == 403


def test_svg_card_and_a4_sheet_for_a_village(client, auth, tenant, staff):
    village = factories.VillageFactory(tenant_id=tenant.id)
    ids = [new_household(client, auth(staff), village, name=f"สมาชิก {i}").json["id"] for i in range(3)]
    svg = client.get(f"/api/v1/households/{ids[0]}/qr?format=svg", headers=auth(staff))
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<")
    sheet = client.get(f"/api/v1/households/cards?village_id={village.id}", headers=auth(staff))
    html = sheet.data.decode()
    assert sheet.mimetype == "text/html" and html.count("<svg") == 3
    assert all(f"0000{i}" in html for i in (1, 2, 3)) and village.name_th in html and "@page { size: A4" in html
    bad = client.get("/api/v1/households/cards?village_id=999999", headers=auth(staff))
    assert bad.status_code == 422 and "village_id" in bad.json["errors"]


def test_staff_list_pages_and_searches(client, auth, tenant, staff):
    village = factories.VillageFactory(tenant_id=tenant.id)
    for i in range(5):
        new_household(client, auth(staff), village, name=f"นาย {i}")
    page = client.get("/api/v1/households?per_page=2&page=2", headers=auth(staff)).json
    assert page["total"] == 5 and [h["member_no"] for h in page["items"]] == [3, 4]
    found = client.get("/api/v1/households?q=00004", headers=auth(staff)).json
    assert [h["member_no"] for h in found["items"]] == [4]
    assert client.get("/api/v1/households?per_page=999", headers=auth(staff)).status_code == 422
