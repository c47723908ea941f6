"""Sign-up, login, tokens: what a household or a collector's phone sees."""

from __future__ import annotations

import datetime as dt

from flask_jwt_extended import create_access_token
from sqlalchemy import func, select

from recycle.models import AuditEntry, Household, User
from tests import factories
from tests.conftest import make_app

PROBLEM = "application/problem+json"


def register_body(tenant, village, **over):
    body = {
        "tenant": tenant.slug,
        "phone": "081-234-5678",
        "password": "kaew-sorts-2026",
        "name": "นางแก้ว",
        "village_id": village.id,
        "address": "9 หมู่ 2",
        "lat": 20.07,
        "lng": 100.33,
        "consent": True,
    }
    body.update(over)
    return body


def test_register_then_login_with_any_spelling_of_the_number(client, db, tenant):
    village = factories.VillageFactory(tenant_id=tenant.id)
    r = client.post("/api/v1/auth/register", json=register_body(tenant, village))
    assert r.status_code == 201, r.json
    assert r.json["role"] == "household"
    for spelling in ("0812345678", "+66812345678", "+66 81 234 5678"):
        r = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": spelling, "password": "kaew-sorts-2026"})
        assert r.status_code == 200, (spelling, r.json)
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + r.json["access_token"]}).json
    assert me["phone"] == "0812345678" and me["member_no"] == 1 and me["balance_satang"] == 0
    household = db.get(Household, me["household_id"])
    assert household.consent_at is not None and household.consent_version


def test_registration_refuses_role_field_and_writes_nothing(client, db, tenant):
    village = factories.VillageFactory(tenant_id=tenant.id)
    r = client.post("/api/v1/auth/register", json=register_body(tenant, village, role="admin"))
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert "role" in r.json["errors"]
    assert db.scalar(select(func.count()).select_from(User)) == 0
    assert db.scalar(select(func.count()).select_from(Household)) == 0


def test_registration_bad_fields_are_named(client, db, tenant):
    village = factories.VillageFactory(tenant_id=tenant.id)
    cases = {
        "phone": {"phone": "02-123-4567"},
        "password": {"password": "12345678"},
        "consent": {"consent": False},
        "village_id": {"village_id": 999999},
        "promptpay_id": {"promptpay_id": "1101700230709"},  # wrong check digit
        "lat": {"lat": 123.0},
    }
    for field, over in cases.items():
        r = client.post("/api/v1/auth/register", json=register_body(tenant, village, **over))
        assert r.status_code == 422, (field, r.json)
        assert field in r.json["errors"], (field, r.json)
    assert db.scalar(select(func.count()).select_from(Household)) == 0


def test_phone_registered_twice_is_a_conflict(client, tenant):
    village = factories.VillageFactory(tenant_id=tenant.id)
    assert client.post("/api/v1/auth/register", json=register_body(tenant, village)).status_code == 201
    r = client.post("/api/v1/auth/register", json=register_body(tenant, village, phone="+66812345678", name="อีกคน"))
    assert r.status_code == 409 and "phone" in r.json["errors"]


def test_same_phone_in_another_tenant_is_fine(client, tenant):
    other = factories.TenantFactory()
    for t in (tenant, other):
        village = factories.VillageFactory(tenant_id=t.id)
        assert client.post("/api/v1/auth/register", json=register_body(t, village)).status_code == 201


def test_wrong_password_is_401_and_audited(client, db, collector, tenant):
    r = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": collector.phone, "password": "nope-nope-1"})
    assert r.status_code == 401 and r.mimetype == PROBLEM
    r2 = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": "0899999999", "password": "nope-nope-1"})
    assert r2.status_code == 401 and r2.json["detail"] == r.json["detail"]  # unknown phone looks the same
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant.id)).all()
    assert actions.count("login.failed") == 2


def test_login_is_rate_limited(session_factory, db, tenant, collector):
    app = make_app(session_factory, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    body = {"tenant": tenant.slug, "phone": collector.phone, "password": "wrong-password-x"}
    codes = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    r = client.post("/api/v1/auth/login", json=body)
    assert r.mimetype == PROBLEM and r.json["status"] == 429 and "Retry-After" in r.headers


def test_logout_revokes_access_and_refresh(client, tenant, collector):
    tokens = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "phone": collector.phone, "password": factories.PASSWORD}
    ).json
    h = {"Authorization": "Bearer " + tokens["access_token"]}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    r = client.post("/api/v1/auth/logout", headers=h, json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=h).status_code == 401
    r = client.post(
        "/api/v1/auth/refresh", headers={"Authorization": "Bearer " + tokens["refresh_token"], "Accept-Language": "en"}
    )
    assert r.status_code == 401 and "revoked" in r.json["detail"]


def test_refresh_rotates_and_access_token_cannot_refresh(client, tenant, collector):
    tokens = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "phone": collector.phone, "password": factories.PASSWORD}
    ).json
    r = client.post("/api/v1/auth/refresh", headers={"Authorization": "Bearer " + tokens["refresh_token"]})
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer " + r.json["access_token"]}).status_code == 200
    r = client.post("/api/v1/auth/refresh", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert r.status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer " + tokens["refresh_token"]}).status_code == 401


def test_expired_and_forged_tokens(app, client, collector):
    with app.app_context():
        claims = {"tid": collector.tenant_id, "role": "collector", "hid": None, "gen": 0}
        expired = create_access_token(str(collector.id), additional_claims=claims, expires_delta=dt.timedelta(seconds=-5))
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}", "Accept-Language": "en"})
    assert r.status_code == 401 and "expired" in r.json["detail"]
    forger = make_app(
        None,
        SETTINGS=__import__("tests.conftest", fromlist=["x"]).settings_for_tests(
            secret_key="another-key-xxxxxxxxxxxxxxxxxxxxxxxxx"
        ),
    )
    with forger.app_context():
        forged = create_access_token(str(collector.id), additional_claims={**claims, "role": "admin"})
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.token"}).status_code == 401


def test_lost_phone_cut_off(client, auth, staff, collector):
    h = auth(collector)
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert client.post(f"/api/v1/users/{collector.id}/cut-off", headers=auth(staff)).status_code == 200
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_admin_creates_collector_and_changes_role_audited(client, db, auth, admin, staff):
    r = client.post(
        "/api/v1/users",
        headers=auth(admin),
        json={"role": "collector", "phone": "089-111-2222", "password": "collect-well-9", "name": "นายเก็บ"},
    )
    assert r.status_code == 201 and r.json["phone"] == "0891112222"
    uid = r.json["id"]
    assert (
        client.post(
            "/api/v1/users",
            headers=auth(staff),
            json={"role": "admin", "phone": "0891112223", "password": "x-strong-pass", "name": "x"},
        ).status_code
        == 403
    )
    r = client.post(f"/api/v1/users/{uid}/role", headers=auth(admin), json={"role": "staff"})
    assert r.status_code == 200 and r.json["role"] == "staff"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_change"))
    assert entry.detail == {"old": "collector", "new": "staff"} and entry.actor_user_id == admin.id
    listing = client.get("/api/v1/users?role=staff", headers=auth(admin)).json
    assert {u["id"] for u in listing["items"]} >= {uid, staff.id} and listing["total"] >= 2
