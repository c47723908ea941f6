"""Two staff acting on one ticket at the same moment (issue 10, findings 2 and 8), on PostgreSQL.

Real concurrent transactions through the API (threads against `committed_app`). Before the row
locks, approve and void both answered 200 and 17 of 30 tickets ended voided but still credited;
four voids of one ticket all answered 200. Now the status is re-read under the ticket's lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from pickup.models import CollectionTicket
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

URL = "/api/v1/collections/{}/{}"


def _world(app: Any, households: int = 3) -> dict[str, Any]:
    """A tenant priced since 20 days ago, a collector, two staff, a few households; their tokens."""
    from api.auth import issue_tokens

    factory = app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        since = utcnow() - dt.timedelta(days=20)
        factories.add_material(uow.session, tenant, "PET_CLEAR", since=since)
        factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, since=since)
        collector = factories.UserFactory(tenant=tenant, role="collector")
        staff = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(4)]
        homes = [factories.HouseholdFactory(tenant=tenant) for _ in range(households)]
        uow.commit()
        world = {"tenant_id": tenant.id, "hids": [h.id for h in homes], "factory": factory}
    with app.app_context():
        world["collector"] = {"Authorization": "Bearer " + issue_tokens(collector)["access_token"]}
        world["staff"] = [{"Authorization": "Bearer " + issue_tokens(s)["access_token"]} for s in staff]
    return world


def _tickets(app: Any, world: dict[str, Any], n: int, days_ago: int = 0) -> list[int]:
    client, ids = app.test_client(), []
    for i in range(n):
        at = utcnow() - dt.timedelta(days=days_ago, minutes=i)
        body = ticket(
            household_id=world["hids"][i % len(world["hids"])],
            at=at,
            lines=[{"material_code": "PET_CLEAR", "weight_g": 1000 + 10 * i}, {"material_code": "ALU_CAN", "weight_g": 500}],
        )
        r = client.post("/api/v1/collections", headers=world["collector"], json=body)
        assert r.status_code == 201, r.json
        ids.append(r.json["id"])
    return ids


def _at_once(app: Any, calls: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each call(client) in its own thread, released together; their responses in order."""
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        out[i] = calls[i](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    return out


def _type(r: Any) -> str:
    return (r.json or {}).get("type", "").rsplit("/", 1)[-1]


def _check(world: dict[str, Any]) -> dict[str, int]:
    with UnitOfWork(world["factory"]) as uow:
        return assert_tickets_sound(uow.session, world["tenant_id"])


def test_approve_and_void_racing_on_pending_tickets_leave_every_one_voided_and_sound(committed_app):
    """Whichever lands first, the ticket ends voided: void first → approve is a 409 already_voided (never
    credited); approve first → the void that follows reverses the credit. Never voided-but-credited."""
    world = _world(committed_app)
    ids = _tickets(committed_app, world, 24, days_ago=10)
    with UnitOfWork(world["factory"]) as uow:
        assert {t.status for t in uow.session.scalars(select(CollectionTicket))} == {"pending_approval"}
    a, b = world["staff"][:2]
    results = []
    for tid in ids:
        results.append(
            _at_once(
                committed_app,
                [
                    lambda c, tid=tid: c.post(URL.format(tid, "approve"), headers=a),
                    lambda c, tid=tid: c.post(URL.format(tid, "void"), headers=b, json={"reason": "weighed twice"}),
                ],
            )
        )
    answers = [(approve.status_code, _type(approve), void.status_code) for approve, void in results]
    counts = _check(world)  # the money first: voided-but-credited was the bug
    assert counts == {"voided": len(ids)}, (counts, answers)
    for approve, void in results:
        assert void.status_code == 200 and void.json["status"] == "voided", void.json  # a void always stands
        if approve.status_code != 200:
            assert (approve.status_code, _type(approve)) == (409, "already_voided"), approve.json


def test_four_voids_of_one_ticket_one_200_three_409_and_one_void_in_the_audit(committed_app):
    world = _world(committed_app)
    ids = _tickets(committed_app, world, 6)
    for tid in ids:
        rs = _at_once(
            committed_app,
            [
                lambda c, tid=tid, h=h: c.post(URL.format(tid, "void"), headers=h, json={"reason": "double entry"})
                for h in world["staff"]
            ],
        )
        codes = sorted(r.status_code for r in rs)
        assert codes == [200, 409, 409, 409], [(r.status_code, r.json) for r in rs]
        assert {_type(r) for r in rs if r.status_code == 409} == {"already_voided"}
    with UnitOfWork(world["factory"]) as uow:
        voids = uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ticket.void"))
        assert voids == len(ids)
    assert _check(world) == {"voided": len(ids)}


def test_void_and_correct_racing_one_wins_the_other_409(committed_app):
    """Correcting means voiding and reissuing: racing a void (or another correction), one of them wins."""
    world = _world(committed_app)
    ids = _tickets(committed_app, world, 8)
    a, b = world["staff"][:2]
    fixed = {"reason": "PET was 3 kg", "lines": [{"material_code": "PET_CLEAR", "weight_g": 3000}]}
    winners = []
    for i, tid in enumerate(ids):
        other = (
            (lambda c, tid=tid: c.post(URL.format(tid, "void"), headers=b, json={"reason": "not ours"}))
            if i % 2
            else (lambda c, tid=tid: c.post(URL.format(tid, "correct"), headers=b, json=fixed))
        )
        rs = _at_once(committed_app, [lambda c, tid=tid: c.post(URL.format(tid, "correct"), headers=a, json=fixed), other])
        ok = [r for r in rs if r.status_code in (200, 201)]
        refused = [r for r in rs if r.status_code == 409]
        assert len(ok) == 1 and len(refused) == 1, [(r.status_code, r.json) for r in rs]
        assert _type(refused[0]) == "already_voided", refused[0].json
        winners.append(ok[0].status_code)
    counts = _check(world)
    corrections = winners.count(201)
    assert counts == {"voided": len(ids), "active": corrections}, (counts, winners)


def test_disputes_opened_or_resolved_twice_at_once_count_once(committed_app):
    """A member's two taps open one dispute; two staff resolving it at once: one decides, the other 409."""
    from api.auth import issue_tokens

    world = _world(committed_app, households=1)
    [tid] = _tickets(committed_app, world, 1)
    with UnitOfWork(world["factory"]) as uow:
        factories.bind(uow.session)
        from recycle.models import Household, Tenant

        member = factories.HouseholdUserFactory(
            tenant=uow.session.get(Tenant, world["tenant_id"]), household=uow.session.get(Household, world["hids"][0])
        )
        uow.commit()
    with committed_app.app_context():
        mine = {"Authorization": "Bearer " + issue_tokens(member)["access_token"]}
    opened = _at_once(
        committed_app, [lambda c: c.post(URL.format(tid, "disputes"), headers=mine, json={"claim": "my scale said 3 kg"})] * 2
    )
    assert sorted(r.status_code for r in opened) == [201, 409], [(r.status_code, r.json) for r in opened]
    did = next(r.json["id"] for r in opened if r.status_code == 201)
    fixed = {
        "outcome": "upheld",
        "resolution": "re-weighed",
        "corrected_lines": [{"material_code": "PET_CLEAR", "weight_g": 3000}],
    }
    resolved = _at_once(
        committed_app,
        [lambda c, h=h: c.post(f"/api/v1/disputes/{did}/resolve", headers=h, json=fixed) for h in world["staff"][:2]],
    )
    assert sorted(r.status_code for r in resolved) == [200, 409], [(r.status_code, r.json) for r in resolved]
    assert _check(world) == {"voided": 1, "active": 1}
