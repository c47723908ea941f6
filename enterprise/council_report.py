"""The council report: a month's (or a year's) figures for the municipal council, computed set-based in SQL.

Why here and not in the console: the PDF, the CSVs and the Excel workbook all show these same
figures, and a test holds them to the ledger (bought = purchases postings of members' weigh-ins and their voids, paid = payout postings,
deducted = settlement postings to the welfare fund and savings, owed = payables and payouts pending).
Dates are local business days, both ends included (`Tenant.period_bounds`), the one report convention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, and_, case, cast, distinct, func, select
from sqlalchemy.orm import Session

from enterprise import sales_reports, stock
from pickup.models import CollectionTicket, TicketLine
from pricing.models import Material
from recycle import ledger
from recycle.ledger import LedgerAccount, LedgerTransaction, Posting
from recycle.models import Household, Tenant, Village


@dataclass
class CouncilReport:
    tenant_name: str
    start: dt.date
    end: dt.date
    by_material: list[dict] = field(default_factory=list)
    by_village: list[dict] = field(default_factory=list)
    money: dict = field(default_factory=dict)
    welfare: dict = field(default_factory=dict)
    stock: list[dict] = field(default_factory=list)
    sales: dict = field(default_factory=dict)
    co2e_g: int = 0
    weight_g: int = 0

    def tables(self) -> dict[str, tuple[list[str], list[list]]]:
        """Every table as (headers, rows) for CSV and Excel: Thai / English headers, money in baht, kg."""

        def baht(s: int) -> str:
            return f"{s // 100}.{s % 100:02d}" if s >= 0 else f"-{(-s) // 100}.{(-s) % 100:02d}"

        def kg(g: int) -> str:
            return f"{g // 1000}.{g % 1000:03d}"

        m, w, s = self.money, self.welfare, self.sales
        return {
            "materials": (
                ["วัสดุ / material", "รหัส / code", "กิโลกรัม / kg", "ชิ้น / pieces", "ยอดรับซื้อ บาท / bought THB", "CO2e กก. / kg"],
                [
                    [r["name_th"], r["code"], kg(r["weight_g"]), r["quantity"], baht(r["bought_satang"]), kg(r["co2e_g"])]
                    for r in self.by_material
                ],
            ),
            "villages": (
                [
                    "หมู่ / moo",
                    "หมู่บ้าน / village",
                    "กิโลกรัม / kg",
                    "ยอดรับซื้อ บาท / bought THB",
                    "ครัวเรือนที่ร่วม / active",
                    "ครัวเรือนสมาชิก / registered",
                    "ร้อยละ / %",
                ],
                [
                    [
                        r["moo"],
                        r["name_th"],
                        kg(r["weight_g"]),
                        baht(r["bought_satang"]),
                        r["active"],
                        r["registered"],
                        r["participation_pct"],
                    ]
                    for r in self.by_village
                ],
            ),
            "money": (
                ["รายการ / item", "บาท / THB"],
                [
                    ["รับซื้อจากสมาชิก / bought", baht(m["bought_satang"])],
                    ["จ่ายให้สมาชิกแล้ว / paid", baht(m["paid_satang"])],
                    ["หักเข้ากองทุนสวัสดิการ / welfare deducted", baht(m["welfare_deducted_satang"])],
                    ["หักเงินออม / savings deducted", baht(m["savings_deducted_satang"])],
                    ["ค้างจ่ายสมาชิก (ยังไม่ปิดงวด) / owed, unsettled", baht(m["owed_unsettled_satang"])],
                    ["ค้างจ่ายสมาชิก (อนุมัติแล้วรอจ่าย) / owed, approved", baht(m["owed_pending_satang"])],
                ],
            ),
            "welfare": (
                ["รายการ / item", "บาท / THB"],
                [
                    ["ยอดยกมา / opening", baht(w["opening_satang"])],
                    ["รับเข้า / in", baht(w["in_satang"])],
                    ["จ่ายออก / out", baht(w["out_satang"])],
                    ["คงเหลือ / closing", baht(w["closing_satang"])],
                ],
            ),
            "stock": (
                ["วัสดุ / material", "เกรด / grade", "หน่วย / unit", "คงเหลือ / on hand", "มูลค่า บาท / value THB"],
                [
                    [
                        r["name_th"],
                        r["grade"],
                        r["unit"],
                        kg(r["on_hand"]) if r["unit"] == "kg" else r["on_hand"],
                        baht(r["value_satang"]),
                    ]
                    for r in self.stock
                ],
            ),
            "sales": (
                ["รายการ / item", "บาท / THB"],
                [
                    ["รายได้จากการขาย / revenue", baht(s["revenue_satang"])],
                    ["ต้นทุนวัสดุ / cost of goods", baht(s["cost_of_goods_satang"])],
                    ["ค่ากำจัด / fees", baht(s["fee_satang"])],
                    ["กำไรขั้นต้น / margin", baht(s["margin_satang"])],
                ],
            ),
        }


def _posted(
    tenant_id: int,
    code: str,
    lo: dt.datetime | None,
    hi: dt.datetime,
    kind: str | None = None,
    sign: int = 0,
    members_only: bool = False,
):  # noqa: ANN202 - a scalar Select
    """Sum of postings to one of the tenant's accounts with the transaction's effective date in [lo, hi)."""
    amount = Posting.amount_satang
    if sign:
        amount = case((Posting.amount_satang * sign > 0, Posting.amount_satang), else_=0)
    stmt = (
        select(cast(func.coalesce(func.sum(amount), 0), BigInteger))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(
            Posting.tenant_id == tenant_id,
            LedgerAccount.tenant_id == tenant_id,
            LedgerAccount.code == code,
            LedgerTransaction.occurred_at < hi,
        )
    )
    if lo is not None:
        stmt = stmt.where(LedgerTransaction.occurred_at >= lo)
    if kind is not None:
        stmt = stmt.where(LedgerTransaction.kind == kind)
    if members_only:  # purchases also carry stock's moves (Dr stock / Cr purchases): only what members were credited
        stmt = stmt.where(~LedgerTransaction.kind.startswith("stock_"))
    return stmt


def _owed_unsettled(session: Session, tenant_id: int, hi: dt.datetime) -> int:
    stmt = (
        select(cast(func.coalesce(-func.sum(Posting.amount_satang), 0), BigInteger))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.tenant_id == tenant_id, LedgerAccount.household_id.is_not(None), LedgerTransaction.occurred_at < hi)
    )
    return int(session.scalar(stmt) or 0)


def build(session: Session, tenant: Tenant, start: dt.date, end: dt.date) -> CouncilReport:
    lo, hi = tenant.period_bounds(start, end)
    tid = tenant.id
    rep = CouncilReport(tenant.name_th, start, end)
    counted = and_(
        CollectionTicket.tenant_id == tid,
        CollectionTicket.status == "active",
        CollectionTicket.collected_at >= lo,
        CollectionTicket.collected_at < hi,
    )
    for code, name_th, name_en, g, q, s, c in session.execute(
        select(
            Material.code,
            Material.name_th,
            Material.name_en,
            cast(func.coalesce(func.sum(TicketLine.weight_g), 0), BigInteger),
            cast(func.coalesce(func.sum(TicketLine.quantity), 0), BigInteger),
            cast(func.sum(TicketLine.amount_satang), BigInteger),
            cast(func.sum(TicketLine.co2e_g), BigInteger),
        )
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .join(Material, Material.id == TicketLine.material_id)
        .where(counted)
        .group_by(Material.code, Material.name_th, Material.name_en, Material.sort_order)
        .order_by(Material.sort_order, Material.code)
    ).all():
        rep.by_material.append(
            {
                "code": code,
                "name_th": name_th,
                "name_en": name_en,
                "weight_g": int(g),
                "quantity": int(q),
                "bought_satang": int(s),
                "co2e_g": int(c),
            }
        )
    rep.weight_g = sum(r["weight_g"] for r in rep.by_material)
    rep.co2e_g = sum(r["co2e_g"] for r in rep.by_material)

    per_village = (
        select(
            Household.village_id.label("vid"),
            cast(func.sum(CollectionTicket.weight_g), BigInteger).label("g"),
            cast(func.sum(CollectionTicket.total_satang), BigInteger).label("s"),
            func.count(distinct(CollectionTicket.household_id)).label("active"),
        )
        .join(Household, Household.id == CollectionTicket.household_id)
        .where(counted)
        .group_by(Household.village_id)
        .subquery()
    )
    registered = (
        select(Household.village_id.label("vid"), func.count(Household.id).label("n"))
        .where(
            Household.tenant_id == tid, Household.created_at < hi, (Household.closed_at.is_(None)) | (Household.closed_at >= lo)
        )
        .group_by(Household.village_id)
        .subquery()
    )
    for vid, moo, name_th, name_en, g, s, active, n in session.execute(
        select(
            Village.id,
            Village.moo,
            Village.name_th,
            Village.name_en,
            per_village.c.g,
            per_village.c.s,
            per_village.c.active,
            registered.c.n,
        )
        .outerjoin(per_village, per_village.c.vid == Village.id)
        .outerjoin(registered, registered.c.vid == Village.id)
        .where(Village.tenant_id == tid)
        .order_by(Village.moo, Village.name_th)
    ).all():
        n, active = int(n or 0), int(active or 0)
        rep.by_village.append(
            {
                "village_id": vid,
                "moo": moo,
                "name_th": name_th,
                "name_en": name_en,
                "weight_g": int(g or 0),
                "bought_satang": int(s or 0),
                "active": active,
                "registered": n,
                "participation_pct": round(100 * active / n, 1) if n else 0.0,
            }
        )

    def one(stmt) -> int:  # noqa: ANN001
        return int(session.scalar(stmt) or 0)

    rep.money = {
        "bought_satang": one(_posted(tid, ledger.PURCHASES, lo, hi, members_only=True)),
        "paid_satang": one(_posted(tid, ledger.PAYOUTS_PENDING, lo, hi, kind="payout")),
        "welfare_deducted_satang": -one(_posted(tid, ledger.WELFARE_FUND, lo, hi, kind="settlement")),
        "savings_deducted_satang": -one(_posted(tid, ledger.SAVINGS, lo, hi, kind="settlement")),
        "owed_unsettled_satang": _owed_unsettled(session, tid, hi),
        "owed_pending_satang": -one(_posted(tid, ledger.PAYOUTS_PENDING, None, hi)),
    }
    opening = -one(_posted(tid, ledger.WELFARE_FUND, None, lo))
    rep.welfare = {
        "opening_satang": opening,
        "in_satang": -one(_posted(tid, ledger.WELFARE_FUND, lo, hi, sign=-1)),
        "out_satang": one(_posted(tid, ledger.WELFARE_FUND, lo, hi, sign=1)),
    }
    rep.welfare["closing_satang"] = opening + rep.welfare["in_satang"] - rep.welfare["out_satang"]
    rep.stock = stock.inventory(session, tid)
    margin = sales_reports.margin(session, tenant, start, end)
    rep.sales = {k: margin[k] for k in ("revenue_satang", "cost_of_goods_satang", "fee_satang", "margin_satang")}
    rep.sales["batches"] = len(margin["batches"])
    return rep


def month(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month of a day: its first and last days."""
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def year(day: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
