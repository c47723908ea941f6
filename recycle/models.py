"""Tenants, villages, accounts, households, revoked tokens and the audit log."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recycle.db import Base, utcnow

ROLES = ("household", "collector", "staff", "admin")
STAFF_ROLES = ("staff", "admin")

# Defaults a new tenant starts from; each key can be overridden per tenant in `Tenant.settings`.
DEFAULT_TENANT_SETTINGS: dict[str, Any] = {
    "max_line_weight_g": 500_000,        # plausibility cap of one weighed line (500 kg)
    "max_line_quantity": 5_000,          # pieces
    "backdate_days_without_approval": 3,  # older tickets need staff
    "future_tolerance_minutes": 10,       # phone clocks drift; beyond this "collected_at" in the future is refused
    "handover_tolerance_pct": 3,          # re-weigh difference that is flagged
    "consent_notice_version": "2026-01",
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
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    qr_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    village: Mapped[Village] = relationship(lazy="joined")

    @property
    def member_code(self) -> str:
        return f"{self.member_no:05d}"


class User(Base):
    """A login. Households log in as themselves; collectors, staff and admins work for the tenant."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "phone"),
        CheckConstraint("role in ('household','collector','staff','admin')", name="role_known"),
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

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    household: Mapped[Household | None] = relationship()


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
