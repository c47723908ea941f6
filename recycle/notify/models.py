"""The notices outbox, each member's notice preferences (PDPA opt-in, language, digest) and LINE link nonces."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recycle.db import Base, utcnow


class NoticeStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the send task (or its retry)
    SENT = "sent"  # the channel accepted it
    FAILED = "failed"  # parked after the last retry: staff see it and may retry
    DIGEST = "digest"  # held for the member's daily digest
    DIGESTED = "digested"  # folded into a digest notice (which is sent instead)
    CAPPED = "capped"  # the tenant's monthly message budget was spent: in the record, not pushed


NOTICE_STATUSES = tuple(s.value for s in NoticeStatus)
NOTICE_KINDS = (
    "ticket_credited",
    "payout_ready",
    "payout_paid",
    "pickup_scheduled",
    "pickup_reminder",
    "badge",
    "level_up",
    "challenge_completed",
    "digest",
)


class Notice(Base):
    """What a household is told. Written in the same transaction as its event; sent later by a task.

    `dedupe_key` makes recording idempotent (one notice per event); `retry_key` is sent to LINE as
    X-Line-Retry-Key so a push retried after a crash is delivered once."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_notices_tenant_household_created", "tenant_id", "household_id", "created_at"),
        Index("ix_notices_status_next", "status", "next_attempt_at"),
        CheckConstraint("status in ('pending','sent','failed','digest','digested','capped')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    kind: Mapped[str] = mapped_column(String(24))
    dedupe_key: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(12), default="log")
    lang: Mapped[str] = mapped_column(String(2), default="th")
    title_th: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    body_th: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=NoticeStatus.PENDING.value)
    retry_key: Mapped[str] = mapped_column(String(36))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class NoticePreference(Base):
    """A member's say (PDPA): LINE pushes only with opt-in; language; one daily digest instead of each notice."""

    __tablename__ = "notice_preferences"
    __table_args__ = (UniqueConstraint("tenant_id", "household_id"), UniqueConstraint("tenant_id", "line_user_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    line_linked_at: Mapped[dt.datetime | None]
    opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_in_at: Mapped[dt.datetime | None]
    lang: Mapped[str] = mapped_column(String(2), default="th")
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LineLinkNonce(Base):
    """LINE account linking: our nonce for a member's link token; single-use, expires in minutes."""

    __tablename__ = "line_link_nonces"
    __table_args__ = (Index("ix_line_link_nonces_tenant_household", "tenant_id", "household_id"),)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
