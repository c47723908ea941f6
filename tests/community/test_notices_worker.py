"""The same promise with a real Celery worker on Redis (TEST_REDIS_URL; inline otherwise): a weigh-in reaches
the member's LINE once, sent by the worker from the outbox after the request committed."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from recycle.db import UnitOfWork, utcnow
from recycle.notify.models import Notice, NoticePreference
from tests import factories
from tests.community.conftest import WORKER_LINE_PORT
from tests.community.fake_line import FakeLine
from tests.conftest import TEST_REDIS_URL
from tests.pickup.ticket_helpers import ticket


def _wait(check: Any, seconds: float = 60) -> bool:
    """Poll until the worker has done it (a deadline for a broken run, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_a_weigh_in_reaches_line_once_through_the_worker(
    committed_app: Any, worker: Any, notice_wiring: Any, monkeypatch: Any
) -> None:
    factory = committed_app.extensions["thangngoen.sessions"]
    with FakeLine(WORKER_LINE_PORT if TEST_REDIS_URL else 0) as fake:
        if not TEST_REDIS_URL:
            monkeypatch.setenv("LINE_API_BASE", fake.base)
            monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-access-token")
        with UnitOfWork(factory) as uow:
            factories.bind(uow.session)
            tenant = factories.TenantFactory(settings={"notify_channel": "line"})
            factories.add_material(
                uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, co2e=10064, since=utcnow() - dt.timedelta(days=10)
            )
            collector = factories.UserFactory(tenant=tenant, role="collector")
            member = factories.HouseholdUserFactory(tenant=tenant)
            uow.session.add(
                NoticePreference(
                    tenant_id=tenant.id,
                    household_id=member.household_id,
                    line_user_id="U" + "d" * 32,
                    line_linked_at=utcnow(),
                    opt_in=True,
                    opt_in_at=utcnow(),
                )
            )
            uow.commit()
            collector_id, hid = collector.id, member.household_id
        from api.auth import issue_tokens

        with committed_app.app_context(), UnitOfWork(factory) as uow:
            from recycle.models import User

            headers = {"Authorization": "Bearer " + issue_tokens(uow.session.get(User, collector_id))["access_token"]}
        r = committed_app.test_client().post(
            "/api/v1/collections",
            headers=headers,
            json=ticket(household_id=hid, lines=[{"material_code": "ALU_CAN", "weight_g": 1500}]),
        )
        assert r.status_code == 201, r.json

        def pushed() -> list[str]:
            return [x["body"]["messages"][0]["text"] for x in fake.delivered if "รับขยะแล้ว" in x["body"]["messages"][0]["text"]]

        assert _wait(lambda: len(pushed()) >= 1)

        def status() -> str | None:
            with UnitOfWork(factory) as uow:
                return uow.session.scalar(
                    select(Notice.status).where(Notice.household_id == hid, Notice.kind == "ticket_credited")
                )

        assert _wait(lambda: status() == "sent")
        assert len(pushed()) == 1 and "60.00 บาท" in pushed()[0]


def _line_notice(factory: Any) -> int:
    """A pending LINE notice of a linked, opted-in member, committed (workers see it)."""
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory(settings={"notify_channel": "line"})
        member = factories.HouseholdFactory(tenant=tenant)
        uow.session.add(
            NoticePreference(
                tenant_id=tenant.id,
                household_id=member.id,
                line_user_id="U" + "e" * 32,
                line_linked_at=utcnow(),
                opt_in=True,
                opt_in_at=utcnow(),
            )
        )
        notice = Notice(
            tenant_id=tenant.id,
            household_id=member.id,
            kind="badge",
            dedupe_key="race",
            channel="line",
            title_th="ทดสอบ",
            title_en="test",
            retry_key=str(uuid.uuid4()),
        )
        uow.session.add(notice)
        uow.commit()
        return notice.id


def test_two_workers_on_one_notice_push_it_once(committed_app: Any, monkeypatch: Any) -> None:
    """A redelivered task racing the first: the row lock makes the second skip it ("busy") or, if it comes
    after the first committed, find it sent. Never a second push."""
    import threading

    from recycle.notify import notices

    factory = committed_app.extensions["thangngoen.sessions"]
    with FakeLine() as fake:
        monkeypatch.setenv("LINE_API_BASE", fake.base)
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-access-token")
        notice_id = _line_notice(factory)
        barrier, results, errors = threading.Barrier(2), [], []

        def worker() -> None:
            try:
                barrier.wait()
                with committed_app.app_context(), UnitOfWork(factory) as uow:
                    results.append(notices.deliver(uow.session, notice_id))
                    uow.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and "sent" in results and set(results) <= {"sent", "busy"}
        assert len(fake.requests) == 1 and len(fake.delivered) == 1


@pytest.mark.postgres
def test_the_sweep_does_not_wait_behind_a_notice_another_worker_holds(committed_app: Any, monkeypatch: Any) -> None:
    """A worker whose host died keeps its row lock until TCP gives up: the sweep skips that notice ("busy")
    instead of stalling every notice due after it, and sends it once the lock is gone."""
    from sqlalchemy import text

    from recycle.notify import notices

    factory = committed_app.extensions["thangngoen.sessions"]
    with FakeLine() as fake:
        monkeypatch.setenv("LINE_API_BASE", fake.base)
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-access-token")
        notice_id = _line_notice(factory)
        with UnitOfWork(factory) as stuck:  # the dead worker's open transaction
            stuck.session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
            with committed_app.app_context(), UnitOfWork(factory) as uow:
                uow.session.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting would fail here, not hang
                assert notices.deliver(uow.session, notice_id) == "busy"
                uow.commit()
            assert fake.requests == []
        with committed_app.app_context(), UnitOfWork(factory) as uow:
            assert notices.deliver(uow.session, notice_id) == "sent"
            uow.commit()
        assert len(fake.delivered) == 1


@pytest.mark.postgres
def test_two_workers_at_the_last_message_of_the_budget_push_it_once(committed_app: Any, monkeypatch: Any) -> None:
    """Cap 1, two notices, two workers: while the first is mid-push (the fake LINE holds it), the second
    queues on the tenant's budget instead of also pushing, then finds the budget spent and caps its notice."""
    import threading

    from sqlalchemy import func, text

    from recycle.models import Tenant
    from recycle.notify import notices

    factory = committed_app.extensions["thangngoen.sessions"]
    with FakeLine() as fake:
        monkeypatch.setenv("LINE_API_BASE", fake.base)
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-access-token")
        first = _line_notice(factory)
        with UnitOfWork(factory) as uow:
            notice = uow.session.get(Notice, first)
            tenant = uow.session.get(Tenant, notice.tenant_id)
            tenant.settings = {**tenant.settings, "line_monthly_cap": 1}
            second = Notice(
                tenant_id=notice.tenant_id,
                household_id=notice.household_id,
                kind="badge",
                dedupe_key="race-2",
                channel="line",
                title_th="ทดสอบ 2",
                title_en="test 2",
                retry_key=str(uuid.uuid4()),
            )
            uow.session.add(second)
            uow.commit()
            second_id = second.id
        fake.hold_when = lambda text_: True
        results: dict[int, str] = {}

        def worker(notice_id: int) -> None:
            with committed_app.app_context(), UnitOfWork(factory) as uow:
                results[notice_id] = notices.deliver(uow.session, notice_id)
                uow.commit()

        a = threading.Thread(target=worker, args=(first,))
        a.start()
        assert fake.holding.wait(30)  # the first worker is mid-push
        b = threading.Thread(target=worker, args=(second_id,))
        b.start()

        def queued() -> bool:
            with UnitOfWork(factory) as uow:
                waiting = select(func.count()).select_from(text("pg_locks")).where(text("locktype = 'advisory' AND NOT granted"))
                return bool(uow.session.scalar(waiting)) or len(fake.requests) > 1

        assert _wait(queued, 30)
        fake.release.set()
        a.join(30)
        b.join(30)
        assert results == {first: "sent", second_id: "capped"}
        assert len(fake.delivered) == 1
