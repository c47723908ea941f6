"""Tables of the game: the points ledger, what the game saw of each weigh-in, badges, levels, challenges, rewards.

Points are not money: they have their own append-only ledger (`points_entries`) and a per-household
balance row that is only ever moved by conditional UPDATEs in the same transaction as an entry, so a
redemption can never overdraw it. Weigh-ins are copied in as plain facts (`game_deposits`) because this
package may not read the pickup tables; leaderboards, badges, challenges and impact are queries on them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recycle.db import Base, check_in, utcnow


class BoardPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class EntryKind(StrEnum):
    DEPOSIT = "deposit"
    VOID = "void"
    CAP = "cap"
    STREAK = "streak"
    CHALLENGE = "challenge"
    REDEEM = "redeem"
    REFUND = "refund"


class DepositStatus(StrEnum):
    ACTIVE = "active"
    VOIDED = "voided"


class RedemptionStatus(StrEnum):
    PENDING = "pending"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


ENTRY_KINDS = tuple(EntryKind)
EARNED_KINDS = ("deposit", "void", "cap", "streak", "challenge")  # what lifetime, levels and leaderboards count
REDEMPTION_STATUSES = tuple(RedemptionStatus)


def household_village(context: DefaultExecutionContext) -> int | None:
    """The household's village, for an insert that did not say it (the game's own inserts do, inline)."""
    hid = context.get_current_parameters()["household_id"]
    return context.connection.scalar(text("SELECT village_id FROM households WHERE id = :hid"), {"hid": hid})


class HouseholdPoints(Base):
    """One row per household: balance (spendable), lifetime (earned, drives the level) and kilos, kept with the entries.

    `village_id` is the household's, copied so a village's board counts and ranks on one index range
    (recycle.game.boards); `boards.household_moved` keeps it when a member moves."""

    __tablename__ = "household_points"
    __table_args__ = (
        UniqueConstraint("tenant_id", "household_id"),
        Index("ix_household_points_tenant_lifetime", "tenant_id", "lifetime"),
        Index("ix_household_points_tenant_weight", "tenant_id", "weight_g"),
        Index("ix_household_points_village_lifetime", "tenant_id", "village_id", "lifetime"),
        Index("ix_household_points_village_weight", "tenant_id", "village_id", "weight_g"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), default=household_village)
    balance: Mapped[int] = mapped_column(default=0)
    lifetime: Mapped[int] = mapped_column(default=0)
    weight_g: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # What badges are checked against, kept by each deposit and void (recycle.game.counters); NULL = not built yet.
    stats: Mapped[dict | None] = mapped_column(JSON)


class PeriodTotal(Base):
    """Points earned and grams deposited per household per local week, month and year, kept with the entries:
    a board for a period reads one row per household instead of summing every entry of the period. The
    household's village is copied here (kept by `boards.household_moved`), so a village's board of a period is
    one index range: its page, my row and its counts never join the whole tenant's totals to households."""

    __tablename__ = "game_period_totals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period", "start", "household_id"),
        Index("ix_game_period_totals_points", "tenant_id", "period", "start", "points"),
        Index("ix_game_period_totals_weight", "tenant_id", "period", "start", "weight_g"),
        Index("ix_game_period_totals_village_points", "tenant_id", "period", "start", "village_id", "points"),
        Index("ix_game_period_totals_village_weight", "tenant_id", "period", "start", "village_id", "weight_g"),
        Index("ix_game_period_totals_household", "tenant_id", "household_id", "period", "start"),
        check_in("period", BoardPeriod),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), default=household_village)
    period: Mapped[str] = mapped_column(String(5))
    start: Mapped[dt.date] = mapped_column(Date)  # the local Monday, first of the month or of the year
    points: Mapped[int] = mapped_column(default=0)
    weight_g: Mapped[int] = mapped_column(default=0)
    # Kept so a weigh-in reconciles its cap and streaks without summing history (recycle.game.deposits):
    deposits: Mapped[int] = mapped_column(default=0, server_default="0")  # active deposits
    raw_points: Mapped[int] = mapped_column(default=0, server_default="0")  # their points before the cap
    capped_points: Mapped[int] = mapped_column(default=0, server_default="0")  # posted deposit, void and cap entries
    streak_points: Mapped[int] = mapped_column(default=0, server_default="0")  # posted streak entries


class PointsEntry(Base):
    """Append-only: a correction is a new entry (`reverses_id` links a void to its deposit); keys make retries harmless."""

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_points_entries_tenant_household", "tenant_id", "household_id", "id"),
        Index("ix_points_entries_tenant_date", "tenant_id", "local_date", "household_id"),
        Index("ix_points_entries_tenant_ref", "tenant_id", "ref_type", "ref_id"),
        CheckConstraint("points <> 0", name="points_nonzero"),
        check_in("kind", EntryKind),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))
    points: Mapped[int]
    local_date: Mapped[dt.date] = mapped_column(Date)  # the tenant-local day the points belong to (periods)
    ref_type: Mapped[str | None] = mapped_column(String(20))  # ticket, challenge, redemption
    ref_id: Mapped[int | None]
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"), unique=True)
    memo: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GameDeposit(Base):
    """What the game saw of one active weigh-in ticket; `status` turns voided when the ticket is."""

    __tablename__ = "game_deposits"
    __table_args__ = (
        UniqueConstraint("tenant_id", "ticket_id"),
        Index("ix_game_deposits_tenant_date", "tenant_id", "local_date", "household_id"),
        Index("ix_game_deposits_tenant_household", "tenant_id", "household_id", "local_date"),
        check_in("status", DepositStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    ticket_id: Mapped[int]  # the pickup ticket (no foreign key: this package knows nothing of pickups)
    occurred_at: Mapped[dt.datetime]
    local_date: Mapped[dt.date] = mapped_column(Date)
    weight_g: Mapped[int] = mapped_column(default=0)
    raw_points: Mapped[int] = mapped_column(default=0)  # by the rules in force when it was weighed, before the cap
    status: Mapped[str] = mapped_column(String(8), default="active")
    voided_at: Mapped[dt.datetime | None]

    lines: Mapped[list[GameDepositLine]] = relationship(
        back_populates="deposit", lazy="selectin", cascade="all, delete-orphan", order_by="GameDepositLine.id"
    )


class GameDepositLine(Base):
    __tablename__ = "game_deposit_lines"
    __table_args__ = (
        Index("ix_game_deposit_lines_deposit", "deposit_id"),
        Index("ix_game_deposit_lines_tenant_material", "tenant_id", "material_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    deposit_id: Mapped[int] = mapped_column(ForeignKey("game_deposits.id"))
    material_code: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(12))
    grade: Mapped[str] = mapped_column(String(8))
    weight_g: Mapped[int | None]
    quantity: Mapped[int | None]
    co2e_g: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)

    deposit: Mapped[GameDeposit] = relationship(back_populates="lines")


class BadgeAward(Base):
    """A badge is earned once per household (unique), with its date; `notified_at` makes the notice idempotent."""

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("tenant_id", "household_id", "badge_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    badge_code: Mapped[str] = mapped_column(String(40))
    awarded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[dt.datetime | None]


class LevelUp(Base):
    """The first time a household reached a level (so "level up" is said once, even if a void dips below it)."""

    __tablename__ = "level_ups"
    __table_args__ = (UniqueConstraint("tenant_id", "household_id", "level_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    level_code: Mapped[str] = mapped_column(String(20))
    reached_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[dt.datetime | None]


class Challenge(Base):
    """A community target set by staff: kilos of a material (or any), from a village (or all), between two local dates."""

    __tablename__ = "challenges"
    __table_args__ = (
        Index("ix_challenges_tenant_end", "tenant_id", "end_date"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint("target_g > 0", name="target_positive"),
        CheckConstraint("bonus_points >= 0", name="bonus_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    title_th: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    material_code: Mapped[str | None] = mapped_column(String(40))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)  # inclusive
    target_g: Mapped[int]
    progress_g: Mapped[int] = mapped_column(default=0, server_default="0")  # running total of matching active lines
    bonus_points: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[dt.datetime | None]
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Reward(Base):
    __tablename__ = "rewards"
    __table_args__ = (
        Index("ix_rewards_tenant_active", "tenant_id", "active"),
        CheckConstraint("points_cost > 0", name="cost_positive"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    points_cost: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RewardRedemption(Base):
    """Points and stock are taken when redeemed; then handed over at the centre, or cancelled with a refund."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id"),
        Index("ix_reward_redemptions_tenant_household", "tenant_id", "household_id"),
        Index("ix_reward_redemptions_tenant_status", "tenant_id", "status"),
        check_in("status", RedemptionStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    client_id: Mapped[str | None] = mapped_column(String(36))
    points: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    reward: Mapped[Reward] = relationship(lazy="joined")
