"""Two clicks at the same moment on one registration form (threads, real commits): one member, both see her page."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from recycle.db import UnitOfWork
from recycle.models import Household
from tests import factories
from tests.conftest import settings_for_tests, truncate_all
from tests.console.conftest import WebClient, make_console_app, token_of


def test_simultaneous_double_submit_registers_once(engine: Any) -> None:
    app = make_console_app(
        None, SETTINGS=settings_for_tests(database_url=engine.url.render_as_string(hide_password=False)), ENGINE=engine
    )
    try:
        with UnitOfWork(app.extensions["thangngoen.sessions"]) as uow:
            factories.bind(uow.session)
            tenant = factories.TenantFactory()
            village = factories.VillageFactory(tenant_id=tenant.id)
            staff = factories.UserFactory(tenant=tenant, role="staff")
            uow.commit()
            slug, phone, village_id, tenant_id = tenant.slug, staff.phone, village.id, tenant.id
        web = WebClient(app.test_client())
        web.get("/console/login")
        web.post("/console/login", {"tenant": slug, "phone": phone, "password": factories.PASSWORD})
        web.get("/console/members/new")
        form = {
            "name": "ยายพร้อม กันสอง",
            "village_id": str(village_id),
            "paper_consent": "1",
            "form_token": token_of(web.page),
            "csrf_token": web.page.split('name="csrf_token" value="')[1].split('"')[0],
        }
        cookies = {c.key: c.value for c in web.client._cookies.values()}
        results: list[Any] = []
        start = threading.Barrier(2)

        def click() -> None:
            client = app.test_client()
            for key, value in cookies.items():
                client.set_cookie(key, value)
            start.wait()
            results.append(client.post("/console/members/new", data=form))

        threads = [threading.Thread(target=click) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.status_code for r in results] == [302, 302]
        assert results[0].headers["Location"] == results[1].headers["Location"]
        with UnitOfWork(app.extensions["thangngoen.sessions"]) as uow:
            assert uow.session.scalar(select(func.count(Household.id)).where(Household.tenant_id == tenant_id)) == 1
    finally:
        truncate_all(engine)
