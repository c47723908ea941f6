"""A weigh-in's LINE push survives its worker being killed mid-send (issue 17).

A real Celery worker of the test's own (a process group on a queue of its own, so the session's worker is
untouched) pushes the receipt; the fake LINE server delivers it and holds its answer, so the worker is provably
mid-send with its transaction open; the test SIGKILLs the worker, starts a new one and does what beat does
every minute (`recycle.send_due_notices`). The notice is pushed again with the same X-Line-Retry-Key, LINE
answers 409 ("already accepted") and the member has one message. The killed task itself, handed out again by
the broker once its visibility timeout (300 s) has passed, finds the notice sent and pushes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from recycle.db import UnitOfWork, utcnow
from recycle.notify.models import Notice, NoticePreference
from recycle.notify.tasks import SEND_DUE_NOTICES, SEND_NOTICE
from tests import factories
from tests.community.fake_line import FakeLine, pushed_text
from tests.conftest import CARD_SECRET_KEY, SECRET, TEST_REDIS_URL, make_app, settings_for_tests, truncate_all
from tests.pickup.ticket_helpers import ticket

pytestmark = [pytest.mark.postgres, pytest.mark.worker]

QUEUE = "thangngoen-killed-worker-test"  # the session's worker consumes "thangngoen": it never sees these tasks
ROOT = Path(__file__).resolve().parents[2]
RECEIPT = "รับขยะแล้ว"


def _wait(check: Any, seconds: float = 60) -> bool:
    """Poll until the worker has done it (a deadline for a broken run, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


class Worker:
    """The production worker (tests/community/own_worker.py) in a process group of its own, on QUEUE, pushing
    to `line_base`."""

    def __init__(self, name: str, database_url: str, line_base: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": TEST_REDIS_URL,
            "CELERY_RESULT_BACKEND": TEST_REDIS_URL,
            "SECRET_KEY": SECRET,
            "CARD_SECRET_KEY": CARD_SECRET_KEY,
            "LINE_API_BASE": line_base,
            "LINE_CHANNEL_ACCESS_TOKEN": "test-access-token",
            "THANGNGOEN_TEST_QUEUE": QUEUE,
        }
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.community.own_worker:celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            QUEUE,
        ]
        cmd += ["-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle"]
        self.log: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.log.append(line)
            if "ready." in line:
                self.ready.set()

    def wait_ready(self) -> None:
        assert _wait(lambda: self.ready.is_set() or self.proc.poll() is not None), "".join(self.log)
        assert self.proc.poll() is None, "the worker did not start:\n" + "".join(self.log)

    def ran(self, task_id: str) -> bool:
        return any(f"[{task_id}] succeeded" in line for line in self.log)

    def kill(self) -> None:
        """What the OOM killer or a pulled plug does: no warm shutdown, no ack, no rollback sent."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(20)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def _unacked(r: redis.Redis) -> dict[bytes, dict]:
    """This queue's tasks a worker took and never acknowledged (kombu's `unacked` hash), by delivery tag."""
    out = {}
    for tag, raw in r.hgetall("unacked").items():
        message, _exchange, routing_key = json.loads(raw)
        if routing_key == QUEUE:
            out[tag] = message
    return out


def _forget_queue() -> None:
    """Leave nothing of this test's queue in Redis (an earlier run may have been interrupted)."""
    r = redis.Redis.from_url(TEST_REDIS_URL)
    for tag in _unacked(r):
        r.hdel("unacked", tag)
        r.zrem("unacked_index", tag)
    for key in r.scan_iter(QUEUE + "*"):
        r.delete(key)


def _redeliver(tags: list[bytes]) -> None:
    """What the broker does once the visibility timeout has passed: a task a dead worker took goes back on the
    queue (kombu's own restore), without waiting the 300 s."""
    from kombu import Connection

    with Connection(TEST_REDIS_URL) as conn:
        for tag in tags:
            conn.default_channel.qos.restore_by_tag(tag)


@pytest.fixture
def own_app(engine: Any, database_url: str) -> Any:
    """The API on the real database, enqueueing on QUEUE; what it committed is wiped after."""
    _forget_queue()
    settings = settings_for_tests(database_url=database_url, broker_url=TEST_REDIS_URL, result_backend=TEST_REDIS_URL)
    app = make_app(None, SETTINGS=settings, ENGINE=engine)
    app.extensions["celery"].conf.task_default_queue = QUEUE
    yield app
    _forget_queue()
    truncate_all(engine)


def _member_on_line(app: Any) -> tuple[int, dict[str, str]]:
    """A tenant that sends by LINE, cans priced, a collector; a household linked to LINE and opted in."""
    from api.auth import issue_tokens

    factory = app.extensions["thangngoen.sessions"]
    with app.app_context(), UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory(settings={"notify_channel": "line"})
        since = utcnow() - dt.timedelta(days=10)
        factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, co2e=10064, since=since)
        collector = factories.UserFactory(tenant=tenant, role="collector")
        member = factories.HouseholdUserFactory(tenant=tenant)
        uow.session.add(
            NoticePreference(
                tenant_id=tenant.id,
                household_id=member.household_id,
                line_user_id="U" + "k" * 32,
                line_linked_at=utcnow(),
                opt_in=True,
                opt_in_at=utcnow(),
            )
        )
        uow.commit()
        return member.household_id, {"Authorization": "Bearer " + issue_tokens(collector)["access_token"]}


def _notices(app: Any, hid: int) -> list[Notice]:
    with UnitOfWork(app.extensions["thangngoen.sessions"]) as uow:
        found = list(uow.session.scalars(select(Notice).where(Notice.household_id == hid).order_by(Notice.id)))
        uow.session.expunge_all()
        return found


def _receipt(app: Any, hid: int) -> Notice:
    return next(n for n in _notices(app, hid) if n.kind == "ticket_credited")


def test_a_worker_killed_mid_push_is_replaced_and_the_member_gets_one_message(own_app: Any, database_url: str) -> None:
    with FakeLine() as fake:
        fake.hold_when = lambda text: RECEIPT in text
        first = Worker("killed", database_url, fake.base)
        second = None
        try:
            hid, headers = _member_on_line(own_app)
            first.wait_ready()
            r = own_app.test_client().post(
                "/api/v1/collections",
                headers=headers,
                json=ticket(household_id=hid, lines=[{"material_code": "ALU_CAN", "weight_g": 1500}]),
            )
            assert r.status_code == 201, r.json
            points = r.json["points"]

            assert fake.holding.wait(60), "".join(first.log)  # LINE has delivered the push; the worker awaits the answer
            assert _receipt(own_app, hid).status == "pending"  # its transaction is open: nothing of it is committed
            first.kill()
            fake.release.set()
            killed = _unacked(redis.Redis.from_url(TEST_REDIS_URL))  # what it had taken: the receipt's send
            assert [m["headers"]["task"] for m in killed.values()] == [SEND_NOTICE]

            second = Worker("restarted", database_url, fake.base)
            second.wait_ready()
            own_app.extensions["celery"].send_task(SEND_DUE_NOTICES, queue=QUEUE, ignore_result=True)  # beat's minute
            assert _wait(lambda: _receipt(own_app, hid).status == "sent"), "".join(second.log)

            # five minutes on, the broker hands the killed task itself out again: it finds the notice sent
            _redeliver(list(killed))
            task_id = next(iter(killed.values()))["headers"]["id"]
            assert _wait(lambda: second.ran(task_id)), "".join(second.log)
            everything_sent = lambda: all(n.status == "sent" for n in _notices(own_app, hid))  # noqa: E731
            assert _wait(everything_sent), [(n.kind, n.status, n.last_error) for n in _notices(own_app, hid)]
        finally:
            first.stop()
            if second is not None:
                second.stop()

    receipts = [pushed_text(p) for p in fake.delivered if RECEIPT in pushed_text(p)]
    assert len(receipts) == 1  # what the member's phone shows: one message...
    assert "60.00 บาท" in receipts[0] and f"{points} แต้ม" in receipts[0]  # ...with the amount and the points
    notice = _receipt(own_app, hid)
    on_the_wire = [p for p in fake.requests if p["retry_key"] == notice.retry_key]
    assert len(on_the_wire) == 2 and on_the_wire[0]["body"] == on_the_wire[1]["body"]  # one key, pushed twice
    assert notice.status == "sent" and notice.channel == "line" and notice.attempts == 1 and notice.last_error is None
    told = _notices(own_app, hid)  # the receipt and the first weigh-in's badge
    assert [n.status for n in told if n.status in ("failed", "capped")] == []  # nothing parked
    assert len(fake.delivered) == len(told)  # and no other notice reached the phone twice
