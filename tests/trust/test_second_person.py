"""Finding 14.2: the settlement checker must really be a second person. Edges of the rule in docs/DESIGN.md."""

from __future__ import annotations

import datetime as dt

import pytest

from recycle.db import utcnow
from tests import factories
from tests.enterprise.settle_helpers import credit, yesterday

API = "/api/v1"


def _login(client, tenant, phone, password=factories.PASSWORD):
    r = client.post(f"{API}/auth/login", json={"tenant": tenant.slug, "phone": phone, "password": password})
    assert r.status_code == 200, r.json
    return {"Authorization": "Bearer " + r.json["access_token"]}


@pytest.fixture
def prepared(client, db, auth, tenant, catalog, collector):
    """An admin (the preparer) who made one staff account long ago, and a computed run it prepared."""
    preparer = factories.veteran_staff(tenant, role="admin")
    made_by_preparer = factories.veteran_staff(tenant, created_by_user_id=preparer.id)
    credit(client, auth(collector), factories.HouseholdFactory(tenant=tenant).id, 5000)
    run = client.post(f"{API}/settlements", headers=auth(preparer), json={"period_end": yesterday()}).json
    return preparer, made_by_preparer, run


def _approve(client, headers, run):
    return client.post(f"{API}/settlements/{run['id']}/approve", headers=headers)


def test_the_attack_an_admin_creates_a_second_account_after_preparing_and_approves_with_it(client, tenant, prepared):
    preparer, _, run = prepared
    created = client.post(
        f"{API}/users",
        headers=_login(client, tenant, preparer.phone),
        json={"role": "staff", "phone": "0899990001", "password": "sock-puppet-pass-1", "name": "หุ่นเชิด"},
    )
    assert created.status_code == 201
    r = _approve(client, _login(client, tenant, "0899990001", "sock-puppet-pass-1"), run)
    assert r.status_code == 403 and r.json["type"].endswith("maker_checker")
    assert (
        client.get(f"{API}/settlements/{run['id']}", headers=_login(client, tenant, preparer.phone)).json["status"] == "computed"
    )


def test_the_same_person_cannot_approve(client, tenant, prepared):
    preparer, _, run = prepared
    assert _approve(client, _login(client, tenant, preparer.phone), run).status_code == 403


def test_an_account_the_preparer_created_long_before_cannot_approve(client, tenant, prepared):
    _, made_by_preparer, run = prepared
    r = _approve(client, _login(client, tenant, made_by_preparer.phone), run)
    assert r.status_code == 403 and "created by the preparer" in r.json["detail"]


def test_an_older_account_whose_password_the_preparer_reset_after_preparing_cannot_approve(client, tenant, prepared):
    preparer, _, run = prepared
    victim = factories.veteran_staff(tenant)  # older than the run, made by nobody in particular
    code = client.post(f"{API}/users/{victim.id}/reset-password", headers=_login(client, tenant, preparer.phone)).json["code"]
    r = client.post(
        f"{API}/auth/reset",
        json={"tenant": tenant.slug, "phone": victim.phone, "code": code, "new_password": "taken-over-pass-77"},
    )
    assert r.status_code == 200
    r = _approve(client, _login(client, tenant, victim.phone, "taken-over-pass-77"), run)
    assert r.status_code == 403 and "role or password" in r.json["detail"]


def test_a_collector_promoted_after_preparing_cannot_approve(client, tenant, prepared):
    preparer, _, run = prepared
    old_collector = factories.UserFactory(tenant=tenant, role="collector", created_at=utcnow() - dt.timedelta(days=90))
    r = client.post(
        f"{API}/users/{old_collector.id}/role", headers=_login(client, tenant, preparer.phone), json={"role": "staff"}
    )
    assert r.status_code == 200
    assert _approve(client, _login(client, tenant, old_collector.phone), run).status_code == 403


def test_a_legitimate_second_staff_member_approves(client, tenant, prepared):
    _, _, run = prepared
    colleague = factories.veteran_staff(tenant)
    r = _approve(client, _login(client, tenant, colleague.phone), run)
    assert r.status_code == 200 and r.json["status"] == "approved"
