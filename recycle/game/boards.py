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

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import Session

from recycle.game.models import GameDeposit, GameDepositLine, HouseholdPoints, PeriodTotal
from recycle.game.points import month_bounds, period_starts, week_start
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


def _values(tenant_id: int, metric: str, period: str, today: dt.date) -> Select:
    """(hid, value) of every household with something to show: one row each, from the kept totals."""
    if period == "all":
        col = HouseholdPoints.lifetime if metric == "points" else HouseholdPoints.weight_g
        return select(HouseholdPoints.household_id.label("hid"), col.label("value")).where(
            HouseholdPoints.tenant_id == tenant_id, col > 0
        )
    col = PeriodTotal.points if metric == "points" else PeriodTotal.weight_g
    return select(PeriodTotal.household_id.label("hid"), col.label("value")).where(
        PeriodTotal.tenant_id == tenant_id,
        PeriodTotal.period == period,
        PeriodTotal.start == period_starts(today)[period],
        col > 0,
    )


def _page(session: Session, ranked, key, me: int | None, page: int, per_page: int) -> tuple[list, int, object]:  # noqa: ANN001
    """The page, the total and my row in one pass over the ranking (row_number orders ties by id)."""
    lo = (page - 1) * per_page
    wanted = ranked.c.pos.between(lo + 1, lo + per_page)
    rows = (
        session.execute(select(ranked).where(or_(wanted, key == me) if me is not None else wanted).order_by(ranked.c.pos))
        .mappings()
        .all()
    )
    total = rows[0]["total"] if rows else session.scalar(select(func.count()).select_from(ranked))
    mine = next((r for r in rows if me is not None and r[key.name] == me), None)
    return [r for r in rows if lo < r["pos"] <= lo + per_page], int(total), mine


def _ranks(value, key) -> tuple:  # noqa: ANN001
    return (
        func.rank().over(order_by=value.desc()).label("rank"),
        func.row_number().over(order_by=(value.desc(), key)).label("pos"),
        func.count().over().label("total"),
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
    """Index range scans, not a window over every household: the page is the top of the kept totals' index
    (value desc, then id), a rank is 1 + the households strictly above (RANK semantics), and mine is looked up
    by my id. A handful of statements, none sorting the whole village."""
    vals = _values(tenant_id, metric, period, today).subquery()
    base = (
        select(vals.c.hid, vals.c.value, Household.name, Household.leaderboard_opt_in.label("opt_in"), Household.village_id)
        .join(Household, Household.id == vals.c.hid)
        .where(Household.tenant_id == tenant_id, Household.active.is_(True))
    )
    if village_id is not None:
        base = base.where(Household.village_id == village_id)
    lo = (page - 1) * per_page
    rows = session.execute(base.order_by(vals.c.value.desc(), vals.c.hid).limit(per_page).offset(lo)).mappings().all()
    total = int(session.scalar(select(func.count()).select_from(base.subquery())))

    def above(value: int) -> int:
        return int(session.scalar(select(func.count()).select_from(base.where(vals.c.value > value).subquery())))

    ranks: list[int] = []
    for i, m in enumerate(rows):
        if i and m["value"] == rows[i - 1]["value"]:
            ranks.append(ranks[-1])
        else:
            ranks.append(lo + i + 1 if (i or lo == 0) else 1 + above(m["value"]))

    def row(m, rank: int) -> BoardRow:  # noqa: ANN001
        own = m["hid"] == me
        shown = own or m["opt_in"]
        return BoardRow(
            rank=rank,
            value=int(m["value"]),
            village_id=m["village_id"],
            household_id=m["hid"] if shown else None,
            name=m["name"] if shown else None,
            is_me=own,
        )

    items = [row(m, r) for m, r in zip(rows, ranks)]
    mine = next((it for it in items if it.is_me), None)
    if mine is None and me is not None:
        m = session.execute(base.where(vals.c.hid == me)).mappings().first()
        mine = row(m, 1 + above(m["value"])) if m else None
    return Board(items, total, mine)


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
    vals = _values(tenant_id, metric, period, today).subquery()
    per_village = (
        select(Household.village_id, func.sum(vals.c.value).label("value"), func.count().label("households"))
        .join(Household, Household.id == vals.c.hid)
        .where(Household.tenant_id == tenant_id, Household.active.is_(True))
        .group_by(Household.village_id)
        .subquery()
    )
    ranked = (
        select(per_village, Village.name_th, Village.name_en, *_ranks(per_village.c.value, per_village.c.village_id)).join(
            Village, Village.id == per_village.c.village_id
        )
    ).subquery()
    rows, total, mine = _page(session, ranked, ranked.c.village_id, me_village, page, per_page)

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
