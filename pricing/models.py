"""The material catalog, its grades and every price ever set (never overwritten)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recycle.db import Base, check_in, utcnow


class Category(StrEnum):
    RECYCLABLE = "recyclable"
    ORGANIC = "organic"
    HAZARDOUS = "hazardous"
    GENERAL = "general"


class Unit(StrEnum):
    KG = "kg"
    PIECE = "piece"


CATEGORIES = ("recyclable", "organic", "hazardous", "general")
UNITS = ("kg", "piece")


class Material(Base):
    """A kind of waste the bank takes. CO2e avoided per kg recycled comes from the US EPA WARM model
    (v16 recycling factors, MTCO2E per short ton converted to g per kg by x1102.3; see pricing/data)."""

    __tablename__ = "materials"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        check_in("category", Category),
        check_in("unit", Unit),
        CheckConstraint("co2e_g_per_unit >= 0", name="co2e_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    code: Mapped[str] = mapped_column(String(40))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(8), default="kg")
    co2e_g_per_unit: Mapped[int] = mapped_column(default=0)  # grams CO2e avoided per kg (or per piece)
    co2e_source: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    grades: Mapped[list[Grade]] = relationship(back_populates="material", order_by="Grade.code", lazy="selectin")


class Grade(Base):
    """A = sorted and clean, B = mixed or dirty...: described so a collector can judge at the door."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("tenant_id", "material_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    code: Mapped[str] = mapped_column(String(8))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    material: Mapped[Material] = relationship(back_populates="grades", lazy="joined")


class Price(Base):
    """One price from `effective_from` until the next one of the same grade. Append-only."""

    __tablename__ = "prices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "grade_id", "effective_from"),
        Index("ix_prices_tenant_grade_from", "tenant_id", "grade_id", "effective_from"),
        CheckConstraint("buy_price_satang >= 0", name="buy_non_negative"),
        CheckConstraint("ref_sale_price_satang IS NULL OR ref_sale_price_satang >= 0", name="sale_non_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    buy_price_satang: Mapped[int]
    ref_sale_price_satang: Mapped[int | None]
    effective_from: Mapped[dt.datetime]
    loss_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual, import, seed
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    grade: Mapped[Grade] = relationship(lazy="joined")


# Every price write moves the tenant's price version (cached price books): the listener lives with the book,
# and is registered wherever these models are used, even by code that never prices anything.
from pricing import book as _book  # noqa: E402,F401
