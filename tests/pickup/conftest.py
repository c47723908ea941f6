"""Pickup fixtures: the tenant's local today, a village, asking through the API, pickups made directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pickup.models import PickupRequest
from pickup.pickups import local_today
from tests import factories


@pytest.fixture
def today(tenant: Any) -> dt.date:
    return local_today(tenant)


@pytest.fixture
def village(tenant: Any):  # noqa: ANN201
    return factories.VillageFactory(tenant_id=tenant.id)


@pytest.fixture
def ask(client: Any, auth: Any, today: dt.date):  # noqa: ANN201
    """ask(user, **fields) -> response of POST /pickups (default: tomorrow, no extras)."""

    def post(user: Any, **fields: Any):  # noqa: ANN202
        body = {"requested_date": (today + dt.timedelta(days=1)).isoformat()}
        body.update(fields)
        return client.post("/api/v1/pickups", headers=auth(user), json=body)

    return post


@pytest.fixture
def make_pickup(db: Any, tenant: Any, today: dt.date):  # noqa: ANN201
    """make_pickup(household, day=today, **columns) -> a requested PickupRequest written straight to the table."""

    def make(household: Any, day: dt.date | None = None, **over: Any) -> PickupRequest:
        values: dict[str, Any] = dict(
            tenant_id=tenant.id,
            household_id=household.id,
            requested_date=day or today,
            lat=household.lat,
            lng=household.lng,
            estimated=[],
            note="",
            status="requested",
        )
        values.update(over)
        pickup = PickupRequest(**values)
        db.add(pickup)
        db.flush()
        return pickup

    return make


@pytest.fixture
def other_collector(tenant: Any):  # noqa: ANN201
    return factories.UserFactory(tenant=tenant, role="collector")
