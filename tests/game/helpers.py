"""Helpers for game tests: deposits as plain data (no ticket needed), an independent oracle of the rules."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import zoneinfo
from fractions import Fraction

from recycle.game import deposits
from recycle.game.points import DepositInput, DepositLine

BANGKOK = zoneinfo.ZoneInfo("Asia/Bangkok")
_ticket_ids = itertools.count(900_000)


def kg(code: str, grams: int, category: str = "recyclable", grade: str = "A", graded: bool = False, co2e: int = 0) -> DepositLine:
    return DepositLine(
        material_code=code, category=category, grade=grade, unit="kg", weight_g=grams, co2e_g=co2e, has_grades=graded
    )


def pieces(code: str, n: int, category: str = "recyclable") -> DepositLine:
    return DepositLine(material_code=code, category=category, unit="piece", quantity=n)


def local(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A Bangkok wall-clock time, as the aware instant the API would store."""
    return dt.datetime(y, m, d, hour, minute, tzinfo=BANGKOK)


def deposit(
    db,
    tenant_id: int,
    household_id: int,
    when: dt.datetime,
    lines: list[DepositLine],  # noqa: ANN001
    ticket_id: int | None = None,
) -> tuple[int, deposits.GameEvents]:
    tid = ticket_id or next(_ticket_ids)
    return tid, deposits.award_deposit(db, DepositInput(tenant_id, household_id, tid, when, lines))


# The oracle: the rules of the issue written out again, independently of recycle/points.py.
RATES_KG = {"recyclable": 10, "organic": 5, "hazardous": 20, "general": 0}
RATES_PIECE = {"recyclable": 1, "organic": 1, "hazardous": 1, "general": 0}


def oracle_line(line: DepositLine, bonus_pct: int = 20) -> int:
    factor = 1 + Fraction(bonus_pct if (line.has_grades and line.grade == "A") else 0, 100)
    if line.unit == "piece":
        return math.floor(line.quantity * RATES_PIECE[line.category] * factor)
    return math.floor(Fraction(line.weight_g, 1000) * RATES_KG[line.category] * factor)


def oracle_total(active: list[tuple[dt.date, int]], cap: int, streak_bonus: int, streak_max: int) -> int:
    """active: (local date, raw points) of each active deposit -> points the household must hold."""
    months: dict[tuple[int, int], int] = {}
    for day, raw in active:
        months[(day.year, day.month)] = months.get((day.year, day.month), 0) + raw
    total = sum(min(v, cap) if cap else v for v in months.values())
    weeks = {day - dt.timedelta(days=day.weekday()) for day, _ in active}
    for w in weeks:
        run = 0
        while run < streak_max and w - dt.timedelta(weeks=run + 1) in weeks:
            run += 1
        total += streak_bonus * run
    return total
