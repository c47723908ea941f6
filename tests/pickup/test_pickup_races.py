"""A pickup's status changed by two people at once, on PostgreSQL: the row lock decides, once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from pickup.models import CollectionTicket, PickupRequest, Round, RoundStop
from pickup.pickups import local_today
from recycle.db import UnitOfWork, utcnow
from recycle.models import AuditEntry
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.ledger_checks import assert_tickets_sound
from tests.pickup.ticket_helpers import ticket

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="row-lock races need PostgreSQL (TEST_DATABASE_URL)"),
]


def _world(app: Any, n: int) -> dict[str, Any]:
    """n households, each with a login and a pickup scheduled today on one collector's round."""
    from api.auth import issue_tokens

    factory = app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        db = uow.session
        factories.bind(db)
        tenant = factories.TenantFactory()
        factories.add_material(db, tenant, "PET_CLEAR", since=utcnow() - dt.timedelta(days=2))
        collector = factories.UserFactory(tenant=tenant, role="collector")
        staff = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(4)]
        members = [factories.HouseholdUserFactory(tenant=tenant) for _ in range(n)]
        day = local_today(tenant)
        rnd = Round(tenant_id=tenant.id, collector_user_id=collector.id, round_date=day, status="planned")
        db.add(rnd)
        db.flush()
        pickups = []
        for i, m in enumerate(members, 1):
            p = PickupRequest(
                tenant_id=tenant.id,
                household_id=m.household_id,
                requested_date=day,
                status="scheduled",
                round_id=rnd.id,
                estimated=[],
                note="",
            )
            db.add(p)
            db.flush()
            db.add(RoundStop(tenant_id=tenant.id, round_id=rnd.id, pickup_id=p.id, position=i))
            pickups.append(p)
        uow.commit()
        world = {
            "factory": factory,
            "tenant_id": tenant.id,
            "round_id": rnd.id,
            "pickups": [(p.id, p.household_id) for p in pickups],
        }
    with app.app_context():
        bearer = lambda u: {"Authorization": "Bearer " + issue_tokens(u)["access_token"]}  # noqa: E731
        world.update(collector=bearer(collector), staff=[bearer(s) for s in staff], members=[bearer(m) for m in members])
    return world


def _at_once(app: Any, calls: list[Callable[[Any], Any]]) -> list[Any]:
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        out[i] = calls[i](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    return out


def test_four_staff_cancelling_one_pickup_one_200_three_409(committed_app):
    world = _world(committed_app, 4)
    for pid, _ in world["pickups"]:
        rs = _at_once(
            committed_app,
            [
                lambda c, pid=pid, h=h: c.post(f"/api/v1/pickups/{pid}/cancel", headers=h, json={"reason": "rain"})
                for h in world["staff"]
            ],
        )
        assert sorted(r.status_code for r in rs) == [200, 409, 409, 409], [(r.status_code, r.json) for r in rs]
    with UnitOfWork(world["factory"]) as uow:
        db = uow.session
        cancels = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "pickup.cancel"))
        assert cancels == 4
        assert db.scalar(select(func.count()).select_from(RoundStop).where(RoundStop.round_id == world["round_id"])) == 0


def test_a_household_cancelling_while_the_collector_weighs_in_one_of_them_wins(committed_app):
    """Cancelled first: the weigh-in citing that pickup is refused. Weighed first: the cancel is a 409.
    Never a collected ticket on a cancelled pickup, never a cancelled pickup with its ticket."""
    world = _world(committed_app, 8)
    outcomes = []
    for (pid, hid), member in zip(world["pickups"], world["members"]):
        body = ticket(household_id=hid, pickup_id=pid, lines=[{"material_code": "PET_CLEAR", "weight_g": 2000}])
        cancel, weigh = _at_once(
            committed_app,
            [
                lambda c, pid=pid, h=member: c.post(f"/api/v1/pickups/{pid}/cancel", headers=h, json={"reason": "away"}),
                lambda c, b=body: c.post("/api/v1/collections", headers=world["collector"], json=b),
            ],
        )
        pair = (cancel.status_code, weigh.status_code)
        assert pair in ((200, 422), (409, 201)), (cancel.json, weigh.json)
        outcomes.append(pair)
    with UnitOfWork(world["factory"]) as uow:
        db = uow.session
        for (pid, _), pair in zip(world["pickups"], outcomes):
            status = db.get(PickupRequest, pid).status
            tickets = db.scalar(select(func.count()).select_from(CollectionTicket).where(CollectionTicket.pickup_id == pid))
            assert (status, tickets) == (("cancelled", 0) if pair[0] == 200 else ("collected", 1)), (pid, pair)
        assert_tickets_sound(db, world["tenant_id"])
