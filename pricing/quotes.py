"""Pricing a list of weighed lines at an instant: used by quotes and by weigh-in tickets alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pricing.book import book_for
from pricing.catalog import resolve_grade
from recycle.errors import FieldErrors, InvalidInput
from recycle.models import Tenant
from recycle.money import line_amount_satang, piece_amount_satang, round_half_up_div


@dataclass
class LineInput:
    material_code: str
    grade: str = "A"
    weight_g: int | None = None
    quantity: int | None = None


@dataclass
class PricedLine:
    material_id: int
    grade_id: int
    price_id: int
    material_code: str
    grade: str
    name_th: str
    name_en: str
    category: str
    unit: str
    weight_g: int | None
    quantity: int | None
    unit_price_satang: int
    amount_satang: int
    co2e_g: int


@dataclass
class Quote:
    lines: list[PricedLine]
    at: dt.datetime

    @property
    def total_satang(self) -> int:
        return sum(line.amount_satang for line in self.lines)  # the sum of rounded lines: receipts add up

    @property
    def co2e_g(self) -> int:
        return sum(line.co2e_g for line in self.lines)

    @property
    def weight_g(self) -> int:
        return sum(line.weight_g or 0 for line in self.lines)


def price_lines(
    session: Session, tenant: Tenant, lines: list[LineInput], at: dt.datetime, forbid_duplicates: bool = False
) -> Quote:
    """Every error of every line at once (`lines.N.field`), or every line priced at `at`."""
    if not lines:
        raise InvalidInput.field("lines", "give at least one line")
    book = book_for(session, tenant)  # no query unless a price changed since this worker last looked
    index = book.index
    max_g, max_n = tenant.setting("max_line_weight_g"), tenant.setting("max_line_quantity")
    errors = FieldErrors()
    seen: dict[int, int] = {}
    priced: list[PricedLine] = []
    for i, line in enumerate(lines):
        key = f"lines.{i}."
        grade = resolve_grade(index, line.material_code, line.grade, key, errors)
        if grade is None:
            continue
        unit = grade.material.unit
        if unit == "kg":
            if line.weight_g is None:
                errors.add(f"{key}weight_g", "required for a material sold by weight")
            elif line.weight_g <= 0:
                errors.add(f"{key}weight_g", "must be more than 0 g")
            elif line.weight_g > max_g:
                errors.add(f"{key}weight_g", f"{line.weight_g} g is above the plausible {max_g} g for one line")
            if line.quantity is not None:
                errors.add(f"{key}quantity", f"{grade.material.code} is sold by weight, not by piece")
        else:
            if line.quantity is None:
                errors.add(f"{key}quantity", "required for a material counted by piece")
            elif line.quantity <= 0:
                errors.add(f"{key}quantity", "must be at least 1")
            elif line.quantity > max_n:
                errors.add(f"{key}quantity", f"{line.quantity} pieces is above the plausible {max_n}")
            if line.weight_g is not None and line.weight_g <= 0:
                errors.add(f"{key}weight_g", "must be more than 0 g when given")
        if forbid_duplicates and grade.id in seen:
            errors.add(
                f"{key}grade", f"{grade.material.code}/{grade.code} already on line {seen[grade.id]}; weigh it as one line"
            )
        seen.setdefault(grade.id, i)
        price = book.in_force(grade.id, at)
        if price is None:
            errors.add(f"{key}material_code", f"{grade.material.code}/{grade.code} had no price at {at.isoformat()}")
            continue
        if any(k.startswith(key) for k in errors):
            continue
        if unit == "kg":
            amount = line_amount_satang(line.weight_g, price.buy_price_satang)
            co2e = round_half_up_div(line.weight_g * grade.material.co2e_g_per_unit, 1000)
        else:
            amount = piece_amount_satang(line.quantity, price.buy_price_satang)
            co2e = line.quantity * grade.material.co2e_g_per_unit
        m = grade.material
        priced.append(
            PricedLine(
                m.id,
                grade.id,
                price.id,
                m.code,
                grade.code,
                m.name_th,
                m.name_en,
                m.category,
                unit,
                line.weight_g,
                line.quantity if unit == "piece" else None,
                price.buy_price_satang,
                amount,
                co2e,
            )
        )
    if errors:
        raise InvalidInput(
            "some lines cannot be priced: " + "; ".join(f"{k} {v[0]}" for k, v in list(errors.items())[:3]), errors
        )
    return Quote(priced, at)
