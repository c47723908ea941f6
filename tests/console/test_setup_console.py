"""Setup by an admin in the console: villages, accounts (create, disable, new password), settings, catalog."""

from __future__ import annotations

from sqlalchemy import func, select

from pricing.models import Material
from recycle.models import User, Village
from tests import factories
from tests.console.conftest import WebClient


def admin_web(web: WebClient, admin) -> WebClient:  # noqa: ANN001
    assert web.login(admin).status_code == 200
    web.get("/console/setup")
    return web


def test_staff_cannot_open_setup(clerk: WebClient) -> None:
    assert clerk.get("/console/setup").status_code == 403


def test_admin_adds_a_village_and_a_duplicate_is_refused(web: WebClient, admin, db, tenant) -> None:
    admin_web(web, admin)
    assert web.post("/console/setup/villages", {"name_th": "บ้านใหม่", "moo": "7"}).status_code == 302
    assert db.scalar(select(Village.moo).where(Village.tenant_id == tenant.id, Village.name_th == "บ้านใหม่")) == 7
    web.get("/console/setup")
    resp = web.post("/console/setup/villages", {"name_th": "บ้านใหม่"})
    assert resp.status_code == 422 and 'id="name_th-err"' in web.page


def test_admin_creates_a_collector_disables_and_resets_with_fresh_password(web: WebClient, admin, db, tenant, capp) -> None:
    admin_web(web, admin)
    resp = web.post(
        "/console/setup/users", {"name": "นายเก็บ ขยัน", "phone": "0891112222", "role": "collector", "new_password": "short"}
    )
    assert resp.status_code == 422 and 'id="new_password-err"' in web.page
    assert (
        web.post(
            "/console/setup/users",
            {"name": "นายเก็บ ขยัน", "phone": "0891112222", "role": "collector", "new_password": "collect-2026-ok"},
        ).status_code
        == 302
    )
    user = db.scalar(select(User).where(User.tenant_id == tenant.id, User.phone == "0891112222"))
    assert user.role == "collector" and user.active
    web.get("/console/setup")
    assert web.post(f"/console/setup/users/{user.id}/disable", {"password": "wrong"}).status_code == 422
    assert web.post(f"/console/setup/users/{user.id}/disable", {"password": factories.PASSWORD}).status_code == 302
    db.refresh(user)
    assert not user.active
    api = capp.test_client()
    login = {"tenant": tenant.slug, "phone": "0891112222", "password": "collect-2026-ok"}
    assert api.post("/api/v1/auth/login", json=login).status_code == 401
    web.get("/console/setup")
    web.post(f"/console/setup/users/{user.id}/enable", {"password": factories.PASSWORD})
    web.get("/console/setup")
    assert (
        web.post(
            f"/console/setup/users/{user.id}/password", {"password": factories.PASSWORD, "new_password": "new-collect-2026"}
        ).status_code
        == 302
    )
    assert api.post("/api/v1/auth/login", json={**login, "password": "new-collect-2026"}).status_code == 200


def test_admin_edits_settings_with_errors_by_field(web: WebClient, admin, db, tenant) -> None:
    admin_web(web, admin)
    resp = web.post("/console/setup/settings", {"welfare_bp": "99999", "handover_tolerance_pct": "5"})
    assert resp.status_code == 422 and 'id="welfare_bp-err"' in web.page
    resp = web.post(
        "/console/setup/settings",
        {"welfare_bp": "150", "handover_tolerance_pct": "5", "centre_lat": "20.1", "centre_lng": "100.2"},
    )
    assert resp.status_code == 302
    db.refresh(tenant)
    assert tenant.settings["welfare_bp"] == 150 and tenant.setting("handover_tolerance_pct") == 5
    assert tenant.centre_lat == 20.1


def test_catalog_from_the_template_once(web: WebClient, admin, db, tenant) -> None:
    admin_web(web, admin)
    web.post("/console/setup/catalog", {})
    n = db.scalar(select(func.count(Material.id)).where(Material.tenant_id == tenant.id))
    assert n == 21  # 22 priced rows: PET_CLEAR has grades A and B
    web.get("/console/setup")
    web.post("/console/setup/catalog", {})
    assert db.scalar(select(func.count(Material.id)).where(Material.tenant_id == tenant.id)) == 21
    assert "ขวดพลาสติกใส" in web.get("/console/prices").get_data(as_text=True)
