"""Stock as a ledger of movements, buyers, and sale batches to factories.

Stock on hand is never stored: it is the sum of `stock_movements` (grams, or pieces for piece items),
and its value the sum of their `cost_satang`. Lots are the movements that brought stock in; the
allocations say which lots each outgoing movement drew from, first in first out.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pricing.models import Grade, Material
from recycle.db import Base, check_in, utcnow


class MovementKind(StrEnum):
    HANDOVER = "handover"
    WALK_IN = "walk_in"
    WALK_IN_VOID = "walk_in_void"
    TICKET_COST = "ticket_cost"
    COUNT = "count"
    ADJUSTMENT = "adjustment"
    SALE = "sale"


class BuyerKind(StrEnum):
    FACTORY = "factory"
    RECYCLER = "recycler"
    DISPOSER = "disposer"


class SaleStatus(StrEnum):
    DRAFT = "draft"
    DISPATCHED = "dispatched"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class SalePaymentMethod(StrEnum):
    CASH = "cash"
    BANK = "bank"


MOVEMENT_KINDS = tuple(MovementKind)
BUYER_KINDS = tuple(BuyerKind)
BATCH_STATUSES = tuple(SaleStatus)
OPEN_STATUSES = ("draft", "dispatched")  # their lines hold stock reserved


class StockGradeLock(Base):
    """One row per tenant and grade, used only as a lock (SELECT ... FOR UPDATE) around stock changes."""

    __tablename__ = "stock_grade_locks"
    __table_args__ = (UniqueConstraint("tenant_id", "grade_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))


class StockMovement(Base):
    """Stock in (+) or out (-) of one grade, at cost. Append-only; `key` makes every source count once."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_stock_movements_tenant_grade_sum", "tenant_id", "grade_id", "qty", "cost_satang"),
        Index("ix_stock_movements_tenant_sale_line", "tenant_id", "sale_line_id"),
        check_in("kind", MovementKind),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    kind: Mapped[str] = mapped_column(String(16))
    qty: Mapped[int]  # grams, or pieces for piece items; signed
    cost_satang: Mapped[int]  # value at cost; signed like qty
    key: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(500), default="")
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handovers.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("collection_tickets.id"))
    sale_line_id: Mapped[int | None] = mapped_column(ForeignKey("sale_lines.id"))
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    grade: Mapped[Grade] = relationship(lazy="joined")


class StockAllocation(Base):
    """How much of a lot (an incoming movement) an outgoing movement took."""

    __tablename__ = "stock_allocations"
    __table_args__ = (
        Index("ix_stock_allocations_tenant_lot", "tenant_id", "lot_id"),
        Index("ix_stock_allocations_movement", "movement_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    movement_id: Mapped[int] = mapped_column(ForeignKey("stock_movements.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_movements.id"))
    qty: Mapped[int]


class Buyer(Base):
    """A factory, recycler or licensed disposer of hazardous waste the centre sells (or hands) batches to."""

    __tablename__ = "buyers"
    __table_args__ = (UniqueConstraint("tenant_id", "tax_id"), check_in("kind", BuyerKind))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(13))
    address: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(10))
    license_no: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    materials: Mapped[list[BuyerMaterial]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="BuyerMaterial.id"
    )


class BuyerMaterial(Base):
    __tablename__ = "buyer_materials"
    __table_args__ = (UniqueConstraint("buyer_id", "material_id"), Index("ix_buyer_materials_tenant", "tenant_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))

    material: Mapped[Material] = relationship(lazy="joined")


class SaleBatch(Base):
    """draft (stock reserved) -> dispatched (on the truck) -> settled (factory's weights, money); or cancelled."""

    __tablename__ = "sale_batches"
    __table_args__ = (
        Index("ix_sale_batches_tenant_status", "tenant_id", "status"),
        Index("ix_sale_batches_tenant_settled", "tenant_id", "settled_at"),
        check_in("status", SaleStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    dispatched_on: Mapped[dt.date | None] = mapped_column(Date)
    vehicle: Mapped[str | None] = mapped_column(String(20))
    weighbridge_ticket_no: Mapped[str | None] = mapped_column(String(40))
    manifest_no: Mapped[str | None] = mapped_column(String(40))
    dispatched_at: Mapped[dt.datetime | None]
    dispatched_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    statement_no: Mapped[str | None] = mapped_column(String(60))
    settled_at: Mapped[dt.datetime | None]
    settled_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revenue_satang: Mapped[int] = mapped_column(default=0)
    cost_satang: Mapped[int] = mapped_column(default=0)
    fee_satang: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    buyer: Mapped[Buyer] = relationship(lazy="joined")
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="batch", lazy="selectin", order_by="SaleLine.line_no", cascade="all, delete-orphan"
    )
    payments: Mapped[list[SalePayment]] = relationship(lazy="selectin", order_by="SalePayment.id")

    @property
    def paid_satang(self) -> int:
        return sum(p.amount_satang for p in self.payments)

    @property
    def due_satang(self) -> int:
        return self.revenue_satang - self.paid_satang if self.status == "settled" else 0


class SaleLine(Base):
    """`qty` is reserved while the batch is open and leaves stock at settlement; the rest is the factory's word."""

    __tablename__ = "sale_lines"
    __table_args__ = (
        UniqueConstraint("batch_id", "grade_id"),
        Index("ix_sale_lines_tenant_grade", "tenant_id", "grade_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("sale_batches.id"))
    line_no: Mapped[int]
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    material_code: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(12))
    qty: Mapped[int]
    received_qty: Mapped[int | None]
    deduction_qty: Mapped[int | None]
    deduction_reason: Mapped[str | None] = mapped_column(String(200))
    price_satang: Mapped[int | None]
    deduction_satang: Mapped[int | None]
    revenue_satang: Mapped[int | None]
    cost_satang: Mapped[int | None]
    fee_satang: Mapped[int | None]

    batch: Mapped[SaleBatch] = relationship(back_populates="lines")


class SalePayment(Base):
    """Money received from a buyer against a settled batch (its receivable)."""

    __tablename__ = "sale_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id"),
        Index("ix_sale_payments_tenant_batch", "tenant_id", "batch_id"),
        CheckConstraint("amount_satang > 0", name="amount_positive"),
        check_in("method", SalePaymentMethod),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("sale_batches.id"))
    client_id: Mapped[str] = mapped_column(String(60))
    amount_satang: Mapped[int]
    method: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
