"""Findings 14.5 and 14.6: sessions end when they should, accounts can really be closed and reset."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from recycle import accounts
from recycle.models import AuditEntry, User
from tests import factories

API = "/api/v1"


def login(client, tenant, user, password=factories.PASSWORD):
    return client.post(f"{API}/auth/login", json={"tenant": tenant.slug, "phone": user.phone, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_refresh_token_works_once_and_a_reused_one_ends_the_whole_session(client, tenant, member):
    first = login(client, tenant, member).json
    rotated = client.post(f"{API}/auth/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status_code == 200 and rotated.json["refresh_token"] != first["refresh_token"]
    assert client.get(f"{API}/me", headers=bearer(rotated.json["access_token"])).status_code == 200
    # the thief replays the old refresh token: refused, and the rightful owner's new tokens die with it
    replay = client.post(f"{API}/auth/refresh", headers=bearer(first["refresh_token"]))
    assert replay.status_code == 401
    assert client.get(f"{API}/me", headers=bearer(rotated.json["access_token"])).status_code == 401
    assert client.post(f"{API}/auth/refresh", headers=bearer(rotated.json["refresh_token"])).status_code == 401
    # another login (another session) is unaffected
    other = login(client, tenant, member).json
    assert client.get(f"{API}/me", headers=bearer(other["access_token"])).status_code == 200


def test_logout_with_the_access_token_also_kills_the_refresh_token(client, tenant, member):
    tokens = login(client, tenant, member).json
    assert client.post(f"{API}/auth/logout", headers=bearer(tokens["access_token"]), json={}).status_code == 200
    assert client.post(f"{API}/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    again = login(client, tenant, member).json
    assert client.post(f"{API}/auth/logout", headers=bearer(again["refresh_token"]), json={}).status_code == 200
    assert client.get(f"{API}/me", headers=bearer(again["access_token"])).status_code == 401


def test_a_disabled_account_cannot_log_in_refresh_or_use_its_tokens(client, db, auth, tenant, admin, collector):
    tokens = login(client, tenant, collector).json
    r = client.post(f"{API}/users/{collector.id}/disable", headers=auth(admin))
    assert r.status_code == 200 and r.json["active"] is False
    assert client.get(f"{API}/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(f"{API}/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 401
    assert login(client, tenant, collector).status_code == 401  # the same password no longer opens it
    assert client.post(f"{API}/users/{collector.id}/disable", headers=auth(collector)).status_code in (401, 403)
    assert client.post(f"{API}/users/{admin.id}/disable", headers=auth(admin)).status_code == 409  # not yourself
    assert client.post(f"{API}/users/{collector.id}/enable", headers=auth(admin)).json["active"] is True
    assert login(client, tenant, collector).status_code == 200
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == collector.id)).all()
    assert "user.disable" in actions and "user.enable" in actions
    foreign_admin = factories.UserFactory(role="admin")
    assert client.post(f"{API}/users/{collector.id}/disable", headers=auth(foreign_admin)).status_code == 404


def test_password_change_needs_the_old_password_and_ends_other_sessions(client, tenant, member):
    elsewhere = login(client, tenant, member).json
    here = login(client, tenant, member).json
    wrong = client.post(
        f"{API}/me/password",
        headers=bearer(here["access_token"]),
        json={"old_password": "not-it-at-all", "new_password": "a-brand-new-secret-9"},
    )
    assert wrong.status_code == 422 and "old_password" in wrong.json["errors"]
    ok = client.post(
        f"{API}/me/password",
        headers=bearer(here["access_token"]),
        json={"old_password": factories.PASSWORD, "new_password": "a-brand-new-secret-9"},
    )
    assert ok.status_code == 200
    assert client.get(f"{API}/me", headers=bearer(elsewhere["access_token"])).status_code == 401
    assert client.get(f"{API}/me", headers=bearer(ok.json["access_token"])).status_code == 200
    assert login(client, tenant, member).status_code == 401
    assert login(client, tenant, member, "a-brand-new-secret-9").status_code == 200


def test_admin_reset_gives_a_one_time_code_that_expires_and_tolerates_few_guesses(client, db, auth, tenant, admin, staff):
    issued = client.post(f"{API}/users/{staff.id}/reset-password", headers=auth(admin))
    assert issued.status_code == 201 and len(issued.json["code"]) == 8 and "256" in issued.json["expires_at_th"]
    body = {
        "tenant": f"  {tenant.slug.upper()} ",
        "phone": staff.phone,
        "code": issued.json["code"].lower(),
        "new_password": "staff-new-password-1",
    }
    r = client.post(f"{API}/auth/reset", json=body)
    assert r.status_code == 200 and r.json["role"] == "staff"
    assert client.post(f"{API}/auth/reset", json={**body, "new_password": "another-password-22"}).status_code == 401  # once
    assert login(client, tenant, staff, "staff-new-password-1").status_code == 200
    # guessing: five wrong codes burn the code even if the sixth is right
    code = client.post(f"{API}/users/{staff.id}/reset-password", headers=auth(admin)).json["code"]
    for _ in range(accounts.RESET_MAX_ATTEMPTS):
        assert client.post(f"{API}/auth/reset", json={**body, "code": "WRONG234"}).status_code == 401
    assert client.post(f"{API}/auth/reset", json={**body, "code": code}).status_code == 401
    # expired
    code = client.post(f"{API}/users/{staff.id}/reset-password", headers=auth(admin)).json["code"]
    user = db.get(User, staff.id)
    db.refresh(user)
    user.reset_code_expires_at = user.reset_code_expires_at - dt.timedelta(hours=1)
    db.flush()
    assert client.post(f"{API}/auth/reset", json={**body, "code": code}).status_code == 401
    assert client.post(f"{API}/users/{staff.id}/reset-password", headers=auth(staff)).status_code == 403
