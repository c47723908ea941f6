"""Margin: what sold batches brought in against what their material cost the members' bank.

Read from the settled batches' own figures, which are the amounts posted to the ledger at
settlement (revenue, cost of goods, disposal fee), so the report and the books agree by construction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise.stock_models import SaleBatch
from recycle.models import Tenant

_MONEY = ("revenue_satang", "cost_of_goods_satang", "fee_satang", "margin_satang")


def _zero() -> dict:
    return dict.fromkeys(_MONEY, 0)


def _add(into: dict, revenue: int, cost: int, fee: int) -> None:
    into["revenue_satang"] += revenue
    into["cost_of_goods_satang"] += cost
    into["fee_satang"] += fee
    into["margin_satang"] += revenue - cost - fee


def period_bounds(tenant: Tenant, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local business days, both ends included (`Tenant.period_bounds`)."""
    return tenant.period_bounds(start, end)


def margin(session: Session, tenant: Tenant, start: dt.date, end: dt.date) -> dict:
    lo, hi = period_bounds(tenant, start, end)
    batches = session.scalars(
        select(SaleBatch)
        .where(
            SaleBatch.tenant_id == tenant.id, SaleBatch.status == "settled", SaleBatch.settled_at >= lo, SaleBatch.settled_at < hi
        )
        .order_by(SaleBatch.settled_at, SaleBatch.id)
    ).all()
    totals, by_material, rows = _zero(), {}, []
    for b in batches:
        row = {
            "batch_id": b.id,
            "buyer_name": b.buyer.name,
            "settled_at": b.settled_at,
            "hazardous": b.hazardous,
            **_zero(),
            "lines": [],
        }
        for ln in b.lines:
            revenue, cost, fee = ln.revenue_satang or 0, ln.cost_satang or 0, ln.fee_satang or 0
            line = {
                "material_code": ln.material_code,
                "grade": ln.grade,
                "unit": ln.unit,
                "dispatched": ln.qty,
                "received": ln.received_qty or 0,
                "shrinkage": ln.qty - (ln.received_qty or 0),
                **_zero(),
            }
            _add(line, revenue, cost, fee)
            row["lines"].append(line)
            _add(row, revenue, cost, fee)
            _add(totals, revenue, cost, fee)
            mat = by_material.setdefault(
                (ln.material_code, ln.unit),
                {"material_code": ln.material_code, "unit": ln.unit, "dispatched": 0, "received": 0, "shrinkage": 0, **_zero()},
            )
            for k in ("dispatched", "received", "shrinkage"):
                mat[k] += line[k]
            _add(mat, revenue, cost, fee)
        rows.append(row)
    return {
        "from": start,
        "to": end,
        "batches": rows,
        "materials": sorted(by_material.values(), key=lambda m: m["material_code"]),
        **totals,
    }
