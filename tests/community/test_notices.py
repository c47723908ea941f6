"""Notices through LINE from the outbox: one push per weigh-in, also after a crash mid-send; LINE down or
throttling: retried with backoff, then parked for staff; the monthly budget; the daily digest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from recycle.notify import notices
from recycle.notify.line import LineChannel
from recycle.notify.models import Notice, NoticePreference
from recycle.notify.tasks import send_digests, send_due_notices
from tests.pickup.ticket_helpers import ticket


def _weigh(client: Any, auth: Any, collector: Any, member: Any) -> dict:
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id))
    assert r.status_code == 201, r.json
    return r.json


def _texts(fake: Any) -> list[str]:
    return [r["body"]["messages"][0]["text"] for r in fake.delivered]


def test_a_weigh_in_pushes_exactly_one_line_message(
    client: Any, auth: Any, catalog: Any, collector: Any, line_member: Any, fake_line: Any, notice_wiring: Any, db: Any
) -> None:
    receipt = _weigh(client, auth, collector, line_member)
    # 2.5 kg PET A at 9 baht + 1.234 kg cans at 40 baht = 22.50 + 49.36
    tickets = [t for t in _texts(fake_line) if "รับขยะแล้ว" in t]
    assert len(tickets) == 1 and "71.86 บาท" in tickets[0] and f"{receipt['points']} แต้ม" in tickets[0]
    push = next(r for r in fake_line.delivered if "รับขยะแล้ว" in r["body"]["messages"][0]["text"])
    assert push["body"]["to"] == "U" + "a" * 32 and push["auth"] == "Bearer test-access-token" and push["retry_key"]
    # the household's record says the same, and that it went out
    mine = client.get("/api/v1/me/notices", headers=auth(line_member)).json["items"]
    told = next(n for n in mine if n["kind"] == "ticket_credited")
    assert told["status"] == "sent" and told["channel"] == "line" and told["data"]["amount_satang"] == 7186
    # a redelivered task, or the sweep, sends nothing more
    send_due_notices.delay().get()
    assert len([t for t in _texts(fake_line) if "รับขยะแล้ว" in t]) == 1


def test_a_worker_killed_after_the_push_pushes_again_with_the_same_key_and_the_member_gets_one(
    client: Any,
    auth: Any,
    catalog: Any,
    collector: Any,
    line_member: Any,
    fake_line: Any,
    notice_wiring: Any,
    db: Any,
    monkeypatch: Any,
) -> None:
    real_send = LineChannel.send

    def push_then_die(self: Any, notice: Any, to: Any) -> None:
        real_send(self, notice, to)
        raise RuntimeError("worker killed between the push and the commit")

    monkeypatch.setattr(LineChannel, "send", push_then_die)
    _weigh(client, auth, collector, line_member)  # inline (no broker) the task runs after the request commits
    notice = db.scalar(select(Notice).where(Notice.kind == "ticket_credited"))
    db.refresh(notice)
    assert notice.status == "pending" and notice.attempts == 0  # the task's transaction died with it
    assert len([t for t in _texts(fake_line) if "รับขยะแล้ว" in t]) == 1  # but the push had gone out
    monkeypatch.setattr(LineChannel, "send", real_send)
    assert send_due_notices.delay().get() >= 1  # the redelivery
    db.refresh(notice)
    assert notice.status == "sent"
    keys = [r["retry_key"] for r in fake_line.requests if r["retry_key"] == notice.retry_key]
    assert len(keys) == 2  # the same message, the same key, twice on the wire...
    assert len([t for t in _texts(fake_line) if "รับขยะแล้ว" in t]) == 1  # ...and once on the member's phone


@pytest.mark.parametrize("answer", [429, 500])
def test_line_down_is_retried_with_backoff_then_parked_for_staff(
    client: Any,
    auth: Any,
    catalog: Any,
    collector: Any,
    line_member: Any,
    fake_line: Any,
    notice_wiring: Any,
    staff: Any,
    db: Any,
    answer: int,
) -> None:
    fake_line.answer = answer
    _weigh(client, auth, collector, line_member)
    notice = db.scalar(select(Notice).where(Notice.kind == "ticket_credited"))
    db.refresh(notice)
    assert notice.status == "pending" and notice.attempts == 1 and str(answer) in notice.last_error
    waits = []
    while notice.status == "pending":
        before = notice.next_attempt_at
        assert notices.deliver(db, notice.id, now=before - notices.backoff(1)) == "pending"  # not due yet: no push
        tries = len(fake_line.requests)
        notices.deliver(db, notice.id, now=before)
        assert len(fake_line.requests) == tries + 1
        if notice.status == "pending":
            waits.append((notice.next_attempt_at - before).total_seconds())
    assert waits == [60, 120, 240, 480]  # doubling after the first 30 s
    assert notice.status == "failed" and notice.attempts == notices.MAX_ATTEMPTS and fake_line.delivered == []
    db.flush()
    parked = client.get("/api/v1/notices?status=failed", headers=auth(staff)).json
    assert [n["id"] for n in parked["items"]] == [notice.id] and parked["items"][0]["last_error"]
    assert client.get("/api/v1/notices?status=failed", headers=auth(line_member)).status_code == 403
    # LINE is back: staff retry, and the member gets it once
    fake_line.answer = 200
    r = client.post(f"/api/v1/notices/{notice.id}/retry", headers=auth(staff))
    assert r.status_code == 200
    db.refresh(notice)
    assert notice.status == "sent" and len(fake_line.delivered) == 1


def test_the_monthly_budget_caps_pushes_but_not_the_record(
    client: Any,
    auth: Any,
    catalog: Any,
    collector: Any,
    line_member: Any,
    fake_line: Any,
    notice_wiring: Any,
    tenant: Any,
    db: Any,
) -> None:
    tenant.settings = {**tenant.settings, "line_monthly_cap": 1}
    db.flush()
    _weigh(client, auth, collector, line_member)
    _weigh(client, auth, collector, line_member)
    assert len(fake_line.delivered) == 1
    mine = client.get("/api/v1/me/notices", headers=auth(line_member)).json["items"]
    assert len([n for n in mine if n["kind"] == "ticket_credited"]) == 2  # both weigh-ins are in the record
    assert sorted(n["status"] for n in mine) == ["capped"] * (len(mine) - 1) + ["sent"]


def test_a_daily_digest_sends_one_message_for_the_day(
    client: Any, auth: Any, catalog: Any, collector: Any, line_member: Any, fake_line: Any, notice_wiring: Any, db: Any
) -> None:
    pref = db.scalar(select(NoticePreference).where(NoticePreference.household_id == line_member.household_id))
    pref.daily_digest = True
    db.flush()
    _weigh(client, auth, collector, line_member)
    _weigh(client, auth, collector, line_member)
    assert fake_line.delivered == []
    assert send_digests.delay().get() == 1
    assert len(fake_line.delivered) == 1
    text = _texts(fake_line)[0]
    assert text.startswith("สรุปวันนี้") and text.count("รับขยะแล้ว") == 2


def test_without_opt_in_the_notice_stays_in_the_record_and_goes_to_the_log(
    client: Any, auth: Any, catalog: Any, collector: Any, member: Any, fake_line: Any, notice_wiring: Any, tenant: Any, db: Any
) -> None:
    tenant.settings = {**tenant.settings, "notify_channel": "line"}
    db.flush()
    _weigh(client, auth, collector, member)
    assert fake_line.requests == []
    mine = client.get("/api/v1/me/notices", headers=auth(member)).json["items"]
    assert {(n["kind"], n["channel"], n["status"]) for n in mine} >= {("ticket_credited", "log", "sent")}


def test_the_member_reads_it_in_their_language(
    client: Any, auth: Any, catalog: Any, collector: Any, line_member: Any, fake_line: Any, notice_wiring: Any, db: Any
) -> None:
    r = client.put(
        "/api/v1/me/notice-preferences", headers=auth(line_member), json={"opt_in": True, "lang": "en", "daily_digest": False}
    )
    assert r.status_code == 200
    _weigh(client, auth, collector, line_member)
    text = next(t for t in _texts(fake_line) if "Weigh-in" in t)
    assert text.startswith("Weigh-in credited: 71.86 baht") and "ALU_CAN 1.234 kg" in text
    r = client.put(
        "/api/v1/me/notice-preferences", headers=auth(line_member), json={"opt_in": False, "lang": "en", "daily_digest": False}
    )
    before = len(fake_line.requests)
    _weigh(client, auth, collector, line_member)
    assert len(fake_line.requests) == before  # consent withdrawn: nothing more on LINE, still in the record
    assert client.get("/api/v1/me/notices?per_page=200", headers=auth(line_member)).json["items"][0]["channel"] == "log"


def test_a_broker_outage_delays_the_notice_and_the_sweep_sends_it(
    client: Any,
    auth: Any,
    catalog: Any,
    collector: Any,
    line_member: Any,
    fake_line: Any,
    notice_wiring: Any,
    db: Any,
    monkeypatch: Any,
) -> None:
    from recycle.notify import tasks as notice_tasks

    def broker_down(*a: Any, **kw: Any) -> None:
        raise ConnectionError("redis is down")

    real_send = notice_tasks.send_notice.apply_async
    monkeypatch.setattr(notice_tasks.send_notice, "apply_async", broker_down)
    _weigh(client, auth, collector, line_member)  # the weigh-in itself succeeds
    assert fake_line.requests == []
    notice = db.scalar(select(Notice).where(Notice.kind == "ticket_credited"))
    db.refresh(notice)
    assert notice.status == "pending"
    monkeypatch.setattr(notice_tasks.send_notice, "apply_async", real_send)
    send_due_notices.delay().get()  # the broker is back: beat's sweep finds it
    db.refresh(notice)
    assert notice.status == "sent" and len([t for t in _texts(fake_line) if "รับขยะแล้ว" in t]) == 1
