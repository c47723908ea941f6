"""One member, one household: signing up in the app into the household the centre registered; merging duplicates."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from recycle import households, ledger, linking
from recycle.db import utcnow
from recycle.errors import Conflict, Forbidden, InvalidInput
from recycle.game import points
from recycle.models import Household, User
from recycle.principal import Principal
from tests import factories
from tests.conftest import SECRET


def _staff_principal(user) -> Principal:  # noqa: ANN001
    return Principal(user_id=user.id, tenant_id=user.tenant_id, role=user.role)


def _counter_member(db, tenant, name="ยายจันทร์ แสงคำ"):  # noqa: ANN001, ANN202
    village = factories.VillageFactory(tenant_id=tenant.id)
    return households.register(db, tenant, households.HouseholdInput(name=name, village_id=village.id, consent=True))


def _credit(db, tenant, household, satang: int) -> None:  # noqa: ANN001
    purchases = ledger.account(db, tenant.id, ledger.PURCHASES)
    ledger.post(
        db,
        tenant.id,
        f"test:{uuid.uuid4()}",
        "weigh_in",
        [ledger.Leg(purchases, satang), ledger.Leg(ledger.household_account(db, tenant.id, household.id), -satang)],
    )


def households_count(db, tenant) -> int:  # noqa: ANN001
    return db.scalar(select(func.count(Household.id)).where(Household.tenant_id == tenant.id))


def test_app_sign_up_with_the_counter_code_joins_the_same_household_once(client, db, tenant, staff) -> None:
    h = _counter_member(db, tenant)
    code = linking.issue_code(db, _staff_principal(staff), h.id)
    body = {
        "tenant": tenant.slug,
        "phone": "0861234567",
        "password": "jan-2026-secret",
        "link_code": code.lower(),
        "consent": True,
    }
    r = client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['access_token']}"}).json
    assert me["household_id"] == h.id and households_count(db, tenant) == 1
    again = client.post("/api/v1/auth/register", json={**body, "phone": "0861234568"})
    assert again.status_code == 422 and "link_code" in again.json["errors"]  # used up


def test_sign_up_with_the_card_text_and_bad_codes(client, db, tenant) -> None:
    h = _counter_member(db, tenant)
    card = households.card_token(SECRET, h)
    body = {"tenant": tenant.slug, "phone": "0861234569", "password": "jan-2026-secret", "consent": True}
    assert client.post("/api/v1/auth/register", json={**body, "link_code": "ZZZZ-ZZZZ"}).status_code == 422
    foreign = households.card_token(SECRET, factories.HouseholdFactory())
    r = client.post("/api/v1/auth/register", json={**body, "link_code": foreign})
    assert r.status_code == 422 and r.json["errors"]["link_code"]
    r = client.post("/api/v1/auth/register", json={**body, "link_code": card})
    assert r.status_code == 201 and households_count(db, tenant) == 1
    r = client.post("/api/v1/auth/register", json={**body, "phone": "0861234570", "link_code": card})
    assert r.status_code == 409  # a household has one login


def test_register_without_link_code_still_needs_name_and_village(client, tenant) -> None:
    r = client.post(
        "/api/v1/auth/register",
        json={"tenant": tenant.slug, "phone": "0861234571", "password": "jan-2026-secret", "consent": True},
    )
    assert r.status_code in (400, 422) and {"name", "village_id"} <= set(r.json["errors"])


def test_admin_merge_moves_money_and_points_by_entries_and_closes_the_duplicate(db, tenant, admin) -> None:
    keep, dup = _counter_member(db, tenant, "นายหนึ่ง"), _counter_member(db, tenant, "นายหนึ่ง (ซ้ำ)")
    _credit(db, tenant, keep, 1000)
    _credit(db, tenant, dup, 2550)
    day = points.local_date("Asia/Bangkok", utcnow())
    points.household_row(db, tenant.id, dup.id)
    points.post(db, tenant.id, dup.id, f"ticket:{uuid.uuid4()}", "deposit", 40, day)
    postings_before = db.scalar(select(func.count(ledger.Posting.id)).where(ledger.Posting.household_id == dup.id))
    user = factories.HouseholdUserFactory(tenant=tenant, household=dup)
    linking.merge(db, _staff_principal(admin), keep.id, dup.id, "registered twice")
    assert ledger.household_balance(db, tenant.id, keep.id) == 3550 and ledger.household_balance(db, tenant.id, dup.id) == 0
    assert points.summary(db, tenant.id, keep.id).balance == 40 and points.summary(db, tenant.id, dup.id).balance == 0
    assert db.scalar(select(func.count(ledger.Posting.id)).where(ledger.Posting.household_id == dup.id)) == postings_before + 1
    assert ledger.trial_balance(db, tenant.id) == 0 and not dup.active and user.household_id == keep.id
    with pytest.raises(Conflict):
        linking.merge(db, _staff_principal(admin), keep.id, dup.id, "again")


def test_merge_needs_an_admin_and_two_members(db, tenant, staff, admin) -> None:
    a, b = _counter_member(db, tenant, "ก"), _counter_member(db, tenant, "ข")
    with pytest.raises(Forbidden):
        linking.merge(db, _staff_principal(staff), a.id, b.id, "")
    with pytest.raises(InvalidInput):
        linking.merge(db, _staff_principal(admin), a.id, a.id, "")
    assert db.scalar(select(func.count(User.id)).where(User.household_id == a.id)) == 0
