"""Issue 14 findings 8 and 10: a collector sees only the doorstep; members exercise their PDPA rights."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

from sqlalchemy import func, select

from enterprise import privacy
from enterprise.settlement_models import Payout
from recycle import ledger
from recycle.db import utcnow
from recycle.game.models import BadgeAward
from recycle.models import AuditEntry, Household, RevokedToken, User
from tests import factories
from tests.enterprise.settle_helpers import credit
from tests.game.helpers import deposit, kg
from tests.game.test_badges_levels import recorder  # noqa: F401, F811 - the fixture
from tests.pickup.ticket_helpers import card_text

PERSONAL = ("phone", "address", "lat", "lng", "promptpay_id_masked", "balance_satang")


def test_finding_8_a_card_scan_shows_the_collector_only_the_doorstep(client, auth, tenant, staff, collector):
    household = factories.HouseholdFactory(
        tenant=tenant, phone="0812345678", promptpay_id="1101700230708", promptpay_kind="national_id"
    )
    scan = client.post("/api/v1/scans", headers=auth(collector), json={"qr": card_text(client, auth(staff), household.id)})
    assert scan.status_code == 200
    assert set(scan.json) == {"household", "open_pickup_id"}
    assert set(scan.json["household"]) == {
        "id",
        "member_no",
        "member_code",
        "name",
        "village_id",
        "village_name_th",
        "village_name_en",
    }
    page = client.get(f"/api/v1/households/{household.id}", headers=auth(collector))
    assert page.status_code == 200 and not set(PERSONAL) & set(page.json) and page.json["name"] == household.name
    # another waste bank's card, and its household page, are not this collector's
    other = factories.HouseholdFactory()
    assert client.get(f"/api/v1/households/{other.id}", headers=auth(collector)).status_code == 404


def test_finding_8_a_foreign_card_is_refused(client, auth, tenant, collector):
    other_tenant = factories.TenantFactory()
    other = factories.HouseholdFactory(tenant=other_tenant)
    other_staff = factories.UserFactory(tenant=other_tenant, role="staff")
    r = client.post("/api/v1/scans", headers=auth(collector), json={"qr": card_text(client, auth(other_staff), other.id)})
    assert r.status_code == 422 and r.json["type"].endswith("qr_foreign") and "household" not in r.json


def test_identifiers_masked_in_the_list_full_on_the_member_page(client, auth, tenant, staff):
    factories.HouseholdFactory(tenant=tenant, phone="0812345678", promptpay_id="1101700230708", promptpay_kind="national_id")
    item = client.get("/api/v1/households", headers=auth(staff)).json["items"][0]
    assert item["phone_masked"] == "xxxxxx5678" and item["promptpay_id_masked"] == "xxxxxxxxx0708"
    assert not {"phone", "lat", "lng", "address"} & set(item)
    page = client.get(f"/api/v1/households/{item['id']}", headers=auth(staff)).json
    assert page["phone"] == "0812345678" and page["lat"] is not None


def test_finding_10_staff_registration_needs_a_recorded_consent(client, db, auth, tenant, staff):
    village = factories.VillageFactory(tenant_id=tenant.id)
    body = {"name": "ยายจันทร์ แสงคำ", "village_id": village.id}
    r = client.post("/api/v1/households", headers=auth(staff), json=body)
    assert r.status_code == 422 and "consent" in r.json["errors"]
    r = client.post("/api/v1/households", headers=auth(staff), json={**body, "consent": {"method": "verbal"}})
    assert r.status_code == 422 and "consent.method" in r.json["errors"]
    r = client.post("/api/v1/households", headers=auth(staff), json={**body, "consent": {"method": "paper_signed"}})
    assert r.status_code == 201 and r.json["consent_method"] == "paper_signed" and r.json["consent_at"]
    household = db.get(Household, r.json["id"])
    assert household.consent_recorded_by_user_id == staff.id and household.consent_version == "2026-01"


def test_finding_10_a_member_downloads_everything_held_about_them(client, db, auth, tenant, catalog, staff, member):
    credit(client, auth(staff), member.household_id, 1000)
    r = client.get("/api/v1/me/export", headers=auth(member))
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "attachment" in r.headers["Content-Disposition"]
    data = r.get_json()
    tables = data["tables"]
    assert tables["households"][0]["name"] == member.household.name and data["balance_satang"] == 4000
    assert tables["users"][0]["phone"] == member.phone and "password_hash" not in tables["users"][0]
    assert len(tables["collection_tickets"]) == 1 and len(tables["ticket_lines"]) == 1
    assert sum(p["amount_satang"] for p in tables["ledger_postings"]) == -4000  # the household's payable (credit)
    assert data["consents"]["privacy_notice"]["version"] == "2026-01"
    neighbour = factories.HouseholdFactory(tenant=tenant)
    assert all(row.get("household_id") in (None, member.household_id) for rows in tables.values() for row in rows)
    assert neighbour.name not in r.get_data(as_text=True)
    html = client.get("/api/v1/me/export?format=html", headers=auth(member))
    text = html.get_data(as_text=True)
    assert html.mimetype == "text/html" and "ข้อมูลส่วนบุคคล" in text and member.household.name in text
    assert "40.00" in text and f"{utcnow().year + 543}" in text  # baht and a Buddhist-era date
    audits = db.scalars(select(AuditEntry).where(AuditEntry.action == "household.export_download")).all()
    assert [a.detail["format"] for a in audits] == ["json", "html"]


def test_staff_export_on_a_members_behalf_is_audited_and_tenant_bound(client, db, auth, tenant, staff, member):
    r = client.get(f"/api/v1/households/{member.household_id}/export", headers=auth(staff))
    assert r.status_code == 200 and r.get_json()["household_id"] == member.household_id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "household.export_download"))
    assert entry.actor_user_id == staff.id and entry.detail["by_staff"] is True
    outsider = factories.UserFactory(role="staff")
    assert client.get(f"/api/v1/households/{member.household_id}/export", headers=auth(outsider)).status_code == 404
    assert client.get(f"/api/v1/households/{member.household_id}/export", headers=auth(member)).status_code == 403


def test_the_printable_summary_is_a_pdf(client, auth, member, tmp_path):
    r = client.get("/api/v1/me/export?format=pdf", headers=auth(member))
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):  # poppler-utils: read the PDF back as a person would
        (tmp_path / "me.pdf").write_bytes(r.data)
        fonts = subprocess.run(["pdffonts", str(tmp_path / "me.pdf")], capture_output=True, text=True, check=True).stdout
        text = subprocess.run(["pdftotext", str(tmp_path / "me.pdf"), "-"], capture_output=True, text=True, check=True).stdout
        assert "Sarabun" in fonts and member.household.name in text and "Personal data" in text


def test_a_member_corrects_their_record_and_logs_in_with_the_new_phone(client, db, auth, tenant, member):
    taken = factories.UserFactory(tenant=tenant, role="collector")
    r = client.patch("/api/v1/me", headers=auth(member), json={"phone": taken.phone})
    assert r.status_code == 422 and "phone" in r.json["errors"]
    r = client.patch(
        "/api/v1/me",
        headers=auth(member),
        json={"name": "นางแก้ว ใจดี", "address": "12 หมู่ 4", "phone": "089-111-2222", "promptpay_id": "0891112222"},
    )
    assert r.status_code == 200, r.json
    assert (r.json["name"], r.json["phone"], r.json["address"], r.json["promptpay_id_masked"]) == (
        "นางแก้ว ใจดี",
        "0891112222",
        "12 หมู่ 4",
        "xxxxxx2222",
    )
    login = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": "0891112222", "password": factories.PASSWORD})
    assert login.status_code == 200
    assert client.patch("/api/v1/me", headers=auth(member), json={}).status_code == 422
    assert client.patch("/api/v1/me", headers=auth(member), json={"name": "x\x1b"}).status_code == 422
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "household.correct"))
    assert entry.detail["fields"] == ["address", "name", "phone", "promptpay_id"]


def test_withdrawing_leaderboard_consent_hides_the_name(client, db, auth, tenant, catalog, staff, member):
    member.household.leaderboard_opt_in = True
    deposit(db, tenant.id, member.household_id, utcnow(), [kg("ALU_CAN", 1000)])
    db.flush()
    village_id = member.household.village_id

    def names_seen_by_other():
        board = client.get(f"/api/v1/leaderboards?scope=village&village_id={village_id}&period=all", headers=auth(staff)).json
        return [row.get("name") for row in board["items"]]

    assert names_seen_by_other() == [member.household.name]
    r = client.put("/api/v1/me/consents", headers=auth(member), json={"leaderboard": False, "notifications": False})
    assert r.status_code == 200 and r.json["leaderboard"] is False and r.json["notifications"] is False
    assert names_seen_by_other() == ["สมาชิก #1"]  # ranked, but not by name
    assert client.get("/api/v1/me/consents", headers=auth(member)).json["privacy_notice"]["version"] == "2026-01"
    assert client.put("/api/v1/me/consents", headers=auth(member), json={}).status_code == 422


def test_erasure_is_refused_while_money_is_owed_then_anonymises(client, db, auth, tenant, catalog, staff, member):
    hid, phone = member.household_id, member.phone
    credit(client, auth(staff), hid, 1000)
    r = client.post("/api/v1/me/erasure", headers={**auth(member), "Accept-Language": "en"}, json={"confirm": True})
    assert r.status_code == 409 and "balance" in r.json["detail"] and r.json["errors"]["household"]
    assert client.post("/api/v1/me/erasure", headers=auth(member), json={"confirm": False}).status_code == 422
    # the bank pays the member out: the balance is 0, so erasure may go ahead
    txn_legs = [
        ledger.Leg(ledger.household_account(db, tenant.id, hid), 4000),
        ledger.Leg(ledger.account(db, tenant.id, ledger.PAYOUTS_PENDING), -4000),
    ]
    ledger.post(db, tenant.id, "test-payout", "payout", txn_legs)
    db.flush()
    headers = auth(member)
    r = client.post("/api/v1/me/erasure", headers=headers, json={"confirm": True})
    assert r.status_code == 200, r.json
    db.expire_all()
    h, user = db.get(Household, hid), db.get(User, member.id)
    assert h.name == privacy.ERASED_NAME and h.phone is None and h.address == "" and h.lat is None
    assert h.promptpay_id is None and h.erased_at and not h.active
    assert user.phone != phone and not user.active and user.password_hash == "!erased"
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # its tokens stopped working
    login = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": phone, "password": factories.PASSWORD})
    assert login.status_code == 401
    assert ledger.household_balance(db, tenant.id, hid) == 0 and ledger.trial_balance(db, tenant.id) == 0
    assert db.scalar(select(func.count()).select_from(ledger.Posting).where(ledger.Posting.household_id == hid)) == 2


def test_staff_erasure_on_behalf_refused_with_unpaid_payout(client, db, auth, tenant, staff):
    household = factories.HouseholdFactory(tenant=tenant)
    from enterprise.settlement_models import SettlementRun

    run = SettlementRun(
        tenant_id=tenant.id, period_end=utcnow().date(), cutoff_at=utcnow(), status="approved", prepared_by_user_id=staff.id
    )
    db.add(run)
    db.flush()
    db.add(
        Payout(
            tenant_id=tenant.id,
            run_id=run.id,
            household_id=household.id,
            reissue_no=0,
            gross_satang=5000,
            welfare_satang=0,
            net_satang=5000,
            status="failed",
            method="promptpay",
        )
    )
    db.flush()
    r = client.post(
        f"/api/v1/households/{household.id}/erasure",
        headers={**auth(staff), "Accept-Language": "en"},
        json={"confirm": True, "reason": "คำขอเลขที่ 12/2569"},
    )
    assert r.status_code == 409 and any("payout" in m for m in r.json["errors"]["household"])
    other = factories.HouseholdFactory(tenant=tenant)
    r = client.post(
        f"/api/v1/households/{other.id}/erasure", headers=auth(staff), json={"confirm": True, "reason": "คำขอเลขที่ 13/2569"}
    )
    assert r.status_code == 200
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "household.erase"))
    assert entry.actor_user_id == staff.id and entry.detail["why"] == "คำขอเลขที่ 13/2569"


def test_retention_forgets_old_tokens_old_audit_and_closed_members(db, tenant, member):
    now = utcnow()
    closed = factories.HouseholdFactory(tenant=tenant, active=False, closed_at=now - dt.timedelta(days=400))
    recent = factories.HouseholdFactory(tenant=tenant, active=False, closed_at=now - dt.timedelta(days=10))
    db.add(RevokedToken(jti="old", tenant_id=tenant.id, user_id=member.id, expires_at=now - dt.timedelta(days=40)))
    db.add(RevokedToken(jti="new", tenant_id=tenant.id, user_id=member.id, expires_at=now - dt.timedelta(days=1)))
    db.add(AuditEntry(tenant_id=tenant.id, action="old", detail={}, at=now - dt.timedelta(days=6 * 366)))
    db.add(AuditEntry(tenant_id=tenant.id, action="new", detail={}, at=now - dt.timedelta(days=30)))
    db.flush()
    result = privacy.apply_retention(db, token_days=30, audit_years=5, closed_days=365)
    assert (result.tokens, result.audit_entries, result.erased, result.kept_owing) == (1, 1, 1, 0)
    assert db.get(Household, closed.id).erased_at and db.get(Household, recent.id).erased_at is None
    assert db.get(RevokedToken, "new") and db.get(RevokedToken, "old") is None
    again = privacy.apply_retention(db, token_days=30, audit_years=5, closed_days=365)
    assert (again.tokens, again.audit_entries, again.erased) == (0, 0, 0)


def test_retention_runs_as_a_beat_task(app):
    from api.celery_app import BEAT_SCHEDULE
    from enterprise.tasks import APPLY_RETENTION, apply_retention

    assert any(entry["task"] == APPLY_RETENTION for entry in BEAT_SCHEDULE.values())
    with app.app_context():
        assert apply_retention.delay().get() == {"tokens": 0, "audit_entries": 0, "erased": 0, "kept_owing": 0}


def test_admins_read_the_audit_log_filtered(client, db, auth, tenant, staff, admin, member):
    client.get(f"/api/v1/households/{member.household_id}/export", headers=auth(staff))
    client.get("/api/v1/households/cards", headers=auth(staff))
    r = client.get("/api/v1/audit", headers=auth(admin), query_string={"action": "household.export_download"})
    assert r.status_code == 200 and r.json["total"] == 1
    assert r.json["items"][0]["target_id"] == member.household_id and r.json["items"][0]["actor_user_id"] == staff.id
    cards = client.get("/api/v1/audit", headers=auth(admin), query_string={"action": "household.cards_download"}).json
    assert member.household_id in cards["items"][0]["detail"]["household_ids"]
    today = utcnow().date()
    assert client.get("/api/v1/audit", headers=auth(admin), query_string={"from": today.isoformat()}).json["total"] >= 2
    later = (today + dt.timedelta(days=2)).isoformat()
    assert client.get("/api/v1/audit", headers=auth(admin), query_string={"from": later}).json["total"] == 0
    assert client.get("/api/v1/audit", headers=auth(staff)).status_code == 403
    outsider = factories.UserFactory(role="admin")
    assert client.get("/api/v1/audit", headers=auth(outsider)).json["total"] == 0


def test_withdrawn_notification_consent_means_no_notice(client, db, auth, catalog, staff, member, recorder):
    assert client.put("/api/v1/me/consents", headers=auth(member), json={"notifications": False}).status_code == 200
    credit(client, auth(staff), member.household_id, 1000)  # earns the first-deposit badge
    award = db.scalar(select(BadgeAward).where(BadgeAward.household_id == member.household_id))
    assert award is not None and recorder.sent == []
    db.refresh(award)
    assert award.notified_at is not None  # settled: not sent later either


def test_pdpa_endpoints_are_in_the_swagger_spec(client):
    spec = client.get("/api/v1/swagger.json").json
    for path, method in (
        ("/me/export", "get"),
        ("/me", "patch"),
        ("/me/consents", "put"),
        ("/me/erasure", "post"),
        ("/households/{household_id}/export", "get"),
        ("/households/{household_id}/erasure", "post"),
        ("/audit", "get"),
    ):
        op = spec["paths"][path][method]
        assert op.get("summary") or op.get("description"), path
        assert "200" in op["responses"], path
    assert "paper_signed" in str(spec["definitions"]["ConsentIn"])  # nested schemas are in the spec too
    assert spec["definitions"]["Doorstep"]["properties"].keys() >= {"name", "member_no", "village_name_th"}


def test_retention_settings_are_read_and_checked():
    import pytest

    from recycle.settings import Retention, SettingsError

    assert Retention.from_env({}) == Retention(30, 5, 365)
    assert Retention.from_env({"RETENTION_CLOSED_DAYS": "90"}).closed_days == 90
    with pytest.raises(SettingsError, match="RETENTION_AUDIT_YEARS"):
        Retention.from_env({"RETENTION_AUDIT_YEARS": "0"})


def test_erasure_cancels_open_pickups_and_the_card(client, db, auth, tenant, staff, collector, member):
    from pickup.models import PickupRequest

    text = card_text(client, auth(staff), member.household_id)
    pickup = PickupRequest(
        tenant_id=tenant.id,
        household_id=member.household_id,
        requested_date=utcnow().date(),
        status="requested",
        lat=20.1,
        lng=100.3,
        estimated=[],
        note="ประตูสีเขียว",
    )
    db.add(pickup)
    db.flush()
    assert client.post("/api/v1/me/erasure", headers=auth(member), json={"confirm": True}).status_code == 200
    db.refresh(pickup)
    assert (pickup.status, pickup.note, pickup.lat) == ("cancelled", "", None)
    scan = client.post("/api/v1/scans", headers=auth(collector), json={"qr": text})
    assert scan.status_code == 422 and scan.json["type"].endswith("qr_revoked")


def test_closing_a_membership_then_retention_anonymises_it(client, db, auth, tenant, catalog, staff, member):
    credit(client, auth(staff), member.household_id, 1000)
    hid, headers = member.household_id, auth(member)
    r = client.post(f"/api/v1/households/{hid}/close", headers=auth(staff), json={"reason": "ย้ายไปต่างจังหวัด"})
    assert r.status_code == 409 and r.json["type"].endswith("close_refused")
    txn_legs = [
        ledger.Leg(ledger.household_account(db, tenant.id, hid), 4000),
        ledger.Leg(ledger.account(db, tenant.id, ledger.PAYOUTS_PENDING), -4000),
    ]
    ledger.post(db, tenant.id, "test-payout-close", "payout", txn_legs)
    db.flush()
    r = client.post(f"/api/v1/households/{hid}/close", headers=auth(staff), json={"reason": "ย้ายไปต่างจังหวัด"})
    assert r.status_code == 200 and r.json["active"] is False
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    household = db.get(Household, hid)
    assert privacy.apply_retention(db, token_days=30, audit_years=5, closed_days=365).erased == 0  # not yet
    household.closed_at = utcnow() - dt.timedelta(days=366)
    db.flush()
    assert privacy.apply_retention(db, token_days=30, audit_years=5, closed_days=365).erased == 1
    db.refresh(household)
    assert household.name == privacy.ERASED_NAME and household.erased_at
