"""The counter prints a one-time code the member signs up with in the app; an admin merges a duplicate."""

from __future__ import annotations

import re

from recycle import households, ledger
from tests import factories
from tests.console.conftest import WebClient


def test_counter_code_links_the_app_sign_up_to_the_same_household(clerk: WebClient, capp, db, tenant) -> None:
    village = factories.VillageFactory(tenant_id=tenant.id)
    h = households.register(db, tenant, households.HouseholdInput(name="ยายแดง", village_id=village.id))
    clerk.get(f"/console/members/{h.id}")
    page = clerk.post(f"/console/members/{h.id}/link-code", {}).get_data(as_text=True)
    code = re.search(r'id="link-code">([A-Z0-9-]+)<', page).group(1)
    r = capp.test_client().post(
        "/api/v1/auth/register",
        json={"tenant": tenant.slug, "phone": "0871234567", "password": "daeng-2026-pw", "link_code": code, "consent": True},
    )
    assert r.status_code == 201
    clerk.get(f"/console/members/{h.id}")
    page = clerk.post(f"/console/members/{h.id}/link-code", {}, follow_redirects=True).get_data(as_text=True)
    assert "สมาชิกนี้มีบัญชีในแอปแล้ว" in page


def test_admin_merges_a_duplicate_from_the_member_page(web: WebClient, admin, db, tenant) -> None:
    village = factories.VillageFactory(tenant_id=tenant.id)
    keep = households.register(db, tenant, households.HouseholdInput(name="นายซ้ำ", village_id=village.id))
    dup = households.register(db, tenant, households.HouseholdInput(name="นายซ้ำ", village_id=village.id))
    purchases = ledger.account(db, tenant.id, ledger.PURCHASES)
    ledger.post(
        db,
        tenant.id,
        "t1",
        "weigh_in",
        [ledger.Leg(purchases, 700), ledger.Leg(ledger.household_account(db, tenant.id, dup.id), -700)],
    )
    web.login(admin)
    web.get(f"/console/members/{keep.id}")
    page = web.post(
        f"/console/members/{keep.id}/merge",
        {"duplicate_member_no": dup.member_code, "reason": "ซ้ำ", "password": factories.PASSWORD},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "รวมสมาชิกแล้ว" in page and 'id="m-balance">7.00<' in page
    db.refresh(dup)
    assert not dup.active and ledger.household_balance(db, tenant.id, dup.id) == 0
