"""Issue 10, findings 5 and 6: a settlement run cannot get stuck. The computation goes through the outbox,
so a broker outage delays it and never fails the request; a run a worker lost is re-queued by the sweeper."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from sqlalchemy import select

from enterprise import settlements
from enterprise.settlement_models import SettlementRun
from recycle import outbox
from recycle.db import utcnow
from recycle.outbox import OutboxMessage
from recycle.principal import Principal
from tests import factories
from tests.conftest import make_app, settings_for_tests
from tests.enterprise.settle_helpers import credit, yesterday
from tests.ledger_assert import assert_ledger_sound

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
ECHOED: list[dict] = []


@shared_task(name="tests.outbox_echo")
def outbox_echo(**kwargs) -> None:  # noqa: ANN003
    ECHOED.append(kwargs)


def _messages(db, task_name=settlements.COMPUTE_TASK):
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.task_name == task_name).order_by(OutboxMessage.id)))


def test_broker_down_start_answers_202_and_the_relay_sends_it_once_the_broker_is_back(
    app, db, session_factory, auth, tenant, catalog, collector, staff
):
    hid = factories.HouseholdFactory(tenant=tenant).id
    credit(app.test_client(), auth(collector), hid, 1000)
    down = make_app(session_factory, SETTINGS=settings_for_tests(broker_url=DEAD_BROKER))
    assert down.extensions["celery"].conf.task_always_eager is False
    client = down.test_client()
    r = client.post("/api/v1/settlements", headers=auth(staff), json={"period_end": yesterday()})
    assert r.status_code == 202, r.json
    run = r.json
    assert run["status"] == "computing" and run["waiting_since"] is not None
    assert "waiting for a worker since" in run["status_detail"] and "กำลังรอ" in run["status_detail"]
    [msg] = _messages(db)
    assert msg.dispatched_at is None and msg.attempts == 1 and msg.last_error
    assert msg.args == {"tenant_id": tenant.id, "run_id": run["id"]} and msg.tenant_id == tenant.id
    # a second start is refused while this one waits: staff are told which run is open, not a 500
    again = client.post("/api/v1/settlements", headers=auth(staff), json={"period_end": yesterday()})
    assert again.status_code == 409 and again.json["type"].endswith("settlement_open")
    # the broker is still down: the relay keeps the message and counts the attempt
    assert outbox.relay(db, now=utcnow() + dt.timedelta(minutes=1), celery_app=down.extensions["celery"]) == 0
    assert _messages(db)[0].attempts == 2 and _messages(db)[0].dispatched_at is None
    # the broker is back (an inline Celery here): the relay sends it and the run is computed
    assert outbox.relay(db, now=utcnow() + dt.timedelta(minutes=1), celery_app=app.extensions["celery"]) == 1
    assert _messages(db)[0].dispatched_at is not None
    done = app.test_client().get(f"/api/v1/settlements/{run['id']}", headers=auth(staff)).json
    assert done["status"] == "computed" and done["gross_satang"] == 4000 and done["waiting_since"] is None
    assert outbox.relay(db, now=utcnow() + dt.timedelta(minutes=2), celery_app=app.extensions["celery"]) == 0
    assert_ledger_sound(db)


def test_broker_down_recompute_also_waits_in_the_outbox(app, db, session_factory, auth, tenant, catalog, collector, staff):
    credit(app.test_client(), auth(collector), factories.HouseholdFactory(tenant=tenant).id, 1000)
    run = app.test_client().post("/api/v1/settlements", headers=auth(staff), json={"period_end": yesterday()}).json
    assert run["status"] == "computed"
    down = make_app(session_factory, SETTINGS=settings_for_tests(broker_url=DEAD_BROKER))
    r = down.test_client().post(f"/api/v1/settlements/{run['id']}/recompute", headers=auth(staff))
    assert r.status_code == 202 and r.json["status"] == "computing"
    pending = [m for m in _messages(db) if m.dispatched_at is None]
    assert len(pending) == 1 and pending[0].args["run_id"] == run["id"]


def test_a_run_left_computing_is_queued_again_by_the_sweeper(app, db, tenant, catalog, collector, staff, auth):
    credit(app.test_client(), auth(collector), factories.HouseholdFactory(tenant=tenant).id, 1000)
    run = settlements.start(db, Principal(staff.id, tenant.id, "staff"), tenant, dt.date.fromisoformat(yesterday()))
    db.flush()  # never committed: as if the worker that took the message was killed and the message lost
    assert settlements.sweep(db) == []  # not stuck yet
    later = utcnow() + settlements.STUCK_AFTER + dt.timedelta(seconds=1)
    assert settlements.sweep(db, now=later) == [run.id]
    assert run.queued_at == later and len(_messages(db)) == 2
    assert settlements.sweep(db, now=later + dt.timedelta(seconds=30)) == []  # not again until it is stuck again
    outbox.relay(db, now=later + dt.timedelta(minutes=1), celery_app=app.extensions["celery"])
    db.expire_all()
    assert db.get(SettlementRun, run.id).status == "computed"  # both messages ran; computing twice is harmless
    assert settlements.sweep(db, now=later + dt.timedelta(hours=1)) == []


def test_the_outbox_sends_after_commit_and_forgets_a_rollback(app, db):
    ECHOED.clear()
    with app.app_context():
        outbox.enqueue(db, "tests.outbox_echo", n=1)
        db.rollback()
        assert ECHOED == [] and _messages(db, "tests.outbox_echo") == []
        with db.begin_nested():  # a savepoint released is not the commit
            outbox.enqueue(db, "tests.outbox_echo", n=2)
        assert ECHOED == []
        db.commit()
        assert ECHOED == [{"n": 2}]
        [msg] = _messages(db, "tests.outbox_echo")
        assert msg.dispatched_at is not None and msg.attempts == 1 and msg.tenant_id is None
        outbox.enqueue(db, "tests.outbox_echo", n=3)  # not sent yet: never purged
        assert outbox.purge(db, now=utcnow() + dt.timedelta(days=8)) == 1
        assert [m.args for m in _messages(db, "tests.outbox_echo")] == [{"n": 3}]
