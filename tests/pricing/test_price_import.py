"""Importing a whole price sheet, as Thai Excel exports it."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from pricing.models import Price
from recycle.db import utcnow

THAI_SHEET = 'รหัสวัสดุ,เกรด,ราคารับซื้อ,ราคาขาย,มีผล\r\nPET_CLEAR,A,9.50,11.50,{d}\r\nPET_CLEAR,B,6.25,,{d}\r\nALU_CAN,A,"40.50",46.00,{d}\r\nBOTTLE,A,0.30,"1,000.00",{d}\r\n'


def tomorrow() -> str:
    return (utcnow() + dt.timedelta(days=2)).date().isoformat()


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(Price))


def test_a_windows_874_sheet_from_thai_excel_imports(client, db, auth, staff, catalog):
    data = THAI_SHEET.format(d=tomorrow()).encode("cp874")
    r = client.post("/api/v1/prices/import", headers=auth(staff), data=data, content_type="text/csv")
    assert r.status_code == 201, r.json
    got = {(p["material_code"], p["grade"]): (p["buy_price_satang"], p["ref_sale_price_satang"]) for p in r.json["prices"]}
    assert got == {
        ("PET_CLEAR", "A"): (950, 1150),
        ("PET_CLEAR", "B"): (625, 1150),
        ("ALU_CAN", "A"): (4050, 4600),
        ("BOTTLE", "A"): (30, 100000),
    }


def test_multipart_upload_and_dry_run(client, db, auth, staff, catalog):
    before = count(db)
    data = THAI_SHEET.format(d=tomorrow()).encode("utf-8-sig")
    r = client.post(
        "/api/v1/prices/import?dry_run=true",
        headers=auth(staff),
        data={"file": (io.BytesIO(data), "prices.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and len(r.json["prices"]) == 4, r.json
    assert count(db) == before  # a dry run applies nothing
    r = client.post(
        "/api/v1/prices/import",
        headers=auth(staff),
        data={"file": (io.BytesIO(data), "prices.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and count(db) == before + 4


def test_one_bad_row_applies_nothing_and_names_the_line(client, db, auth, staff, catalog):
    before = count(db)
    sheet = THAI_SHEET.format(d=tomorrow()) + "PET_CLEAR,A,9,50,,\r\nNOPE,A,1,,\r\n"
    r = client.post("/api/v1/prices/import", headers=auth(staff), data=sheet.encode(), content_type="text/csv")
    assert r.status_code == 422 and "line 6" in r.json["errors"]
    sheet = THAI_SHEET.format(d=tomorrow()) + "NOPE,A,1,,\r\n"
    r = client.post("/api/v1/prices/import", headers=auth(staff), data=sheet.encode(), content_type="text/csv")
    assert r.status_code == 422 and "line 6.material_code" in r.json["errors"], r.json
    r = client.post("/api/v1/prices/import", headers=auth(staff), data=b"code,price\nPET,9\n", content_type="text/csv")
    assert r.status_code == 422 and "header" in r.json["errors"]
    r = client.post("/api/v1/prices/import", headers=auth(staff), data=b"\xff\xfe\xfd\xdb\xdc", content_type="text/csv")
    assert r.status_code == 422 and "file" in r.json["errors"]
    sheet = THAI_SHEET.format(d=(utcnow() - dt.timedelta(days=3)).date().isoformat())
    r = client.post("/api/v1/prices/import", headers=auth(staff), data=sheet.encode(), content_type="text/csv")
    assert r.status_code == 422 and any(k.endswith("effective_from") for k in r.json["errors"])
    assert count(db) == before
