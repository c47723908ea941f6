"""Tenants, villages, accounts, households, revoked tokens and the audit log."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recycle.db import Base, check_in, utcnow
from recycle.errors import InvalidInput


class Role(StrEnum):
    HOUSEHOLD = "household"
    COLLECTOR = "collector"
    STAFF = "staff"
    ADMIN = "admin"


ROLES = tuple(Role)
STAFF_ROLES = ("staff", "admin")

# Defaults a new tenant starts from; each key can be overridden per tenant in `Tenant.settings`.
DEFAULT_TENANT_SETTINGS: dict[str, Any] = {
    "max_line_weight_g": 500_000,  # plausibility cap of one weighed line (500 kg)
    "max_line_quantity": 5_000,  # pieces
    "backdate_days_without_approval": 3,  # older tickets need staff
    "future_tolerance_minutes": 10,  # phone clocks drift; beyond this "collected_at" in the future is refused
    "handover_tolerance_pct": 3,  # re-weigh difference that is flagged
    "consent_notice_version": "2026-01",
    # Money only from what was really collected: above these a ticket waits for staff approval.
    "approval_line_weight_g": 100_000,  # 100 kg in one weighed line
    "approval_ticket_satang": 200_000,  # 2,000 THB on one ticket
    "approval_collector_day_satang": 1_000_000,  # 10,000 THB credited by one collector in one local day
    # A correction that moves more than this needs a second person.
    "approval_correction_satang": 100_000,  # 1,000 THB
}


class Tenant(Base):
    """A municipality or community enterprise running its own waste bank."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Bangkok")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    centre_lat: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    centre_lng: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    next_member_no: Mapped[int] = mapped_column(default=1)
    price_version: Mapped[int] = mapped_column(default=0, server_default="0")  # moved by every price write (pricing.book)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def setting(self, key: str) -> Any:
        return (self.settings or {}).get(key, DEFAULT_TENANT_SETTINGS.get(key))

    # The tenant's business calendar, written once: rounds, settlement periods, reports and leaderboards
    # all count days in the tenant's zone (at 06:30 in Bangkok it is already tomorrow in UTC terms).
    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone or "Asia/Bangkok")

    def local_date(self, instant: dt.datetime | None = None) -> dt.date:
        """The business day of an instant (now when none is given)."""
        return (instant or utcnow()).astimezone(self.zone).date()

    def local_time(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone)

    def day_bounds(self, day: dt.date, field: str = "date") -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of a local day as UTC instants; an absurd day is the caller's bad input."""
        if not dt.date(2000, 1, 1) <= day <= dt.date(2999, 12, 31):
            raise InvalidInput.field(field, "must be between 2000-01-01 and 2999-12-31")
        start = dt.datetime.combine(day, dt.time.min, self.zone)
        return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)

    def period_bounds(self, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """[start of `start`, end of `end`) for local dates, both days included (the one date convention of reports)."""
        if end < start:
            raise InvalidInput.field("to", "is before from")
        if (end - start).days > 3660:
            raise InvalidInput.field("to", "a period of at most ten years")
        return self.day_bounds(start, "from")[0], self.day_bounds(end, "to")[1]


class Village(Base):
    """A หมู่บ้าน or ชุมชน: where households live and how rounds and leaderboards are grouped."""

    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("tenant_id", "name_th"), Index("ix_villages_tenant_moo", "tenant_id", "moo"))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    moo: Mapped[int | None]
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Household(Base):
    """A member of the waste bank; it may have no login at all (staff-registered, QR card only)."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("tenant_id", "member_no"),
        Index("ix_households_tenant_village", "tenant_id", "village_id"),
        # The few who left, which the boards subtract from counts kept on the game's own rows (recycle.game.boards).
        Index(
            "ix_households_tenant_gone",
            "tenant_id",
            "village_id",
            postgresql_where=text("active IS false"),
            sqlite_where=text("active IS 0"),
        ),
        CheckConstraint("qr_version >= 1", name="qr_version_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    member_no: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(10))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    address: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    lng: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    promptpay_kind: Mapped[str | None] = mapped_column(String(12))
    promptpay_id: Mapped[str | None] = mapped_column(String(13))
    consent_at: Mapped[dt.datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(20))
    # How consent was given (PDPA s.19): "app" (self sign-up) or "paper_signed" (a form kept at the centre),
    # and which staff account recorded a paper form.
    consent_method: Mapped[str | None] = mapped_column(String(20))
    consent_recorded_by_user_id: Mapped[int | None]  # no FK: households and users already point at each other
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optional use the member can withdraw (PUT /me/consents): game notices (badges, level-ups).
    notifications_opt_in: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    qr_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Membership ended (active false); the retention rule anonymises the person some days after.
    closed_at: Mapped[dt.datetime | None]
    # Personal data replaced by placeholders (PDPA s.33); the ledger keeps its amounts.
    erased_at: Mapped[dt.datetime | None]

    village: Mapped[Village] = relationship(lazy="joined")

    @property
    def member_code(self) -> str:
        return f"{self.member_no:05d}"


class User(Base):
    """A login. Households log in as themselves; collectors, staff and admins work for the tenant."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "phone"),
        check_in("role", Role),
        Index("ix_users_tenant_role", "tenant_id", "role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    phone: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to cut off every token the user holds (lost phone, role change); tokens carry it as `gen`.
    token_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Separation of duties: who made this account, and since when its role and password were last set by
    # someone else (creation, role change, re-enable, admin reset). See docs/DESIGN.md "Second person".
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    standing_since: Mapped[dt.datetime | None]
    # Admin reset: a short-lived one-time code (hashed), refused after a few wrong tries.
    reset_code_hash: Mapped[str | None] = mapped_column(String(255))
    reset_code_expires_at: Mapped[dt.datetime | None]
    reset_attempts: Mapped[int] = mapped_column(default=0)

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    household: Mapped[Household | None] = relationship(foreign_keys=[household_id])


class RevokedToken(Base):
    """Logout and lost-phone cut-off: a token whose jti is here is refused until it would expire anyway."""

    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what sensitive thing, when, from which request. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


APPROVAL_KINDS = ("welfare.disburse", "payout.reissue_cash", "ticket.correct")
APPROVAL_STATUSES = ("pending", "approved", "rejected")


class ApprovalRequest(Base):
    """A money action one person asked for and a second, eligible person must approve before it happens.

    `client_id` makes the request idempotent (a double click answers with the first request).
    """

    __tablename__ = "approval_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id"),
        Index("ix_approval_requests_tenant_status", "tenant_id", "status"),
        CheckConstraint("status in ('pending','approved','rejected')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str] = mapped_column(String(500), default="")
    requested_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(500))
    result_type: Mapped[str | None] = mapped_column(String(30))
    result_id: Mapped[int | None]
