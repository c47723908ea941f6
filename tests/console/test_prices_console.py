"""Prices in the console: the board, new prices from a date, CSV import with a dry-run preview, chart, PDF."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from pricing.models import Price
from tests.console.conftest import WebClient
from tests.console.test_counter import pdf_page_size_mm, pdf_text

SHEET_HEAD = "material_code,grade,name_th,buy_price_thb,ref_sale_price_thb,effective_from\n"


def prices_count(db, tenant) -> int:
    return db.scalar(select(func.count(Price.id)).where(Price.tenant_id == tenant.id))


def upload(clerk: WebClient, text: str, action: str = "preview", encoding: str = "cp874"):  # noqa: ANN201
    clerk.get("/console/prices")
    return clerk.post(
        "/console/prices/import",
        {"file": (io.BytesIO(text.encode(encoding)), "ราคา.csv"), "action": action},
        content_type="multipart/form-data",
    )


def test_board_shows_prices_with_arrows_and_the_template_round_trips(clerk: WebClient, db, tenant, catalog) -> None:
    page = clerk.get("/console/prices").get_data(as_text=True)
    assert "PET_CLEAR ไทย" in page and "9.00" in page
    template = clerk.get("/console/prices/template.csv")
    assert template.mimetype == "text/csv" and template.data.startswith("\ufeff".encode())
    before = prices_count(db, tenant)
    resp = clerk.post(
        "/console/prices/import",
        {"file": (io.BytesIO(template.data), "t.csv"), "action": "apply"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and prices_count(db, tenant) == before + 5  # tomorrow's copy of every grade


def test_windows_874_sheet_with_a_bad_line_is_listed_by_line_then_a_good_one_applies(
    clerk: WebClient, db, tenant, catalog
) -> None:
    before = prices_count(db, tenant)
    bad = SHEET_HEAD + "PET_CLEAR,A,ขวดใส,9.50,12,01/12/2569\nALU_CAN,A,กระป๋อง,4o.00,,01/12/2569\n"
    resp = upload(clerk, bad)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "บรรทัด 3" in page and "4o.00" in page and "บรรทัด 2" not in page
    good = SHEET_HEAD + "PET_CLEAR,A,ขวดใส,9.50,12,01/12/2569\nALU_CAN,A,กระป๋อง,41.00,,01/12/2569\n"
    resp = upload(clerk, good)  # preview: listed, nothing saved
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "41.00" in page and "1 ธ.ค. 2569" in page and prices_count(db, tenant) == before
    assert upload(clerk, good, action="apply").status_code == 302
    assert prices_count(db, tenant) == before + 2


def test_unknown_material_is_an_error_of_its_line(clerk: WebClient, db, tenant, catalog) -> None:
    resp = upload(clerk, SHEET_HEAD + "PET_CLEAR,A,,9.50,,01/12/2569\nNOPE,A,,1,,01/12/2569\n", encoding="utf-8")
    assert resp.status_code == 422 and "บรรทัด 3" in resp.get_data(as_text=True)


def test_set_new_prices_from_a_day_and_errors_next_to_the_field(clerk: WebClient, db, tenant, catalog) -> None:
    clerk.get("/console/prices")
    before = prices_count(db, tenant)
    resp = clerk.post("/console/prices", {"effective_day": "01/01/2570", "p_PET_CLEAR_A": "abc"})
    assert resp.status_code == 422 and 'id="p_PET_CLEAR_A-err"' in clerk.page
    resp = clerk.post("/console/prices", {"effective_day": "01/01/2570", "p_PET_CLEAR_A": "9.75"})
    assert resp.status_code == 302 and prices_count(db, tenant) == before + 1
    newest = db.scalar(select(Price).where(Price.tenant_id == tenant.id).order_by(Price.effective_from.desc()).limit(1))
    assert newest.buy_price_satang == 975 and newest.effective_from.year == 2026 and newest.effective_from.month == 12
    # 00:00 on 1 Jan 2027 in Bangkok is 17:00 UTC on 31 Dec 2026


def test_history_chart_is_svg_and_board_is_an_a4_pdf(clerk: WebClient, catalog) -> None:
    assert "ประวัติราคา" in clerk.get("/console/prices/PET_CLEAR").get_data(as_text=True)
    svg = clerk.get("/console/prices/PET_CLEAR/chart.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data and "เกรด A".encode() in svg.data
    pdf = clerk.get("/console/prices/board.pdf")
    assert pdf_page_size_mm(pdf.data) == (210.0, 297.0) and "PET_CLEAR ไทย" in pdf_text(pdf.data)
