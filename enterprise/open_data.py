"""Open data in data.go.th's form: one CSV per month (month × village × material) and a CKAN-style metadata
document. Shared by the API and `thangngoen open-data export`; the figures are community_stats' (suppressed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enterprise import community_stats
from pickup.models import CollectionTicket
from recycle.db import utcnow
from recycle.errors import InvalidInput
from recycle.models import Tenant
from recycle.thai_dates import be_year

COLUMNS = (
    "month",
    "village_moo",
    "village_name_th",
    "village_name_en",
    "material_code",
    "material_name_th",
    "material_name_en",
    "material_category",
    "households",
    "weight_kg",
    "amount_paid_satang",
    "co2e_avoided_kg",
    "suppressed",
)
LICENSE = ("cc-by", "Creative Commons Attributions")


def parse_month(raw: str) -> tuple[int, int]:
    """'2026-11' (a B.E. year like '2569-11' is taken too)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", raw or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput.field("month", "give the month as YYYY-MM, e.g. 2026-11")
    year = int(m.group(1))
    year = year - 543 if year >= 2400 else year
    if not 1970 <= year <= 2999:
        raise InvalidInput.field("month", "no data for that year")
    return year, int(m.group(2))


def _kg(grams: int | None) -> str:
    if grams is None:
        return ""
    return f"{grams // 1000}.{grams % 1000:03d}"


def month_csv(session: Session, tenant: Tenant, year: int, month: int) -> str:
    """UTF-8 text (the caller adds a BOM if Excel needs one); suppressed cells are empty with suppressed=true."""
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    start, end = community_stats.month_bounds(year, month, tz)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for c in community_stats.cells(session, tenant, start, end):
        w.writerow(
            [
                c.month,
                c.village_moo or "",
                c.village_name_th,
                c.village_name_en,
                c.material_code,
                c.material_name_th,
                c.material_name_en,
                c.category,
                "" if c.households is None else c.households,
                _kg(c.weight_g),
                "" if c.amount_satang is None else c.amount_satang,
                _kg(c.co2e_g),
                "true" if c.suppressed else "false",
            ]
        )
    return out.getvalue()


def metadata(session: Session, tenant: Tenant, base_url: str = "", now: dt.datetime | None = None) -> dict:
    """The dataset's metadata with data.go.th's (CKAN) field names; Thai title and description."""
    now = now or utcnow()
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    first, last = session.execute(
        select(func.min(CollectionTicket.collected_at), func.max(CollectionTicket.collected_at)).where(
            CollectionTicket.tenant_id == tenant.id, CollectionTicket.status == "active"
        )
    ).one()
    first_local, last_local = (first or now).astimezone(tz), (last or now).astimezone(tz)
    months = []
    y, m = first_local.year, first_local.month
    while (y, m) <= (last_local.year, last_local.month) and len(months) < 240:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    contact = tenant.settings.get("open_data_contact", {}) if tenant.settings else {}
    base = f"{base_url.rstrip('/')}/api/v1/public/{tenant.slug}/open-data"
    return {
        "name": f"waste-bank-{tenant.slug}",
        "title": f"ปริมาณขยะรีไซเคิลที่รับซื้อโดยธนาคารขยะ {tenant.name_th} รายเดือน แยกตามหมู่บ้านและประเภทวัสดุ",
        "title_en": f"Recyclables bought by the {tenant.name_en} waste bank, monthly by village and material",
        "notes": (
            f"ปริมาณขยะแห้งที่ครัวเรือนสมาชิกธนาคารขยะ {tenant.name_th} คัดแยกและขาย (กิโลกรัม) จำนวนครัวเรือน "
            "เงินที่จ่ายให้สมาชิก (สตางค์) และปริมาณก๊าซเรือนกระจกที่ลดได้ (กิโลกรัมคาร์บอนไดออกไซด์เทียบเท่า) "
            "รายเดือน แยกตามหมู่บ้านและวัสดุ จำนวนครัวเรือนที่น้อยกว่า 5 ไม่เปิดเผย"
        ),
        "owner_org": tenant.slug,
        "maintainer": contact.get("name", tenant.name_th),
        "maintainer_email": contact.get("email", ""),
        "contact": {
            "name": contact.get("name", tenant.name_th),
            "email": contact.get("email", ""),
            "phone": contact.get("phone", ""),
        },
        "tags": ["ขยะ", "ธนาคารขยะ", "รีไซเคิล", "waste", "recycling", "CO2e"],
        "objective": "ยุทธศาสตร์ชาติ / เพื่อการบริการประชาชน / เพื่อการเปิดเผยข้อมูลต่อสาธารณะ",
        "update_frequency_unit": "เดือน",
        "update_frequency_interval": 1,
        "geo_coverage": "ตำบล",
        "data_source": tenant.name_th,
        "data_format": "CSV",
        "data_category": "ข้อมูลสาธารณะ",
        "data_classification": "เปิดเผย",
        "license_id": LICENSE[0],
        "license_title": LICENSE[1],
        "accessible_condition": "",
        "data_support": "",
        "data_collect": "ใบชั่งน้ำหนักขยะรายครัวเรือน รวมรายเดือน",
        "url": base + "/metadata.json",
        "first_year_of_data": be_year(first_local.year),
        "last_year_of_data": be_year(last_local.year),
        "disaggregate": ["หมู่บ้าน", "ประเภทวัสดุ", "เดือน"],
        "allow_harvest": "true",
        "language": ["th", "en"],
        "metadata_modified": now.isoformat(timespec="seconds"),
        "resources": [
            {
                "name": f"{mo}.csv",
                "format": "CSV",
                "url": f"{base}/{mo}.csv",
                "description": f"ข้อมูลเดือน {mo}",
                "columns": list(COLUMNS),
            }
            for mo in months
        ],
    }
