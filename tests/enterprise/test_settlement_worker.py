"""POST /settlements answers 202 and the run is computed by the task: on a real worker on Redis in CI."""

from __future__ import annotations

import datetime as dt
import time
import uuid

from sqlalchemy import delete, select

from enterprise import settlements
from enterprise.tasks import sweep_settlements
from recycle import outbox
from recycle.db import UnitOfWork, utcnow
from recycle.outbox import OutboxMessage
from recycle.principal import Principal
from tests import factories
from tests.ledger_assert import assert_ledger_sound


def test_a_run_is_computed_by_the_worker(committed_app, worker):
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, since=utcnow() - dt.timedelta(days=9))
        staff = factories.UserFactory(tenant=tenant, role="staff")
        homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(3)]
        uow.commit()
    from api.auth import issue_tokens

    with committed_app.app_context():
        h = {"Authorization": "Bearer " + issue_tokens(staff)["access_token"]}
    client = committed_app.test_client()
    for i, hid in enumerate(homes):
        r = client.post(
            "/api/v1/collections",
            headers=h,
            json={
                "client_id": str(uuid.uuid4()),
                "household_id": hid,
                "collected_at": (utcnow() - dt.timedelta(days=2)).isoformat(),
                "lines": [{"material_code": "ALU_CAN", "weight_g": 1000 * (i + 1)}],
            },
        )
        assert r.status_code == 201, r.json
    period_end = (utcnow() - dt.timedelta(days=1)).date().isoformat()
    r = client.post("/api/v1/settlements", headers=h, json={"period_end": period_end})
    assert r.status_code == 202 and r.headers["Location"].endswith(f"/settlements/{r.json['id']}")
    deadline = time.time() + 60
    run = r.json
    while run["status"] == "computing" and time.time() < deadline:
        time.sleep(0.2)
        run = client.get(f"/api/v1/settlements/{run['id']}", headers=h).json
    assert run["status"] == "computed" and run["households"] == 3
    assert run["gross_satang"] == 4000 + 8000 + 12000
    assert run["net_satang"] == run["gross_satang"] - run["welfare_satang"]
    with UnitOfWork(factory) as uow:
        sent = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.task_name == settlements.COMPUTE_TASK)).all()
        assert [m.dispatched_at is not None for m in sent] == [True]
        assert_ledger_sound(uow.session)


def test_two_treasurers_starting_a_run_at_once_get_one_run_and_one_409(committed_app):
    import threading

    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        people = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(2)]
        uow.commit()
    from api.auth import issue_tokens

    with committed_app.app_context():
        headers = [{"Authorization": "Bearer " + issue_tokens(u)["access_token"]} for u in people]
    period_end = (utcnow() - dt.timedelta(days=1)).date().isoformat()
    barrier, responses = threading.Barrier(2), [None, None]

    def start(i: int) -> None:
        client = committed_app.test_client()
        barrier.wait()
        responses[i] = client.post("/api/v1/settlements", headers=headers[i], json={"period_end": period_end})

    threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert sorted(r.status_code for r in responses) == [202, 409]
    accepted = next(r for r in responses if r.status_code == 202).json
    client, deadline = committed_app.test_client(), time.time() + 60
    while accepted["status"] == "computing" and time.time() < deadline:  # let the worker finish before teardown
        time.sleep(0.2)
        accepted = client.get(f"/api/v1/settlements/{accepted['id']}", headers=headers[0]).json
    assert accepted["status"] == "computed"
    with UnitOfWork(factory) as uow:
        assert_ledger_sound(uow.session)


def test_a_run_whose_worker_was_killed_is_computed_after_the_sweeper_runs(committed_app, worker):
    """The worker took the message and died, and the message is gone: beat's sweeper queues the run again."""
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, since=utcnow() - dt.timedelta(days=9))
        staff = factories.UserFactory(tenant=tenant, role="staff")
        hid = factories.HouseholdFactory(tenant=tenant).id
        uow.commit()
    from api.auth import issue_tokens

    with committed_app.app_context():
        h = {"Authorization": "Bearer " + issue_tokens(staff)["access_token"]}
    client = committed_app.test_client()
    r = client.post(
        "/api/v1/collections",
        headers=h,
        json={
            "client_id": str(uuid.uuid4()),
            "household_id": hid,
            "collected_at": (utcnow() - dt.timedelta(days=2)).isoformat(),
            "lines": [{"material_code": "ALU_CAN", "weight_g": 2000}],
        },
    )
    assert r.status_code == 201
    with committed_app.app_context(), UnitOfWork(factory) as uow:
        run = settlements.start(
            uow.session,
            Principal(staff.id, tenant.id, "staff"),
            uow.session.merge(tenant),
            (utcnow() - dt.timedelta(days=1)).date(),
        )
        uow.session.info[outbox._PENDING].clear()  # the message never reaches a live worker...
        uow.session.execute(delete(OutboxMessage).where(OutboxMessage.task_name == settlements.COMPUTE_TASK))
        run.queued_at = utcnow() - settlements.STUCK_AFTER - dt.timedelta(minutes=1)  # ...and that was a while ago
        uow.commit()
        run_id = run.id
    with committed_app.app_context():
        sweep_settlements.apply_async()  # what beat does every minute (on the real worker in CI)
    deadline, got = time.time() + 60, {"status": "computing"}
    while got["status"] == "computing" and time.time() < deadline:
        time.sleep(0.2)
        got = client.get(f"/api/v1/settlements/{run_id}", headers=h).json
    assert got["status"] == "computed" and got["gross_satang"] == 8000
    with UnitOfWork(factory) as uow:
        assert_ledger_sound(uow.session)


def test_approve_racing_a_void_never_pays_a_ticket_voided_first(committed_app, worker):
    """One checker approves while another staff member voids a ticket of the run: either the void lands first
    and approval is refused as stale, or approval lands first and the void carries as a negative balance."""
    import threading

    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, since=utcnow() - dt.timedelta(days=9))
        maker, checker, voider = (factories.UserFactory(tenant=tenant, role="staff") for _ in range(3))
        homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(4)]
        uow.commit()
    client = committed_app.test_client()

    def login(user):
        r = client.post("/api/v1/auth/login", json={"tenant": tenant.slug, "phone": user.phone, "password": factories.PASSWORD})
        return {"Authorization": "Bearer " + r.json["access_token"]}

    hm, hc, hv = login(maker), login(checker), login(voider)
    tickets = {}
    for hid in homes:
        r = client.post(
            "/api/v1/collections",
            headers=hm,
            json={
                "client_id": str(uuid.uuid4()),
                "household_id": hid,
                "collected_at": (utcnow() - dt.timedelta(days=2)).isoformat(),
                "lines": [{"material_code": "ALU_CAN", "weight_g": 5000}],
            },
        )
        tickets[hid] = r.json["id"]
    run = client.post(
        "/api/v1/settlements", headers=hm, json={"period_end": (utcnow() - dt.timedelta(days=1)).date().isoformat()}
    ).json
    deadline = time.time() + 60
    while run["status"] == "computing" and time.time() < deadline:
        time.sleep(0.2)
        run = client.get(f"/api/v1/settlements/{run['id']}", headers=hm).json
    assert run["status"] == "computed" and run["households"] == 4
    barrier, out = threading.Barrier(2), {}

    def approve() -> None:
        c = committed_app.test_client()
        barrier.wait()
        out["approve"] = c.post(f"/api/v1/settlements/{run['id']}/approve", headers=hc)

    def void() -> None:
        c = committed_app.test_client()
        barrier.wait()
        out["void"] = c.post(f"/api/v1/collections/{tickets[homes[0]]}/void", headers=hv, json={"reason": "wrong household"})

    threads = [threading.Thread(target=approve), threading.Thread(target=void)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert out["void"].status_code == 200, out["void"].json
    assert out["approve"].status_code in (200, 409), out["approve"].json
    from recycle import ledger as money

    with UnitOfWork(factory) as uow:
        balance = money.household_balance(uow.session, tenant.id, homes[0])
        if out["approve"].status_code == 200:  # approval first: paid, and the later void carries
            assert balance == -20_000 and out["approve"].json["households"] == 4
        else:  # void first: refused as stale, nothing posted
            assert out["approve"].json["type"].endswith("settlement_stale") and balance == 0
        assert_ledger_sound(uow.session)
