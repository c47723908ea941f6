"""Prices: scheduling changes, the price in force at any instant, the board and the history.

A price is in force from its `effective_from` until the next price of the same grade; rows are never
updated, so "what was paid on 3 March" is always answerable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from pricing.catalog import grade_index, resolve_grade
from pricing.models import Grade, Material, Price
from recycle import audit
from recycle.db import utcnow
from recycle.errors import Conflict, FieldErrors, InvalidInput
from recycle.principal import Principal

CLOCK_SKEW = dt.timedelta(minutes=2)  # "now" from a staff laptop may lag the server a little


@dataclass
class PriceChange:
    material_code: str
    grade: str
    buy_price_satang: int
    ref_sale_price_satang: int | None = None
    effective_from: dt.datetime | None = None
    line: int | None = None  # CSV line, for error messages


def _key(i: int, change: PriceChange) -> str:
    return f"line {change.line}." if change.line else f"prices.{i}."


def set_prices(
    session: Session,
    principal: Principal,
    changes: list[PriceChange],
    *,
    confirm_loss: bool = False,
    source: str = "manual",
    now: dt.datetime | None = None,
) -> list[Price]:
    """Validate every change first, then write them all, or nothing."""
    now = now or utcnow()
    if not changes:
        raise InvalidInput.field("prices", "give at least one price")
    index = grade_index(session, principal.tenant_id)
    errors = FieldErrors()
    planned: list[tuple[PriceChange, Grade, dt.datetime, int | None]] = []
    seen: dict[tuple[int, dt.datetime], str] = {}
    for i, ch in enumerate(changes):
        key = _key(i, ch)
        grade = resolve_grade(index, ch.material_code, ch.grade, key, errors)
        when = ch.effective_from or now
        if when.tzinfo is None:
            errors.add(f"{key}effective_from", "give a time zone offset, e.g. +07:00")
            continue
        if when < now - CLOCK_SKEW:
            errors.add(f"{key}effective_from", "is in the past: a price change may not re-price waste already weighed")
        if ch.buy_price_satang < 0:
            errors.add(f"{key}buy_price_satang", "must not be negative")
        if ch.ref_sale_price_satang is not None and ch.ref_sale_price_satang < 0:
            errors.add(f"{key}ref_sale_price_satang", "must not be negative")
        if grade is None:
            continue
        if (grade.id, when) in seen:
            errors.add(f"{key}effective_from", f"same grade and instant as {seen[(grade.id, when)]}")
        seen[(grade.id, when)] = key.rstrip(".")
        sale = ch.ref_sale_price_satang
        if sale is None:
            prior = price_in_force(session, principal.tenant_id, grade.id, when)
            sale = prior.ref_sale_price_satang if prior else None
        if sale is not None and ch.buy_price_satang > sale and not confirm_loss:
            errors.add(
                f"{key}buy_price_satang",
                f"buying at {ch.buy_price_satang} above the sale price {sale} loses money; send confirm_loss to insist",
            )
        planned.append((ch, grade, when, sale))
    if errors:
        raise InvalidInput(
            "the prices were not changed: " + "; ".join(f"{k} {v[0]}" for k, v in list(errors.items())[:3]), errors
        )
    existing = set(
        session.execute(
            select(Price.grade_id, Price.effective_from).where(
                Price.tenant_id == principal.tenant_id,
                Price.grade_id.in_([g.id for _, g, _, _ in planned]),
                Price.effective_from.in_([w for _, _, w, _ in planned]),
            )
        ).all()
    )
    clash = [f"{ch.material_code}/{ch.grade}" for ch, g, w, _ in planned if (g.id, w) in existing]
    if clash:
        raise Conflict(
            "a price already exists for the same grade at the same instant: " + ", ".join(clash),
            {"effective_from": ["another price starts at exactly this instant"]},
        )
    rows = [
        Price(
            tenant_id=principal.tenant_id,
            grade_id=g.id,
            buy_price_satang=ch.buy_price_satang,
            ref_sale_price_satang=sale,
            effective_from=w,
            source=source,
            created_by_user_id=principal.user_id,
            loss_confirmed=bool(confirm_loss and sale is not None and ch.buy_price_satang > sale),
        )
        for ch, g, w, sale in planned
    ]
    session.add_all(rows)
    session.flush()
    audit.record(session, "prices.set", principal=principal, count=len(rows), source=source)
    return rows


def effective_instant(day: dt.date, tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.datetime:
    """A price "from" a calendar day: from local midnight, or from now when that day is today."""
    now = now or utcnow()
    start = dt.datetime.combine(day, dt.time(), tz)
    return now if day == now.astimezone(tz).date() else start


def price_in_force(session: Session, tenant_id: int, grade_id: int, at: dt.datetime) -> Price | None:
    return session.scalar(
        select(Price)
        .where(Price.tenant_id == tenant_id, Price.grade_id == grade_id, Price.effective_from <= at)
        .order_by(Price.effective_from.desc())
        .limit(1)
    )


@dataclass
class BoardRow:
    material: Material
    grade: Grade
    price: Price
    previous: Price | None

    @property
    def change(self) -> str:
        if self.previous is None:
            return "new"
        a, b = self.price.buy_price_satang, self.previous.buy_price_satang
        return "up" if a > b else "down" if a < b else "same"

    @property
    def change_satang(self) -> int | None:
        return None if self.previous is None else self.price.buy_price_satang - self.previous.buy_price_satang


def board(session: Session, tenant_id: int, at: dt.datetime | None = None, active_only: bool = True) -> list[BoardRow]:
    """The price in force at `at` for each grade and the one before it: one windowed query."""
    at = at or utcnow()
    ranked = (
        select(
            Price.id,
            Price.grade_id,
            func.row_number().over(partition_by=Price.grade_id, order_by=Price.effective_from.desc()).label("rn"),
        )
        .where(Price.tenant_id == tenant_id, Price.effective_from <= at)
        .subquery()
    )
    cur, prev = ranked.alias("cur"), ranked.alias("prev")
    stmt = (
        select(Price, Grade, Material, prev.c.id)
        .join(cur, and_(cur.c.id == Price.id, cur.c.rn == 1))
        .join(Grade, Grade.id == Price.grade_id)
        .join(Material, Material.id == Grade.material_id)
        .outerjoin(prev, and_(prev.c.grade_id == Price.grade_id, prev.c.rn == 2))
        .order_by(Material.sort_order, Material.code, Grade.code)
    )
    if active_only:
        stmt = stmt.where(Material.active.is_(True), Grade.active.is_(True))
    rows = session.execute(stmt).all()
    prev_ids = [r[3] for r in rows if r[3] is not None]
    previous = {p.id: p for p in session.scalars(select(Price).where(Price.id.in_(prev_ids)))} if prev_ids else {}
    return [BoardRow(m, g, p, previous.get(pid)) for p, g, m, pid in rows]


def board_from_book(book, at: dt.datetime, active_only: bool = True) -> list[BoardRow]:  # noqa: ANN001 - a PriceBook
    """The same rows as `board`, answered from a cached price book (no query)."""
    rows = []
    for grade in book.grades(active_only):
        price = book.in_force(grade.id, at)
        if price is not None:
            rows.append(BoardRow(grade.material, grade, price, book.previous(grade.id, at)))  # type: ignore[arg-type]
    return rows


def history(
    session: Session,
    tenant_id: int,
    material_code: str | None = None,
    grade: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
):  # noqa: ANN201 - a Select
    stmt = (
        select(Price)
        .join(Grade, Grade.id == Price.grade_id)
        .join(Material, Material.id == Grade.material_id)
        .where(Price.tenant_id == tenant_id)
    )
    if material_code:
        stmt = stmt.where(Material.code == material_code.strip().upper())
    if grade:
        stmt = stmt.where(Grade.code == grade.strip().upper())
    if start:
        stmt = stmt.where(Price.effective_from >= start)
    if end:
        stmt = stmt.where(Price.effective_from <= end)
    return stmt.order_by(Material.code, Grade.code, Price.effective_from)
