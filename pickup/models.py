"""Pickup requests, rounds and their stops, weigh-in tickets and their lines, disputes, handovers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recycle.db import Base, check_in, utcnow
from recycle.models import Household


class PickupStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    COLLECTED = "collected"
    MISSED = "missed"
    CANCELLED = "cancelled"


class RoundStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class TicketStatus(StrEnum):
    ACTIVE = "active"
    PENDING_APPROVAL = "pending_approval"
    VOIDED = "voided"


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


PICKUP_STATUSES = tuple(PickupStatus)
# The only moves a pickup can make; anything else is refused with 409.
PICKUP_TRANSITIONS = {
    "requested": {"scheduled", "cancelled", "collected"},
    "scheduled": {"collected", "missed", "cancelled", "requested"},
    "missed": {"scheduled", "cancelled", "requested", "collected"},  # the collector came back later
    "collected": set(),
    "cancelled": set(),
}


class PickupRequest(Base):
    """A household asking for a pickup at home (from the app, or staff for a member who phoned)."""

    __tablename__ = "pickup_requests"
    __table_args__ = (
        Index("ix_pickup_requests_tenant_status_date", "tenant_id", "status", "requested_date"),
        Index("ix_pickup_requests_tenant_household", "tenant_id", "household_id"),
        UniqueConstraint("tenant_id", "client_id"),
        check_in("status", PickupStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    client_id: Mapped[str | None] = mapped_column(String(36))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_date: Mapped[dt.date] = mapped_column(Date)
    window_start: Mapped[dt.time | None] = mapped_column(Time)
    window_end: Mapped[dt.time | None] = mapped_column(Time)
    lat: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    lng: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    estimated: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="requested")
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    status_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    household: Mapped[Household] = relationship(lazy="joined")
    events: Mapped[list[PickupEvent]] = relationship(order_by="PickupEvent.id", lazy="select", cascade="all, delete-orphan")

    def record(self, status: str, at: dt.datetime | None = None, by_user_id: int | None = None) -> None:
        """Append to the timeline (the one place a status change is written down)."""
        self.events.append(PickupEvent(tenant_id=self.tenant_id, status=status, at=at or utcnow(), by_user_id=by_user_id))


class Round(Base):
    """A collector's pickup round on one local day; its stops in visiting order."""

    __tablename__ = "rounds"
    __table_args__ = (
        Index("ix_rounds_tenant_date_collector", "tenant_id", "round_date", "collector_user_id"),
        check_in("status", RoundStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    collector_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    round_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    stops: Mapped[list[RoundStop]] = relationship(
        back_populates="round", order_by="RoundStop.position", lazy="selectin", cascade="all, delete-orphan"
    )


class RoundStop(Base):
    __tablename__ = "round_stops"
    __table_args__ = (UniqueConstraint("tenant_id", "pickup_id"), Index("ix_round_stops_round", "round_id", "position"))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    pickup_id: Mapped[int] = mapped_column(ForeignKey("pickup_requests.id"))
    position: Mapped[int]

    round: Mapped[Round] = relationship(back_populates="stops")
    pickup: Mapped[PickupRequest] = relationship(lazy="joined")


class CollectionTicket(Base):
    """A weigh-in: what one household handed over, priced at the price in force when it was weighed."""

    __tablename__ = "collection_tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id"),
        Index("ix_tickets_tenant_household_collected", "tenant_id", "household_id", "collected_at"),
        Index("ix_tickets_tenant_round", "tenant_id", "round_id"),
        Index("ix_tickets_tenant_collected", "tenant_id", "collected_at"),  # period reports
        check_in("status", TicketStatus),
        CheckConstraint("total_satang >= 0", name="total_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    payload_hash: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_requests.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    channel: Mapped[str] = mapped_column(String(10), default="round")  # round, walk_in
    entered_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[dt.datetime]
    priced_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    weight_g: Mapped[int] = mapped_column(default=0)
    total_satang: Mapped[int] = mapped_column(default=0)
    co2e_g: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="active")
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    voided_at: Mapped[dt.datetime | None]
    voided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(String(500))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("collection_tickets.id"), unique=True)
    # Why a pending ticket waits for staff (codes of pickup/ticket_limits.REASONS, comma-separated).
    hold_reasons: Mapped[str | None] = mapped_column(String(200))

    household: Mapped[Household] = relationship(lazy="joined")
    lines: Mapped[list[TicketLine]] = relationship(
        back_populates="ticket", order_by="TicketLine.line_no", lazy="selectin", cascade="all, delete-orphan"
    )


class TicketLine(Base):
    __tablename__ = "ticket_lines"
    __table_args__ = (
        UniqueConstraint("ticket_id", "grade_id"),
        Index("ix_ticket_lines_tenant_grade", "tenant_id", "grade_id"),
        CheckConstraint("amount_satang >= 0", name="amount_non_negative"),
        CheckConstraint("weight_g IS NULL OR weight_g > 0", name="weight_positive"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("collection_tickets.id"))
    line_no: Mapped[int]
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    price_id: Mapped[int] = mapped_column(ForeignKey("prices.id"))
    material_code: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[int | None]
    quantity: Mapped[int | None]
    unit_price_satang: Mapped[int]
    amount_satang: Mapped[int]
    co2e_g: Mapped[int]

    ticket: Mapped[CollectionTicket] = relationship(back_populates="lines")


class Dispute(Base):
    """A member saying a ticket is wrong ("my scale said 4.2 kg"); staff resolve it on the record."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_tenant_status", "tenant_id", "status"), check_in("status", DisputeStatus))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("collection_tickets.id"))
    raised_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    claim: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    corrected_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("collection_tickets.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Handover(Base):
    """The round's load re-weighed at the centre: the record stock is built from."""

    __tablename__ = "handovers"
    __table_args__ = (UniqueConstraint("tenant_id", "round_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    received_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    tolerance_pct: Mapped[int]
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # A flagged handover stays on the supervisor's list until someone looks into it and says what they found.
    flag_resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    flag_resolved_at: Mapped[dt.datetime | None]
    flag_note: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[HandoverLine]] = relationship(
        back_populates="handover", lazy="selectin", cascade="all, delete-orphan", order_by="HandoverLine.id"
    )


class HandoverLine(Base):
    __tablename__ = "handover_lines"
    __table_args__ = (UniqueConstraint("handover_id", "grade_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"))
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    material_code: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(8))
    expected: Mapped[int]  # grams (or pieces) on the round's tickets
    measured: Mapped[int]  # grams (or pieces) on the centre's scale
    difference: Mapped[int]
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Wet (organic) waste goes to composting/biogas: counted, never stocked, never "short".
    wet: Mapped[bool] = mapped_column(Boolean, default=False)

    handover: Mapped[Handover] = relationship(back_populates="lines")


class HandoverCorrection(Base):
    """A typing mistake at the handover put right: who, when, why, each line before and after (stock follows)."""

    __tablename__ = "handover_corrections"
    __table_args__ = (Index("ix_handover_corrections_handover", "handover_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"))
    corrected_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(500))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PickupEvent(Base):
    """One status change of a pickup and when it happened (collected: the ticket's collected_at, not the sync)."""

    __tablename__ = "pickup_events"
    __table_args__ = (Index("ix_pickup_events_pickup", "pickup_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    pickup_id: Mapped[int] = mapped_column(ForeignKey("pickup_requests.id"))
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InboxStatus(StrEnum):
    PARKED = "parked"
    ACCEPTED = "accepted"
    DISCARDED = "discarded"


class SyncInboxItem(Base):
    """A synced item the server refused (a revoked card, a cancelled pickup): kept for staff to fix or discard."""

    __tablename__ = "sync_inbox"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id"),
        Index("ix_sync_inbox_tenant_status", "tenant_id", "status"),
        check_in("status", InboxStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    collector_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    client_id: Mapped[str] = mapped_column(String(64))
    item: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="parked")
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_note: Mapped[str] = mapped_column(String(500), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("collection_tickets.id"))
