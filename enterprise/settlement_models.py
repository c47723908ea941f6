"""Settlement runs and the payouts they compute."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recycle.db import Base, check_in, utcnow
from recycle.models import Household, Tenant


class RunStatus(StrEnum):
    COMPUTING = "computing"
    COMPUTED = "computed"
    APPROVED = "approved"
    CANCELLED = "cancelled"
    FAILED = "failed"


class PayoutStatus(StrEnum):
    COMPUTED = "computed"
    CARRIED = "carried"
    READY = "ready"
    PAID = "paid"
    FAILED = "failed"


class PayoutMethod(StrEnum):
    PROMPTPAY = "promptpay"
    CASH = "cash"
    BANK = "bank"


OPEN = ("computing", "computed")


class SettlementRun(Base):
    """One closing of the books up to `period_end` (a local date): prepared by one, approved by another."""

    __tablename__ = "settlement_runs"
    __table_args__ = (
        check_in("status", RunStatus),
        # At most one open run per tenant: a second one while the first computes or waits is refused.
        Index(
            "uq_settlement_runs_open",
            "tenant_id",
            unique=True,
            postgresql_where=text("status in ('computing','computed')"),
            sqlite_where=text("status in ('computing','computed')"),
        ),
        Index("ix_settlement_runs_tenant_period", "tenant_id", "period_end"),
        Index("ix_settlement_runs_computing", "status", "queued_at"),  # the sweeper's scan
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    period_end: Mapped[dt.date] = mapped_column(Date)
    cutoff_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(12), default="computing")
    welfare_bp: Mapped[int] = mapped_column(default=0)  # basis points of the gross
    welfare_fixed_satang: Mapped[int] = mapped_column(default=0)
    savings_bp: Mapped[int] = mapped_column(default=0)
    savings_fixed_satang: Mapped[int] = mapped_column(default=0)
    minimum_payout_satang: Mapped[int] = mapped_column(default=0)
    households: Mapped[int] = mapped_column(default=0)
    gross_satang: Mapped[int] = mapped_column(default=0)
    welfare_satang: Mapped[int] = mapped_column(default=0)
    savings_satang: Mapped[int] = mapped_column(default=0)
    net_satang: Mapped[int] = mapped_column(default=0)
    carried_satang: Mapped[int] = mapped_column(default=0)
    computations: Mapped[int] = mapped_column(default=0)
    prepared_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None]
    computed_at: Mapped[dt.datetime | None]
    queued_at: Mapped[dt.datetime | None]  # last handed to the outbox: "waiting for a worker since ..."
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    payouts: Mapped[list[Payout]] = relationship(back_populates="run", lazy="raise", order_by="Payout.id")
    tenant: Mapped[Tenant] = relationship(lazy="select")  # its time zone, for what staff read


class Payout(Base):
    """What one household gets from one run. Carried payouts move no money: the balance waits for the next run."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("run_id", "household_id", "reissue_no"),
        Index("ix_payouts_tenant_household", "tenant_id", "household_id"),
        Index("ix_payouts_tenant_status", "tenant_id", "status"),
        # Self-referencing: without it, deleting a run's draft payouts scans payouts once per row (finding 4).
        Index("ix_payouts_reissued_from_id", "reissued_from_id"),
        Index("ix_payouts_paid_transaction_id", "paid_transaction_id"),
        check_in("status", PayoutStatus),
        check_in("method", PayoutMethod),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_runs.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    gross_satang: Mapped[int]
    welfare_satang: Mapped[int] = mapped_column(default=0)
    savings_satang: Mapped[int] = mapped_column(default=0)
    net_satang: Mapped[int]
    status: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10), default="cash")
    reissue_no: Mapped[int] = mapped_column(default=0)
    reissued_from_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    paid_at: Mapped[dt.datetime | None]
    paid_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_reference: Mapped[str | None] = mapped_column(String(100))
    paid_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    # Idempotency of the two clicks that move money: the mark-paid that paid it, the reissue that made it.
    paid_client_id: Mapped[str | None] = mapped_column(String(36))
    client_id: Mapped[str | None] = mapped_column(String(36))

    run: Mapped[SettlementRun] = relationship(back_populates="payouts")
    household: Mapped[Household] = relationship(lazy="joined")


class WelfareDisbursement(Base):
    """Money paid out of the welfare fund (e.g. funeral assistance), with the reason, to an eligible member."""

    __tablename__ = "welfare_disbursements"
    __table_args__ = (
        Index("ix_welfare_disbursements_tenant", "tenant_id", "created_at"),
        Index("ix_welfare_disbursements_tenant_household", "tenant_id", "household_id"),
        CheckConstraint("amount_satang > 0", name="amount_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    amount_satang: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(10), default="cash")
    recorded_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ledger_transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
