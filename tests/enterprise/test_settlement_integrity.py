"""Issue 10, findings 1 and 3: a settlement never pays more than is owed for tickets still valid, and never
more than the member's balance when the money moves."""

from __future__ import annotations

import zoneinfo

from recycle import ledger
from recycle.db import utcnow
from recycle.thai_dates import format_date
from tests import factories
from tests.enterprise.settle_helpers import credit, yesterday
from tests.enterprise.test_settlements import approve, run_and_payouts
from tests.ledger_assert import assert_ledger_sound

BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")


def _checker_headers(client, tenant):
    checker = factories.veteran_staff(tenant)
    login = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "phone": checker.phone, "password": factories.PASSWORD}
    ).json
    return {"Authorization": "Bearer " + login["access_token"]}


def test_a_ticket_voided_after_its_period_ended_is_not_paid(client, db, auth, tenant, catalog, collector, staff):
    hid = factories.HouseholdFactory(tenant=tenant).id
    t = credit(client, auth(collector), hid, 10_000)  # dated yesterday: 400 THB
    assert t["total_satang"] == 40_000
    r = client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "wrong household"})
    assert r.status_code == 200
    run, pays = run_and_payouts(client, auth(staff), yesterday())
    assert hid not in pays and run["net_satang"] == 0
    assert client.post(f"/api/v1/settlements/{run['id']}/approve", headers=_checker_headers(client, tenant)).status_code == 200
    assert ledger.household_balance(db, tenant.id, hid) == 0
    assert_ledger_sound(db)


def test_a_ticket_corrected_after_its_period_ended_pays_the_corrected_amount(client, db, auth, tenant, catalog, collector, staff):
    hid = factories.HouseholdFactory(tenant=tenant).id
    t = credit(client, auth(collector), hid, 10_000)  # 400 THB, corrected to 200 THB today
    r = client.post(
        f"/api/v1/collections/{t['id']}/correct",
        headers=auth(staff),
        json={"reason": "scale was off", "lines": [{"material_code": "ALU_CAN", "weight_g": 5000}]},
    )
    assert r.status_code == 201, r.json
    run, pays = run_and_payouts(client, auth(staff), yesterday())
    assert pays[hid]["gross_satang"] == 20_000 and pays[hid]["net_satang"] == 19_600
    approve(db, tenant, run["id"])
    assert ledger.household_balance(db, tenant.id, hid) == 0
    assert_ledger_sound(db)


def test_approving_a_run_the_ledger_moved_under_is_refused_until_recomputed(client, db, auth, tenant, catalog, collector, staff):
    a, b = factories.HouseholdFactory(tenant=tenant).id, factories.HouseholdFactory(tenant=tenant).id
    t = credit(client, auth(collector), a, 11_000)  # 440 THB
    credit(client, auth(collector), b, 1000)
    run, pays = run_and_payouts(client, auth(staff), yesterday())
    assert pays[a]["net_satang"] == 43_120
    client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "not ours"})
    checker = _checker_headers(client, tenant)
    r = client.post(f"/api/v1/settlements/{run['id']}/approve", headers={**checker, "Accept-Language": "en"})
    assert r.status_code == 409 and r.json["type"].endswith("settlement_stale"), r.json
    assert r.headers["Content-Type"].startswith("application/problem+json") and "recompute" in r.json["detail"]
    assert str(a) in r.json["errors"]["household_id"][0]
    assert ledger.household_balance(db, tenant.id, a) == 0  # nothing was posted
    assert client.post(f"/api/v1/settlements/{run['id']}/recompute", headers=auth(staff)).status_code == 202
    pays = {
        p["household_id"]: p for p in client.get(f"/api/v1/settlements/{run['id']}/payouts", headers=auth(staff)).json["items"]
    }
    assert a not in pays and pays[b]["gross_satang"] == 4000
    ok = client.post(f"/api/v1/settlements/{run['id']}/approve", headers=checker)
    assert ok.status_code == 200 and ok.json["net_satang"] == 3920
    assert ledger.household_balance(db, tenant.id, a) == 0 and ledger.household_balance(db, tenant.id, b) == 0
    assert_ledger_sound(db)


def test_a_late_synced_ticket_of_the_period_also_makes_the_run_stale(client, db, auth, tenant, catalog, collector, staff):
    hid = factories.HouseholdFactory(tenant=tenant).id
    credit(client, auth(collector), hid, 1000)
    run, _ = run_and_payouts(client, auth(staff), yesterday())
    credit(client, auth(collector), hid, 500)  # a phone that was offline syncs yesterday's ticket
    r = client.post(f"/api/v1/settlements/{run['id']}/approve", headers=_checker_headers(client, tenant))
    assert r.status_code == 409 and r.json["type"].endswith("settlement_stale")


def test_the_passbook_says_when_a_void_happened_and_what_it_corrects(client, db, auth, tenant, catalog, collector, staff, member):
    t = credit(client, auth(collector), member.household_id, 1000)
    client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "double entry"})
    wallet = client.get("/api/v1/wallet", headers=auth(member)).json
    void = next(e for e in wallet["entries"] if e["kind"] == "reversal")
    deposit = next(e for e in wallet["entries"] if e["kind"] == "weigh_in")
    assert void["occurred_at"] == deposit["occurred_at"]  # effective on the weigh-in's date
    assert void["recorded_at"] > deposit["occurred_at"]  # but recorded today
    csv_text = client.get(f"/api/v1/households/{member.household_id}/passbook?format=csv", headers=auth(staff)).get_data(
        as_text=True
    )
    header, *rows = csv_text.lstrip("\ufeff").splitlines()
    assert header.split(",")[-1] == "recorded"
    void_row = next(r.split(",") for r in rows if "-40.00" in r)
    deposit_row = next(r.split(",") for r in rows if r.split(",")[2] == "40.00")
    today_be = format_date(utcnow().astimezone(BANGKOK), style="numeric")
    assert void_row[0] == deposit_row[0] and void_row[-1] == today_be and f"#{t['id']}" in void_row[1]
    html = client.get(f"/api/v1/households/{member.household_id}/passbook", headers=auth(member)).get_data(as_text=True)
    assert "ยกเลิกเมื่อ" in html  # "voided on <date>" printed beside the corrected entry
