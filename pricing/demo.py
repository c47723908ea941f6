"""The demo catalog: a Thai waste bank's materials, grades and prices with a little history."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

from sqlalchemy.orm import Session

from pricing.catalog import GradeInput, MaterialInput, create_material
from pricing.models import Price
from recycle.db import utcnow
from recycle.models import Tenant

GRADE_TEXT = {
    "A": ("คัดแยกแล้ว สะอาด แห้ง", "Sorted, clean and dry"),
    "B": ("ปนกัน มีฉลาก/ฝา หรือสกปรก", "Mixed, labels or caps on, or dirty"),
}


def catalog_rows() -> list[dict[str, str]]:
    text = resources.files("pricing").joinpath("data/demo-catalog.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def seed_catalog(session: Session, tenant: Tenant, now: dt.datetime | None = None) -> None:
    """Prices from 60 days ago, and a change 7 days ago for some, so the board shows movement."""
    now = now or utcnow()
    by_code: dict[str, list[dict[str, str]]] = {}
    for row in catalog_rows():
        by_code.setdefault(row["code"], []).append(row)
    for order, (code, rows) in enumerate(by_code.items()):
        first = rows[0]
        grades = [GradeInput(r["grade"], *GRADE_TEXT.get(r["grade"], ("", ""))) for r in rows]
        material = create_material(
            session,
            tenant.id,
            MaterialInput(
                code=code,
                name_th=first["name_th"],
                name_en=first["name_en"],
                category=first["category"],
                unit=first["unit"],
                co2e_g_per_unit=int(first["co2e_avoided_g_per_kg"]),
                co2e_source=first["source"],
                grades=grades,
            ),
        )
        material.sort_order = order
        by_grade = {g.code: g for g in material.grades}
        for r in rows:
            buy, sale = int(r["buy_price_satang"]), int(r["ref_sale_price_satang"])
            grade = by_grade[r["grade"]]
            older = buy - (50 if order % 3 == 0 and buy >= 100 else -50 if order % 3 == 1 and buy else 0)
            session.add(
                Price(
                    tenant_id=tenant.id,
                    grade_id=grade.id,
                    buy_price_satang=older,
                    ref_sale_price_satang=sale,
                    effective_from=now - dt.timedelta(days=60),
                    source="seed",
                )
            )
            session.add(
                Price(
                    tenant_id=tenant.id,
                    grade_id=grade.id,
                    buy_price_satang=buy,
                    ref_sale_price_satang=sale,
                    effective_from=now - dt.timedelta(days=7),
                    source="seed",
                )
            )
    session.flush()


def start_from_template(session: Session, tenant: Tenant, user_id: int | None = None, now: dt.datetime | None = None) -> int:
    """A new waste bank's catalog from the template in one go: each material not yet in the catalog, with
    its grades and the template's prices from now (no made-up history). Returns how many were added."""
    from sqlalchemy import select

    from pricing.models import Material

    now = now or utcnow()
    have = set(session.scalars(select(Material.code).where(Material.tenant_id == tenant.id)))
    by_code: dict[str, list[dict[str, str]]] = {}
    for row in catalog_rows():
        by_code.setdefault(row["code"], []).append(row)
    added = 0
    for order, (code, rows) in enumerate(by_code.items()):
        if code in have:
            continue
        first = rows[0]
        material = create_material(
            session,
            tenant.id,
            MaterialInput(
                code=code,
                name_th=first["name_th"],
                name_en=first["name_en"],
                category=first["category"],
                unit=first["unit"],
                co2e_g_per_unit=int(first["co2e_avoided_g_per_kg"]),
                co2e_source=first["source"],
                grades=[GradeInput(r["grade"], *GRADE_TEXT.get(r["grade"], ("", ""))) for r in rows],
            ),
        )
        material.sort_order = order
        by_grade = {g.code: g for g in material.grades}
        for r in rows:
            session.add(
                Price(
                    tenant_id=tenant.id,
                    grade_id=by_grade[r["grade"]].id,
                    buy_price_satang=int(r["buy_price_satang"]),
                    ref_sale_price_satang=int(r["ref_sale_price_satang"]),
                    effective_from=now,
                    source="template",
                    created_by_user_id=user_id,
                )
            )
        added += 1
    session.flush()
    return added
