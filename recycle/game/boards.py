"""Leaderboards and environmental impact, as set-based SQL.

Ranks come from the database over totals kept per household (the balance rows for all
time, `game_period_totals` for a local week, month or year), never from a Python loop over households:
a board is one indexed read of at most one row per household, and one statement gives the page, the
total and my own rank. Households that did not opt in are ranked like everyone else but come back
without name or id (the API labels them "สมาชิก #rank"); households no longer active are left off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, distinct, func, literal_column, or_, select, true, union_all, update
from sqlalchemy.orm import Session

from recycle.game.models import GameDeposit, GameDepositLine, HouseholdPoints, PeriodTotal
from recycle.game.points import household_row, month_bounds, period_starts, week_start
from recycle.models import Household, Village

PERIODS = ("week", "month", "year", "all")
METRICS = ("points", "kg")

# One mature tree takes up about 48 lb (≈ 22 kg) of CO2 a year (Arbor Day Foundation, "Trees are Terrific";
# the same figure the European Environment Agency quotes). An assumption for a picture, not an inventory.
TREE_G_CO2_PER_YEAR = 22_000
# A typical passenger car emits about 400 g CO2 per mile ≈ 249 g per km (US EPA, "Greenhouse Gas Emissions
# from a Typical Passenger Vehicle", EPA-420-F-23-014).
CAR_G_CO2_PER_KM = 249
ASSUMPTIONS = {
    "co2e": "avoided emissions per kg recycled from the US EPA WARM model (v16), as recorded on each weigh-in",
    "tree": f"one mature tree absorbs about {TREE_G_CO2_PER_YEAR // 1000} kg CO2 a year (Arbor Day Foundation)",
    "car": f"a typical passenger car emits about {CAR_G_CO2_PER_KM} g CO2 per km (US EPA: 400 g per mile)",
}


def period_bounds(period: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """[start, end) in the tenant's local dates; (None, None) for all time."""
    if period == "week":
        start = week_start(today)
        return start, start + dt.timedelta(weeks=1)
    if period == "month":
        return month_bounds(today)
    if period == "year":
        return dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
    return None, None


@dataclass
class BoardRow:
    rank: int
    value: int
    village_id: int
    household_id: int | None = None
    name: str | None = None  # None: not opted in (anonymous)
    is_me: bool = False
    village_name_th: str | None = None
    village_name_en: str | None = None
    households: int | None = None  # on a board of villages


@dataclass
class Board:
    items: list[BoardRow]
    total: int
    me: BoardRow | None = None


def household_moved(session: Session, tenant_id: int, household_id: int, village_id: int) -> None:
    """A member moved to another village: its kept rows (every period's, and all time's) move with it. Taken under
    the household's points lock, so a weigh-in in flight either committed its rows first (moved here) or waits and
    then copies the new village."""
    household_row(session, tenant_id, household_id, lock=True)
    for kept in (HouseholdPoints, PeriodTotal):
        session.execute(
            update(kept)
            .where(kept.tenant_id == tenant_id, kept.household_id == household_id, kept.village_id != village_id)
            .values(village_id=village_id)
            .execution_options(synchronize_session=False)
        )


@dataclass
class _Kept:
    """Where a board's values are kept: one row per household (its id, value and village) and what scopes them.
    Values are bound at execution (`tenant_id`, `start`, `village_id`, `me`, `lo`, `per_page`), so a board's
    statement is built once per shape (`_board`)."""

    hid: Any
    value: Any
    village: Any
    where: list


def _kept(metric: str, period: str) -> _Kept:
    """The balance rows for all time, the period totals otherwise; households with nothing to show are left out."""
    if period == "all":
        col = HouseholdPoints.lifetime if metric == "points" else HouseholdPoints.weight_g
        where = [HouseholdPoints.tenant_id == bindparam("tenant_id"), col > 0]
        return _Kept(HouseholdPoints.household_id, col, HouseholdPoints.village_id, where)
    col = PeriodTotal.points if metric == "points" else PeriodTotal.weight_g
    where = [
        PeriodTotal.tenant_id == bindparam("tenant_id"),
        PeriodTotal.period == period,
        PeriodTotal.start == bindparam("start"),
        col > 0,
    ]
    return _Kept(PeriodTotal.household_id, col, PeriodTotal.village_id, where)


def _params(tenant_id: int, period: str, today: dt.date, **more: Any) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "start": period_starts(today).get(period), **more}


def _counts(k: _Kept, in_village: bool, above: dict[str, Any]):  # noqa: ANN202 - a subquery
    """One row: `total` households on the board and, for each name in `above`, how many are strictly above that
    value (an SQL expression). Counted on the kept rows' index alone (their village is copied onto them), less the
    households no longer active, which are few and found through their own partial index: no join of the board."""
    gone = [Household.tenant_id == bindparam("tenant_id"), Household.active.is_(False)]
    if in_village:
        gone.append(Household.village_id == bindparam("village_id"))
    cols = {"total": func.count(), **{name: func.count().filter(k.value > v) for name, v in above.items()}}
    table = k.hid.class_
    everyone = select(*(c.label(n) for n, c in cols.items())).select_from(table).where(*k.where).subquery()
    left = (
        select(*(c.label(n) for n, c in cols.items()))
        .select_from(table)
        .join(Household, Household.id == k.hid)
        .where(*k.where, *gone)
        .subquery()
    )
    both = everyone.join(left, true())  # two one-row aggregates side by side
    return select(*((everyone.c[n] - left.c[n]).label(n) for n in cols)).select_from(both).subquery()


@lru_cache(maxsize=64)
def _board(metric: str, period: str, in_village: bool, with_me: bool, later_page: bool) -> Select:
    """A board's one statement, for one shape (building it costs more than running it): the counts on every row,
    then the page (`which` 0) and my row (`which` 1); the counts alone when there is no row."""
    k = _kept(metric, period)
    if in_village:
        k.where.append(k.village == bindparam("village_id"))
    listed = select(k.hid.label("hid")).join(Household, Household.id == k.hid).where(*k.where, Household.active.is_(True))

    def shown(which: int) -> Select:
        return listed.add_columns(
            literal_column(str(which), Integer).label("which"),
            k.value.label("value"),
            k.village.label("village_id"),
            Household.name,
            Household.leaderboard_opt_in.label("opt_in"),
        )

    order = (k.value.desc(), k.hid)
    rows = shown(0).order_by(*order).limit(bindparam("per_page")).offset(bindparam("lo"))
    above: dict[str, Any] = {}
    if later_page:  # where this page's ranks start: above the value at its first position
        first = listed.with_only_columns(k.value).order_by(*order).offset(bindparam("lo")).limit(1)
        above["above_first"] = first.scalar_subquery()
    if with_me:  # my row, and how many are above it
        rows = union_all(select(rows.subquery()), select(shown(1).where(k.hid == bindparam("me")).subquery()))
        above["above_me"] = listed.with_only_columns(k.value).where(k.hid == bindparam("me")).scalar_subquery()
    counts, rows = _counts(k, in_village, above), rows.subquery()
    return (
        select(counts, rows).select_from(counts.outerjoin(rows, true())).order_by(rows.c.which, rows.c.value.desc(), rows.c.hid)
    )


def households_board(
    session: Session,
    tenant_id: int,
    metric: str,
    period: str,
    today: dt.date,
    *,
    village_id: int | None = None,
    me: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Board:
    """Index range scans, not a window over every household, and one statement whatever the size: the page is
    the top of the kept values' index (value desc, then id), my row is looked up by my id, and a rank is 1 + the
    households strictly above (RANK semantics), counted with the total on the village's index range."""
    lo = (page - 1) * per_page
    stmt = _board(metric, period, village_id is not None, me is not None, lo > 0)
    params = _params(tenant_id, period, today, village_id=village_id, me=me, lo=lo, per_page=per_page)
    found = session.execute(stmt, params).mappings().all()
    head = found[0]
    rows = [m for m in found if m["which"] == 0]
    mine = next((m for m in found if m["which"] == 1), None)
    first_rank = 1 + head["above_first"] if rows and lo > 0 else 1

    ranks: list[int] = []
    for i, m in enumerate(rows):
        if i and m["value"] == rows[i - 1]["value"]:
            ranks.append(ranks[-1])
        else:
            ranks.append(lo + i + 1 if i else first_rank)

    def row(m, rank: int) -> BoardRow:  # noqa: ANN001
        own = m["hid"] == me
        named = own or m["opt_in"]
        return BoardRow(
            rank=rank,
            value=int(m["value"]),
            village_id=m["village_id"],
            household_id=m["hid"] if named else None,
            name=m["name"] if named else None,
            is_me=own,
        )

    items = [row(m, r) for m, r in zip(rows, ranks)]
    me_row = next((it for it in items if it.is_me), None)
    if me_row is None and mine is not None:
        me_row = row(mine, 1 + head["above_me"])
    return Board(items, int(head["total"]), me_row)


def _page(session: Session, ranked, key, me: int | None, page: int, per_page: int, params: dict) -> tuple[list, int, object]:  # noqa: ANN001
    """The page, the total and my row in one pass over the ranking (row_number orders ties by id)."""
    lo = (page - 1) * per_page
    wanted = ranked.c.pos.between(lo + 1, lo + per_page)
    rows = (
        session.execute(select(ranked).where(or_(wanted, key == me) if me is not None else wanted).order_by(ranked.c.pos), params)
        .mappings()
        .all()
    )
    total = rows[0]["total"] if rows else session.scalar(select(func.count()).select_from(ranked), params)
    mine = next((r for r in rows if me is not None and r[key.name] == me), None)
    return [r for r in rows if lo < r["pos"] <= lo + per_page], int(total), mine


def _ranks(value, key) -> tuple:  # noqa: ANN001
    return (
        func.rank().over(order_by=value.desc()).label("rank"),
        func.row_number().over(order_by=(value.desc(), key)).label("pos"),
        func.count().over().label("total"),
    )


def villages_board(
    session: Session,
    tenant_id: int,
    metric: str,
    period: str,
    today: dt.date,
    *,
    me_village: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Board:
    """Sums per village on the kept rows' village index, less the households no longer active (few, found through
    their partial index), then one window over the villages (tens, not households)."""
    k = _kept(metric, period)

    def by_village(stmt: Select) -> Select:
        return stmt.where(*k.where).group_by(k.village)

    cols = (k.village.label("village_id"), func.sum(k.value).label("value"), func.count().label("households"))
    everyone = by_village(select(*cols)).subquery()
    gone = by_village(
        select(*cols)
        .join(Household, Household.id == k.hid)
        .where(Household.tenant_id == bindparam("tenant_id"), Household.active.is_(False))
    ).subquery()
    left = select(
        everyone.c.village_id,
        (everyone.c.value - func.coalesce(gone.c.value, 0)).label("value"),
        (everyone.c.households - func.coalesce(gone.c.households, 0)).label("households"),
    ).outerjoin(gone, gone.c.village_id == everyone.c.village_id)
    per_village = left.subquery()
    per_village = select(per_village).where(per_village.c.households > 0).subquery()
    ranked = (
        select(per_village, Village.name_th, Village.name_en, *_ranks(per_village.c.value, per_village.c.village_id)).join(
            Village, Village.id == per_village.c.village_id
        )
    ).subquery()
    params = _params(tenant_id, period, today)
    rows, total, mine = _page(session, ranked, ranked.c.village_id, me_village, page, per_page, params)

    def row(m) -> BoardRow:  # noqa: ANN001
        return BoardRow(
            rank=m["rank"],
            value=int(m["value"]),
            village_id=m["village_id"],
            households=m["households"],
            village_name_th=m["name_th"],
            village_name_en=m["name_en"],
            is_me=m["village_id"] == me_village,
        )

    return Board([row(m) for m in rows], total, row(mine) if mine else None)


@dataclass
class MaterialImpact:
    material_code: str
    category: str
    weight_g: int
    quantity: int
    co2e_g: int


@dataclass
class Impact:
    materials: list[MaterialImpact] = field(default_factory=list)
    weight_g: int = 0
    co2e_g: int = 0
    deposits: int = 0
    households: int = 0

    @property
    def trees_for_a_year(self) -> float:
        return round(self.co2e_g / TREE_G_CO2_PER_YEAR, 1)

    @property
    def car_km(self) -> int:
        return self.co2e_g // CAR_G_CO2_PER_KM


def impact(session: Session, tenant_id: int, household_id: int | None = None, village_id: int | None = None) -> Impact:
    """Kilos by material and CO2e avoided (the tickets' WARM-based figures) of a household, a village or the tenant."""
    where = [GameDeposit.tenant_id == tenant_id, GameDeposit.status == "active"]
    if household_id is not None:
        where.append(GameDeposit.household_id == household_id)

    def scoped(stmt: Select) -> Select:
        if village_id is not None:
            stmt = stmt.join(Household, Household.id == GameDeposit.household_id).where(Household.village_id == village_id)
        return stmt.where(*where)

    rows = session.execute(
        scoped(
            select(
                GameDepositLine.material_code,
                GameDepositLine.category,
                func.coalesce(func.sum(GameDepositLine.weight_g), 0),
                func.coalesce(func.sum(GameDepositLine.quantity), 0),
                func.coalesce(func.sum(GameDepositLine.co2e_g), 0),
            ).join(GameDeposit, GameDeposit.id == GameDepositLine.deposit_id)
        )
        .group_by(GameDepositLine.material_code, GameDepositLine.category)
        .order_by(GameDepositLine.material_code)
    ).all()
    materials = [MaterialImpact(code, cat, int(w), int(q), int(c)) for code, cat, w, q, c in rows]
    deposits, households = session.execute(
        scoped(select(func.count(GameDeposit.id), func.count(distinct(GameDeposit.household_id))))
    ).one()
    return Impact(materials, sum(m.weight_g for m in materials), sum(m.co2e_g for m in materials), int(deposits), int(households))
