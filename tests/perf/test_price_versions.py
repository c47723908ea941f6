"""The board's price version as the workers know it on PostgreSQL: pushed by NOTIFY on commit, never guessed.

These tests commit for real (a notification is only sent when a transaction commits), through an app that
owns its engine as in production, and wipe what they wrote at the end.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from pricing import book
from pricing.prices import PriceChange, set_prices
from pricing.versions import PriceVersions
from recycle.db import UnitOfWork, utcnow
from recycle.principal import Principal
from tests import factories
from tests.conftest import make_app, settings_for_tests, truncate_all

pytestmark = pytest.mark.postgres


@pytest.fixture
def live(engine: Any) -> Iterator[dict[str, Any]]:
    """An app on the real engine (no shared test transaction), a committed tenant with one priced material."""
    app = make_app(
        None, SETTINGS=settings_for_tests(database_url=engine.url.render_as_string(hide_password=False)), ENGINE=engine
    )
    sessions = app.extensions["thangngoen.sessions"]
    try:
        with UnitOfWork(sessions) as uow:
            factories.bind(uow.session)
            tenant = factories.TenantFactory()
            staff = factories.UserFactory(tenant=tenant, role="staff")
            factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, since=utcnow() - dt.timedelta(days=1))
            uow.commit()
            yield {"app": app, "sessions": sessions, "slug": tenant.slug, "principal": Principal(staff.id, tenant.id, "staff")}
    finally:
        app.extensions["thangngoen.price_versions"].close()
        book.clear()
        truncate_all(engine)


def _set_price(live: dict[str, Any], satang: int) -> None:
    with UnitOfWork(live["sessions"]) as uow:
        set_prices(uow.session, live["principal"], [PriceChange("ALU_CAN", "A", satang)])
        uow.commit()


def _alu(resp: Any) -> int:
    return next(i["buy_price_satang"] for i in resp.json["items"] if i["material_code"] == "ALU_CAN")


def _until_changed(client: Any, url: str, etag: str) -> Any:
    """The notification travels on its own connection: poll (bounded) until this worker has it."""
    for _ in range(100):
        resp = client.get(url, headers={"If-None-Match": etag})
        if resp.status_code != 304:
            return resp
        time.sleep(0.05)
    return resp


def test_a_committed_price_change_reaches_the_board_without_a_query(live: dict[str, Any]) -> None:
    client, url = live["app"].test_client(), f"/api/v1/public/{live['slug']}/prices"
    first = client.get(url)
    assert first.status_code == 200 and _alu(first) == 4000
    versions: PriceVersions = live["app"].extensions["thangngoen.price_versions"]

    def no_query(*a: Any, **kw: Any) -> Any:
        raise AssertionError("the version should have come from the listener")

    versions._conn.execute = no_query  # known now: a 304 and a 200 from memory, no round trip
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(url).data == first.data
    del versions._conn.execute
    _set_price(live, 4400)
    changed = _until_changed(client, url, first.headers["ETag"])
    assert changed.status_code == 200 and _alu(changed) == 4400


def test_a_rolled_back_price_change_is_never_announced(live: dict[str, Any]) -> None:
    client, url = live["app"].test_client(), f"/api/v1/public/{live['slug']}/prices"
    first = client.get(url)
    with UnitOfWork(live["sessions"]) as uow:
        set_prices(uow.session, live["principal"], [PriceChange("ALU_CAN", "A", 4500)])
        uow.session.flush()  # the version moved inside this transaction, which is then rolled back
    _set_price(live, 4100)  # a later committed change is seen, and the rolled-back one never was
    changed = _until_changed(client, url, first.headers["ETag"])
    assert _alu(changed) == 4100


def test_a_listener_that_was_cut_off_reads_the_version_again(live: dict[str, Any], engine: Any) -> None:
    client, url = live["app"].test_client(), f"/api/v1/public/{live['slug']}/prices"
    first = client.get(url)
    versions: PriceVersions = live["app"].extensions["thangngoen.price_versions"]
    pid = versions._conn.info.backend_pid
    with engine.connect() as conn:  # an administrator (or a restart) ends the listening session
        conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    _set_price(live, 3800)  # committed while no one was listening on that connection
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and _alu(again) == 3800  # at once: no notification needed
    assert versions._conn.info.backend_pid != pid


def test_an_unknown_tenant_is_a_404(live: dict[str, Any]) -> None:
    assert live["app"].test_client().get("/api/v1/public/no-such-bank/prices").status_code == 404
