"""Notices to members through one Channel interface, from an outbox.

`record()` writes a Notice row in the caller's transaction (the event's), so a rolled-back event tells
nobody and a committed one is never lost: if the broker is down when the send task is enqueued, the
beat sweep (`due()`) finds the row later. `deliver()` sends one notice under a row lock and marks it sent
in the same transaction; the channel gets the notice's stored retry key, so a worker killed between the
push and the commit pushes again with the same key and LINE delivers it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from recycle import locking, outbox
from recycle.db import insert_ignoring_conflicts, utcnow
from recycle.models import Household, Tenant
from recycle.notify.models import Notice, NoticePreference, NoticeStatus

log = logging.getLogger("thangngoen.notify")
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min, then parked
DEFAULT_MONTHLY_CAP = 200  # LINE's free plan: 200 pushes a month (tenant setting `line_monthly_cap`)
CAP_QUEUE_MARGIN = 20  # this close to the cap, a tenant's pushes go one at a time (`_over_budget`)


class TransientSendError(Exception):
    """The channel is down or throttling (LINE 429/5xx, a timeout): try again later."""


class PermanentSendError(Exception):
    """The channel refused this message for good (LINE 400/403: blocked, bad user id): park it now."""


class Channel(Protocol):
    name: str

    def send(self, notice: Notice, to: str | None) -> None:
        """Deliver or raise TransientSendError / PermanentSendError; `notice.retry_key` identifies the attempt."""


class LogChannel:
    """The embedded default: a log line (nothing leaves the machine)."""

    name = "log"

    def send(self, notice: Notice, to: str | None) -> None:
        log.info(
            "notify tenant=%s household=%s %s: %s / %s",
            notice.tenant_id,
            notice.household_id,
            notice.kind,
            notice.title_th,
            notice.title_en,
        )


CHANNELS: dict[str, Channel] = {"log": LogChannel()}


def register_channel(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


@dataclass
class Message:
    kind: str
    title_th: str
    title_en: str
    body_th: str = ""
    body_en: str = ""
    data: dict[str, Any] | None = None


def preference(session: Session, tenant_id: int, household_id: int) -> NoticePreference | None:
    return session.scalar(
        select(NoticePreference).where(NoticePreference.tenant_id == tenant_id, NoticePreference.household_id == household_id)
    )


def _channel_for(tenant: Tenant, pref: NoticePreference | None) -> str:
    """LINE only for a member who linked an account and opted in, in a tenant that uses LINE; another registered
    channel if the tenant names one; else the log."""
    wanted = str((tenant.settings or {}).get("notify_channel", "log"))
    if wanted == "line":
        return "line" if pref is not None and pref.opt_in and pref.line_user_id else "log"
    return wanted if wanted in CHANNELS else "log"


_INSERT_ONCE: dict[str, Any] = {}


def _insert_once(session: Session) -> Any:
    """`INSERT … ON CONFLICT (tenant_id, dedupe_key) DO NOTHING RETURNING *`, built once per dialect (every
    weigh-in writes a notice; building the statement with its values cost more than running it)."""
    name = session.get_bind().dialect.name
    if name not in _INSERT_ONCE:
        _INSERT_ONCE[name] = insert_ignoring_conflicts(session, Notice, ["tenant_id", "dedupe_key"]).returning(Notice)
    return _INSERT_ONCE[name]


def record(session: Session, tenant_id: int, household_id: int, dedupe_key: str, msg: Message) -> Notice | None:
    """Write the notice in the caller's transaction (once per dedupe_key); sent after commit.

    On the log channel (the embedded default, nothing leaves the machine) it is written as sent and logged at
    once: no task, no retry, and a weigh-in pays no statements for a send it does not need."""
    tenant = session.get(Tenant, tenant_id)
    wanted = str((tenant.settings or {}).get("notify_channel", "log"))
    pref = preference(session, tenant_id, household_id) if wanted != "log" else None
    household = session.get(Household, household_id)
    # PDPA: with notifications consent withdrawn (PUT /me/consents) the notice stays in the member's record
    # but is pushed nowhere beyond the log.
    channel = _channel_for(tenant, pref) if household is None or household.notifications_opt_in else "log"
    now = utcnow()
    if channel == "log":
        status = NoticeStatus.SENT
    else:
        status = NoticeStatus.DIGEST if channel == "line" and pref and pref.daily_digest else NoticeStatus.PENDING
    values = dict(
        tenant_id=tenant_id,
        household_id=household_id,
        kind=msg.kind,
        dedupe_key=dedupe_key[:120],
        channel=channel,
        lang=pref.lang if pref else "th",
        title_th=msg.title_th[:300],
        title_en=msg.title_en[:300],
        body_th=msg.body_th,
        body_en=msg.body_en,
        data=msg.data or {},
        status=status.value,
        retry_key=str(uuid.uuid4()),
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        sent_at=now if status is NoticeStatus.SENT else None,
    )
    # the unique dedupe key decides: an event told twice (a retried task, a racing transaction) is one notice
    notice = session.scalars(_insert_once(session), values).first()
    if notice is None:
        return session.scalar(select(Notice).where(Notice.tenant_id == tenant_id, Notice.dedupe_key == dedupe_key[:120]))
    if status is NoticeStatus.SENT:
        CHANNELS["log"].send(notice, None)
    elif status is NoticeStatus.PENDING:
        send_after_commit(session, notice.id)
    return notice


def record_many(session: Session, tenant_id: int, items: list[tuple[int, str, Message]]) -> int:
    """`record` for a whole run (a settlement's payouts): three statements, then one sweep after commit."""
    if not items:
        return 0
    tenant = session.get(Tenant, tenant_id)
    keys = [k for _, k, _ in items]
    seen = set()
    for i in range(0, len(keys), 500):
        seen |= set(
            session.scalars(
                select(Notice.dedupe_key).where(Notice.tenant_id == tenant_id, Notice.dedupe_key.in_(keys[i : i + 500]))
            )
        )
    hids = sorted({h for h, _, _ in items})
    prefs: dict[int, NoticePreference] = {}
    silent: set[int] = set()  # notifications consent withdrawn: recorded, pushed nowhere beyond the log
    for i in range(0, len(hids), 500):
        if str((tenant.settings or {}).get("notify_channel", "log")) != "log":
            prefs.update(
                {
                    p.household_id: p
                    for p in session.scalars(
                        select(NoticePreference).where(
                            NoticePreference.tenant_id == tenant_id, NoticePreference.household_id.in_(hids[i : i + 500])
                        )
                    )
                }
            )
            silent |= set(
                session.scalars(
                    select(Household.id).where(Household.id.in_(hids[i : i + 500]), Household.notifications_opt_in.is_(False))
                )
            )
    now, rows, pending = utcnow(), [], False
    for hid, key, msg in items:
        if key in seen:
            continue
        seen.add(key)
        pref = prefs.get(hid)
        channel = "log" if hid in silent else _channel_for(tenant, pref)
        if channel == "log":
            status = NoticeStatus.SENT
            log.info("notify tenant=%s household=%s %s: %s / %s", tenant_id, hid, msg.kind, msg.title_th, msg.title_en)
        else:
            status = NoticeStatus.DIGEST if channel == "line" and pref and pref.daily_digest else NoticeStatus.PENDING
        pending = pending or status is NoticeStatus.PENDING
        rows.append(
            {
                "tenant_id": tenant_id,
                "household_id": hid,
                "kind": msg.kind,
                "dedupe_key": key[:120],
                "channel": channel,
                "lang": pref.lang if pref else "th",
                "title_th": msg.title_th[:300],
                "title_en": msg.title_en[:300],
                "body_th": msg.body_th,
                "body_en": msg.body_en,
                "data": msg.data or {},
                "status": status.value,
                "retry_key": str(uuid.uuid4()),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "sent_at": now if status is NoticeStatus.SENT else None,
            }
        )
    if rows:
        session.execute(insert(Notice), rows)
        if pending:
            sweep_after_commit(session)
    return len(rows)


def sweep_after_commit(session: Session) -> None:
    send_after_commit(session, 0)  # 0 = "send everything due"


def send_after_commit(session: Session, notice_id: int) -> None:
    """Send the notice (0: everything due) once this transaction commits; the notices table is its outbox."""
    from recycle.notify.tasks import SEND_DUE_NOTICES, SEND_NOTICE

    if notice_id:
        outbox.after_commit(session, SEND_NOTICE, notice_id=notice_id)
    else:
        outbox.after_commit(session, SEND_DUE_NOTICES)


def monthly_pushes(session: Session, tenant: Tenant, now: dt.datetime) -> int:
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    local = now.astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    return int(
        session.scalar(
            select(func.count(Notice.id)).where(
                Notice.tenant_id == tenant.id,
                Notice.channel == "line",
                Notice.status == NoticeStatus.SENT.value,
                Notice.sent_at >= start,
            )
        )
        or 0
    )


def _over_budget(session: Session, tenant: Tenant, now: dt.datetime) -> bool:
    """Whether this month's LINE budget is spent. Near its end two workers could each see one message
    left and both push it, so there the count is taken again with the tenant's pushes queued (the lock is
    held across the push, until the pushing worker commits); far from it, pushes run side by side."""
    cap = int(tenant.setting("line_monthly_cap") or DEFAULT_MONTHLY_CAP)
    sent = monthly_pushes(session, tenant, now)
    if sent >= cap:
        return True
    if sent >= cap - CAP_QUEUE_MARGIN:
        locking.serialise(session, "line-monthly-cap", tenant.id)
        return monthly_pushes(session, tenant, now) >= cap
    return False


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def deliver(session: Session, notice_id: int, now: dt.datetime | None = None, channels: dict[str, Channel] | None = None) -> str:
    """Send one due notice; returns its status afterwards. Commit is the caller's (the task's) job.

    The row lock is held across the push, so two workers never push the same notice at once. A second
    worker does not wait for it (SKIP LOCKED): the holder may be a worker whose host died, whose lock
    PostgreSQL keeps until TCP gives up, and the minute sweep must not stall behind it; it answers "busy"
    and the next sweep looks again. A crash between the push and the commit leaves the notice pending, to
    push again with the same retry key."""
    now = now or utcnow()
    notice = session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update(skip_locked=True))
    if notice is None:
        return "missing" if session.scalar(select(Notice.id).where(Notice.id == notice_id)) is None else "busy"
    if notice.status != NoticeStatus.PENDING.value:
        return notice.status
    if notice.next_attempt_at > now + dt.timedelta(seconds=5):
        return notice.status  # a retry is not due yet (an early redelivery)
    tenant = session.get(Tenant, notice.tenant_id)
    pref = preference(session, notice.tenant_id, notice.household_id)
    if notice.channel == "line":
        if pref is None or not pref.opt_in or not pref.line_user_id:  # withdrew consent since: keep it in the record
            notice.channel = "log"
        elif _over_budget(session, tenant, now):
            notice.status, notice.last_error = NoticeStatus.CAPPED.value, "monthly LINE message budget reached"
            return notice.status
    channel = (channels or CHANNELS).get(notice.channel, CHANNELS["log"])
    notice.attempts += 1
    try:
        channel.send(notice, pref.line_user_id if pref and notice.channel == "line" else None)
    except TransientSendError as exc:
        notice.last_error = str(exc)[:500]
        if notice.attempts >= MAX_ATTEMPTS:
            notice.status = NoticeStatus.FAILED.value
        else:
            notice.next_attempt_at = now + backoff(notice.attempts)
        return notice.status
    except PermanentSendError as exc:
        notice.status, notice.last_error = NoticeStatus.FAILED.value, str(exc)[:500]
        return notice.status
    notice.status, notice.sent_at, notice.last_error = NoticeStatus.SENT.value, now, None
    return notice.status


def due(session: Session, now: dt.datetime, limit: int = 500) -> list[int]:
    """Pending notices whose time has come: never enqueued (broker down at commit) or waiting to retry."""
    return list(
        session.scalars(
            select(Notice.id)
            .where(Notice.status == NoticeStatus.PENDING.value, Notice.next_attempt_at <= now)
            .order_by(Notice.next_attempt_at, Notice.id)
            .limit(limit)
        )
    )


def retry(session: Session, tenant_id: int, notice_id: int) -> Notice | None:
    """Staff send a parked notice again (the same retry key: LINE still delivers it at most once)."""
    notice = session.scalar(select(Notice).where(Notice.id == notice_id, Notice.tenant_id == tenant_id).with_for_update())
    if notice is None:
        return None
    if notice.status in (NoticeStatus.FAILED.value, NoticeStatus.CAPPED.value):
        notice.status, notice.attempts, notice.next_attempt_at = NoticeStatus.PENDING.value, 0, utcnow()
        send_after_commit(session, notice.id)
    return notice


def digest(session: Session, tenant_id: int, household_id: int, day_key: str) -> Notice | None:
    """Fold a member's held notices into one message (one push a day instead of many)."""
    held = list(
        session.scalars(
            select(Notice)
            .where(Notice.tenant_id == tenant_id, Notice.household_id == household_id, Notice.status == NoticeStatus.DIGEST.value)
            .order_by(Notice.id)
            .with_for_update()
        )
    )
    if not held:
        return None
    lines_th = "\n".join(f"• {n.title_th}" for n in held)
    lines_en = "\n".join(f"• {n.title_en}" for n in held)
    summary = record(
        session,
        tenant_id,
        household_id,
        f"digest:{household_id}:{day_key}:{held[-1].id}",
        Message(
            "digest",
            f"สรุปวันนี้ {len(held)} รายการ",
            f"Today's summary: {len(held)} notices",
            lines_th,
            lines_en,
            {"notice_ids": [n.id for n in held]},
        ),
    )
    if summary is not None and summary.status == NoticeStatus.DIGEST.value:  # a digest is never itself held
        summary.status = NoticeStatus.PENDING.value
        send_after_commit(session, summary.id)
    for n in held:
        n.status, n.digest_id = NoticeStatus.DIGESTED.value, summary.id if summary else None
    return summary


def households_with_digest(session: Session) -> list[tuple[int, int]]:
    return [
        (t, h)
        for t, h in session.execute(
            select(Notice.tenant_id, Notice.household_id).where(Notice.status == NoticeStatus.DIGEST.value).distinct()
        )
    ]
