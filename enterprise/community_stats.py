"""What the community achieved, for anyone to read: the citizen dashboard and the open-data CSV share these
figures. Set-based SQL grouped by month, village and material; no personal data leaves this module.

Small counts single a household out, so every count of households below `MIN_COUNT` is suppressed (None),
and so is every figure of the same cell (kg, baht, CO2e of fewer than five households is one family's
business). Where a published total would let a reader subtract their way back to a suppressed count, the
next smallest count is suppressed too (complementary suppression).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from enterprise.settlement_models import Payout
from pickup.models import CollectionTicket, TicketLine
from pricing.models import Material
from recycle.db import utcnow
from recycle.models import Household, Tenant, Village

MIN_COUNT = 5


def suppress(n: int | None) -> int | None:
    """A count of households, or None when it is below MIN_COUNT (shown as "< 5")."""
    return None if n is None or n < MIN_COUNT else n


def complementary(counts: list[int | None], total_shown: bool = True) -> list[int | None]:
    """If exactly one count is suppressed and the total is published, hide the next smallest as well."""
    if not total_shown or sum(c is None for c in counts) != 1:
        return counts
    shown = [(c, i) for i, c in enumerate(counts) if c is not None]
    if not shown:
        return counts
    _, i = min(shown)
    return [None if j == i else c for j, c in enumerate(counts)]


def month_bounds(year: int, month: int, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _month_key(session: Session, column, tz: zoneinfo.ZoneInfo):  # noqa: ANN001, ANN202
    """'YYYY-MM' of a UTC instant in the tenant's zone, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz.key, column), "YYYY-MM")
    offset = int(utcnow().astimezone(tz).utcoffset().total_seconds())  # Thai zones keep one offset all year
    return func.strftime("%Y-%m", column, f"{offset:+d} seconds")


def _active_lines(tenant_id: int, start: dt.datetime, end: dt.datetime):  # noqa: ANN202
    return and_(
        CollectionTicket.tenant_id == tenant_id,
        CollectionTicket.status == "active",
        CollectionTicket.collected_at >= start,
        CollectionTicket.collected_at < end,
    )


@dataclass
class CellRow:
    """One open-data row: a month, a village, a material."""

    month: str
    village_moo: int | None
    village_name_th: str
    village_name_en: str
    material_code: str
    material_name_th: str
    material_name_en: str
    category: str
    households: int | None
    weight_g: int | None
    amount_satang: int | None
    co2e_g: int | None

    @property
    def suppressed(self) -> bool:
        return self.households is None


def cells(session: Session, tenant: Tenant, start: dt.datetime, end: dt.datetime) -> list[CellRow]:
    """month × village × material between two instants, suppression applied."""
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    month = _month_key(session, CollectionTicket.collected_at, tz).label("month")
    stmt = (
        select(
            month,
            Village.moo,
            Village.name_th,
            Village.name_en,
            Material.code,
            Material.name_th,
            Material.name_en,
            Material.category,
            func.count(func.distinct(CollectionTicket.household_id)),
            func.coalesce(func.sum(TicketLine.weight_g), 0),
            func.sum(TicketLine.amount_satang),
            func.sum(TicketLine.co2e_g),
        )
        .select_from(TicketLine)
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .join(Household, Household.id == CollectionTicket.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Material, Material.id == TicketLine.material_id)
        .where(_active_lines(tenant.id, start, end))
        .group_by(
            month,
            Village.id,
            Village.moo,
            Village.name_th,
            Village.name_en,
            Material.id,
            Material.code,
            Material.name_th,
            Material.name_en,
            Material.category,
        )
        .order_by(month, Village.moo, Village.name_th, Material.code)
    )
    out = []
    for m, moo, vth, ven, code, mth, men, cat, n, w, amt, co2 in session.execute(stmt):
        keep = suppress(int(n)) is not None
        out.append(
            CellRow(
                m,
                moo,
                vth,
                ven,
                code,
                mth,
                men,
                cat,
                int(n) if keep else None,
                int(w) if keep else None,
                int(amt) if keep else None,
                int(co2) if keep else None,
            )
        )
    return out


@dataclass
class MaterialTotal:
    code: str
    name_th: str
    name_en: str
    category: str
    weight_g: int
    co2e_g: int


@dataclass
class VillageCount:
    moo: int | None
    name_th: str
    name_en: str
    households: int | None  # None: suppressed
    secondary: bool = False  # hidden only so the total cannot give a small count away (it is 5 or more)


@dataclass
class Summary:
    """The dashboard's figures for one tenant at one instant."""

    month_label: tuple[int, int]
    month_materials: list[MaterialTotal]
    year_materials: list[MaterialTotal]
    month_weight_g: int
    year_weight_g: int
    month_composted_g: int
    year_composted_g: int
    month_co2e_g: int
    year_co2e_g: int
    villages: list[VillageCount]
    households_total: int | None
    month_paid_satang: int
    year_paid_satang: int
    trend: list[tuple[str, int, int]] = field(default_factory=list)  # (YYYY-MM, weight_g, co2e_g)


def material_totals(session: Session, tenant_id: int, start: dt.datetime, end: dt.datetime) -> list[MaterialTotal]:
    stmt = (
        select(
            Material.code,
            Material.name_th,
            Material.name_en,
            Material.category,
            func.coalesce(func.sum(TicketLine.weight_g), 0),
            func.coalesce(func.sum(TicketLine.co2e_g), 0),
        )
        .select_from(TicketLine)
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .join(Material, Material.id == TicketLine.material_id)
        .where(_active_lines(tenant_id, start, end))
        .group_by(Material.id, Material.code, Material.name_th, Material.name_en, Material.category, Material.sort_order)
        .order_by(Material.sort_order, Material.code)
    )
    return [MaterialTotal(c, th, en, cat, int(w), int(co2)) for c, th, en, cat, w, co2 in session.execute(stmt)]


def village_households(
    session: Session, tenant_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[list[VillageCount], int | None]:
    """Households that brought anything, by village (every village listed), and their suppressed total."""
    counted = (
        select(Household.village_id.label("vid"), func.count(func.distinct(CollectionTicket.household_id)).label("n"))
        .join(Household, Household.id == CollectionTicket.household_id)
        .where(
            CollectionTicket.tenant_id == tenant_id,
            CollectionTicket.status == "active",
            CollectionTicket.collected_at >= start,
            CollectionTicket.collected_at < end,
        )
        .group_by(Household.village_id)
        .subquery()
    )
    rows = session.execute(
        select(Village.moo, Village.name_th, Village.name_en, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.vid == Village.id)
        .where(Village.tenant_id == tenant_id)
        .order_by(Village.moo, Village.name_th)
    ).all()
    total = sum(int(r[3]) for r in rows)
    # A village with nobody is a "< 5" too: zero is a small count (it still says where nobody takes part).
    primary = [suppress(int(r[3])) if r[3] else None for r in rows]
    counts = complementary(primary, total_shown=suppress(total) is not None)
    return [
        VillageCount(r[0], r[1], r[2], c, secondary=p is not None and c is None) for r, p, c in zip(rows, primary, counts)
    ], suppress(total)


def paid_to_members(session: Session, tenant_id: int, start: dt.datetime, end: dt.datetime) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Payout.net_satang), 0)).where(
                Payout.tenant_id == tenant_id, Payout.status == "paid", Payout.paid_at >= start, Payout.paid_at < end
            )
        )
        or 0
    )


def trend(session: Session, tenant: Tenant, months: int, now: dt.datetime) -> list[tuple[str, int, int]]:
    """The last `months` months (oldest first), each (YYYY-MM, weight_g, co2e_g); empty months are zeros."""
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    local = now.astimezone(tz)
    keys = []
    y, m = local.year, local.month
    for _ in range(months):
        keys.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    keys.reverse()
    start, _ = month_bounds(*keys[0], tz)
    _, end = month_bounds(*keys[-1], tz)
    month = _month_key(session, CollectionTicket.collected_at, tz).label("month")
    got = {
        k: (int(w), int(c))
        for k, w, c in session.execute(
            select(month, func.coalesce(func.sum(TicketLine.weight_g), 0), func.coalesce(func.sum(TicketLine.co2e_g), 0))
            .select_from(TicketLine)
            .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
            .where(_active_lines(tenant.id, start, end))
            .group_by(month)
        )
    }
    return [(f"{y:04d}-{m:02d}", *got.get(f"{y:04d}-{m:02d}", (0, 0))) for y, m in keys]


def summary(session: Session, tenant: Tenant, now: dt.datetime | None = None) -> Summary:
    now = now or utcnow()
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    local = now.astimezone(tz)
    m_start, m_end = month_bounds(local.year, local.month, tz)
    y_start, _ = month_bounds(local.year, 1, tz)
    _, y_end = month_bounds(local.year, 12, tz)
    month_mat = material_totals(session, tenant.id, m_start, m_end)
    year_mat = material_totals(session, tenant.id, y_start, y_end)
    villages, total = village_households(session, tenant.id, y_start, y_end)
    return Summary(
        month_label=(local.year, local.month),
        month_materials=month_mat,
        year_materials=year_mat,
        month_weight_g=sum(t.weight_g for t in month_mat),
        year_weight_g=sum(t.weight_g for t in year_mat),
        month_composted_g=sum(t.weight_g for t in month_mat if t.category == "organic"),
        year_composted_g=sum(t.weight_g for t in year_mat if t.category == "organic"),
        month_co2e_g=sum(t.co2e_g for t in month_mat),
        year_co2e_g=sum(t.co2e_g for t in year_mat),
        villages=villages,
        households_total=total,
        month_paid_satang=paid_to_members(session, tenant.id, m_start, m_end),
        year_paid_satang=paid_to_members(session, tenant.id, y_start, y_end),
        trend=trend(session, tenant, 12, now),
    )


def data_version(session: Session, tenant_id: int) -> str:
    """Changes whenever a figure can: a new or voided ticket, a new price, a payment. Keys the page cache."""
    t = session.execute(
        select(func.max(CollectionTicket.id), func.count(CollectionTicket.voided_at)).where(
            CollectionTicket.tenant_id == tenant_id
        )
    ).one()
    from pricing.models import Price

    p = session.scalar(select(func.max(Price.id)).where(Price.tenant_id == tenant_id))
    pay = session.execute(select(func.count(Payout.paid_at), func.max(Payout.id)).where(Payout.tenant_id == tenant_id)).one()
    return f"{t[0] or 0}.{t[1]}.{p or 0}.{pay[0]}.{pay[1] or 0}"
