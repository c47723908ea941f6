"""A community with a small village (3 households: suppressed) and a big one (6), each having weighed in."""

from __future__ import annotations

import os
from typing import Any

import pytest

from console.public import register_public
from tests import factories
from tests.conftest import make_app
from tests.pickup.ticket_helpers import ticket


@pytest.fixture
def app(session_factory: Any, db: Any):  # noqa: ANN201
    app = make_app(session_factory)
    register_public(app)
    return app


@pytest.fixture
def community(db: Any, tenant: Any, catalog: Any, client: Any, auth: Any, staff: Any) -> dict[str, Any]:
    small = factories.VillageFactory(tenant_id=tenant.id, moo=1, name_th="บ้านเล็ก", name_en="Small village")
    big = factories.VillageFactory(tenant_id=tenant.id, moo=2, name_th="บ้านใหญ่", name_en="Big village")
    homes = {
        "small": [factories.HouseholdFactory(tenant=tenant, village=small) for _ in range(3)],
        "big": [factories.HouseholdFactory(tenant=tenant, village=big) for _ in range(6)],
    }
    for hs in homes.values():
        for h in hs:
            r = client.post("/api/v1/collections", headers=auth(staff), json=ticket(household_id=h.id))
            assert r.status_code == 201, r.json
    return {"small": small, "big": big, "homes": homes}


CHANNEL_SECRET = "test-line-channel-secret"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A real worker (TEST_REDIS_URL) is started once per run with the environment of that moment: give it the
# fake LINE server's address now, before any fixture starts it.
WORKER_LINE_PORT = _free_port()
if os.environ.get("TEST_REDIS_URL"):
    os.environ.setdefault("LINE_API_BASE", f"http://127.0.0.1:{WORKER_LINE_PORT}")
    os.environ.setdefault("LINE_CHANNEL_ACCESS_TOKEN", "test-access-token")
    os.environ.setdefault("LINE_CHANNEL_SECRET", CHANNEL_SECRET)


@pytest.fixture
def fake_line(monkeypatch: Any):  # noqa: ANN201
    from tests.community.fake_line import FakeLine

    with FakeLine() as fake:
        monkeypatch.setenv("LINE_API_BASE", fake.base)
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-access-token")
        monkeypatch.setenv("LINE_CHANNEL_SECRET", CHANNEL_SECRET)
        yield fake


@pytest.fixture
def notice_wiring():  # noqa: ANN201
    """The weigh-in notice is in the event table (api/bootstrap.py); this fixture only says the test relies on it."""
    from api.bootstrap import EVENT_HANDLERS
    from pickup.events import TicketCredited
    from pickup.notice_hooks import on_ticket_credited

    assert on_ticket_credited in EVENT_HANDLERS[TicketCredited]
    yield


@pytest.fixture
def line_member(db: Any, tenant: Any, member: Any):  # noqa: ANN201
    """A household whose LINE account is linked and who opted in; the tenant sends by LINE."""
    from recycle.db import utcnow
    from recycle.notify.models import NoticePreference

    tenant.settings = {**(tenant.settings or {}), "notify_channel": "line"}
    db.add(
        NoticePreference(
            tenant_id=tenant.id,
            household_id=member.household_id,
            line_user_id="U" + "a" * 32,
            line_linked_at=utcnow(),
            opt_in=True,
            opt_in_at=utcnow(),
            lang="th",
        )
    )
    db.flush()
    return member
