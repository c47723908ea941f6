"""A community with a small village (3 households: suppressed) and a big one (6), each having weighed in."""
from __future__ import annotations

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
    homes = {"small": [factories.HouseholdFactory(tenant=tenant, village=small) for _ in range(3)],
             "big": [factories.HouseholdFactory(tenant=tenant, village=big) for _ in range(6)]}
    for hs in homes.values():
        for h in hs:
            r = client.post("/api/v1/collections", headers=auth(staff), json=ticket(household_id=h.id))
            assert r.status_code == 201, r.json
    return {"small": small, "big": big, "homes": homes}
