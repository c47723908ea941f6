"""A clerk's day at the counter in Chromium: log in, register a member, print her card (the QR scans through
the API), weigh her waste at the counter and print the receipt, redeem a reward for her."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from pickup.models import CollectionTicket
from recycle.db import UnitOfWork
from recycle.game.models import Reward
from recycle.models import Household, Tenant
from tests.console.live import pdf_to_pngs, shot

pytestmark = pytest.mark.browser
STAFF = ("0800000002", "demo-staff-2026")


def login(page, live) -> None:  # noqa: ANN001
    page.goto(live.url + "/console/login")
    shot(page, "01-login")
    page.get_by_label("เบอร์โทรศัพท์").fill(STAFF[0])
    page.get_by_label("รหัสผ่าน").fill(STAFF[1])
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/console/$"))


def test_clerk_registers_prints_weighs_and_redeems(page, live) -> None:  # noqa: ANN001
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    with UnitOfWork(live.sessions) as uow:  # the centre offers a reward (set up in the API by an admin)
        tenant_id = uow.session.scalar(select(Tenant.id).where(Tenant.slug == "khrueng"))
        uow.session.add(Reward(tenant_id=tenant_id, name_th="ถุงผ้ารักษ์โลก", name_en="Cloth bag", points_cost=20, stock=5))
        uow.commit()

    login(page, live)
    assert page.get_by_text("วันนี้").first.is_visible()
    shot(page, "02-home")

    page.get_by_role("link", name="สมัครสมาชิกใหม่").click()
    page.get_by_label("ชื่อ-นามสกุล").fill("ยายบุญมา ใจเย็น")
    page.get_by_label("หมู่บ้าน/ชุมชน").select_option(label="ม.3 บ้านแจมป๋อง")
    page.get_by_label("ที่อยู่").fill("7 หมู่ 3 ต.ครึ่ง")
    page.get_by_label("ลงนามยินยอมบนแบบฟอร์มกระดาษ (ไม่มีโทรศัพท์)").check()
    shot(page, "03-register")
    page.get_by_role("button", name="สมัครสมาชิก", exact=True).click()
    page.get_by_text("สมัครสมาชิกเรียบร้อย").wait_for()
    shot(page, "04-member")
    member_url = page.url
    household_id = int(member_url.rstrip("/").rsplit("/", 1)[1])

    # The card: the PDF's QR decodes to a card the API resolves to her.
    card_href = page.get_by_role("link", name="พิมพ์บัตรสมาชิก (PDF)").get_attribute("href")
    pdf = page.request.get(live.url + card_href)
    assert pdf.headers["content-type"] == "application/pdf"
    png = pdf_to_pngs(pdf.body(), "card", dpi=200)[0]
    found = pyzbar.decode(Image.open(png))
    assert len(found) == 1
    token = page.request.post(
        live.url + "/api/v1/auth/login", data={"tenant": "khrueng", "phone": STAFF[0], "password": STAFF[1]}
    ).json()["access_token"]
    scan = page.request.post(
        live.url + "/api/v1/scans", data={"qr": found[0].data.decode()}, headers={"Authorization": f"Bearer {token}"}
    )
    assert scan.ok and scan.json()["household"]["id"] == household_id

    # A USB scanner types the card text and Enter into the search box: straight to her page.
    page.goto(live.url + "/console/")
    page.get_by_label("ค้นหาสมาชิก").fill(found[0].data.decode())
    page.get_by_label("ค้นหาสมาชิก").press("Enter")
    page.wait_for_url(member_url)

    # Walk-in weigh-in; a double click records one ticket.
    page.get_by_role("link", name="รับซื้อที่ศูนย์").click()
    page.get_by_label("ขวดพลาสติกใส (PET) (A)", exact=True).fill("3.2")
    page.get_by_label("กระป๋องอลูมิเนียม").fill("0.85")
    shot(page, "05-walk-in")
    page.get_by_role("button", name="บันทึกรับซื้อ").dblclick()
    page.get_by_text("บันทึกรับซื้อแล้ว").wait_for()
    shot(page, "06-ticket")
    assert page.locator("#ticket-total").inner_text() == "62.80"
    with UnitOfWork(live.sessions) as uow:
        assert (
            uow.session.scalar(select(func.count(CollectionTicket.id)).where(CollectionTicket.household_id == household_id)) == 1
        )
    receipt = page.request.get(live.url + page.get_by_role("link", name="ใบเสร็จ 58 มม. (PDF)").get_attribute("href"))
    assert receipt.headers["content-type"] == "application/pdf"
    pdf_to_pngs(receipt.body(), "receipt-58mm", dpi=150)
    text = page.request.get(live.url + page.get_by_role("link", name=re.compile("ข้อความ")).get_attribute("href")).text()
    assert "กระป๋องอลูมิเนียม" in text

    # Redeem the bag for her with the points she just earned.
    page.goto(member_url)
    page.get_by_role("link", name="แลกของรางวัล").click()
    shot(page, "07-rewards")
    page.get_by_role("button", name="แลก ถุงผ้ารักษ์โลก").click()
    page.get_by_text("แลกของรางวัลแล้ว").wait_for()
    passbook = page.request.get(f"{live.url}/console/members/{household_id}/passbook.pdf")
    pdf_to_pngs(passbook.body(), "passbook-a5")
    page.goto(member_url)
    shot(page, "08-member-after")


def test_search_and_bad_card_message_in_thai(page, live) -> None:  # noqa: ANN001
    login(page, live)
    page.get_by_label("ค้นหาสมาชิก").fill("TN1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    page.get_by_label("ค้นหาสมาชิก").press("Enter")
    page.get_by_role("alert").wait_for()
    assert "บัตร" in page.get_by_role("alert").inner_text()
    page.get_by_label("ค้นหาสมาชิก").fill("สมชาย")
    page.get_by_label("ค้นหาสมาชิก").press("Enter")
    page.get_by_role("link", name="นายสมชาย ใจงาม").wait_for()
    shot(page, "09-search")
    with UnitOfWork(live.sessions) as uow:
        assert uow.session.scalar(select(func.count(Household.id))) >= 6


def test_clerk_imports_a_windows_874_price_sheet_bad_line_first(page, live, tmp_path) -> None:  # noqa: ANN001
    head = "material_code,grade,name_th,buy_price_thb,ref_sale_price_thb,effective_from\n"
    bad = tmp_path / "ราคา-ผิด.csv"
    bad.write_bytes((head + "PET_CLEAR,A,ขวดพลาสติกใส,9.50,12,01/12/2569\nALU_CAN,A,กระป๋อง,สี่สิบ,,01/12/2569\n").encode("cp874"))
    good = tmp_path / "ราคา.csv"
    good.write_bytes((head + "PET_CLEAR,A,ขวดพลาสติกใส,9.50,12,01/12/2569\nALU_CAN,A,กระป๋อง,41.00,,01/12/2569\n").encode("cp874"))
    login(page, live)
    page.get_by_role("link", name="ราคารับซื้อ").click()
    shot(page, "10-prices")
    page.get_by_label("ไฟล์ราคา (CSV จาก Excel)").set_input_files(str(bad))
    page.get_by_role("button", name="ตรวจสอบก่อน (ยังไม่บันทึก)").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "บรรทัด 3" in alert.inner_text() and "สี่สิบ" in alert.inner_text()
    shot(page, "11-import-errors")
    page.get_by_label("ไฟล์ราคา (CSV จาก Excel)").set_input_files(str(good))
    page.get_by_role("button", name="ตรวจสอบก่อน (ยังไม่บันทึก)").click()
    page.get_by_text("ไฟล์ถูกต้อง").wait_for()
    shot(page, "12-import-preview")
    page.get_by_label("ไฟล์ราคา (CSV จาก Excel)").set_input_files(str(good))
    page.get_by_role("button", name="บันทึกราคาจากไฟล์").click()
    page.get_by_text("บันทึกแล้ว: 2").wait_for()
    page.get_by_role("link", name="กระป๋องอลูมิเนียม").click()
    page.wait_for_function("document.querySelector('img.chart').complete && document.querySelector('img.chart').naturalWidth > 0")
    shot(page, "13-price-history")
    pdf = page.request.get(live.url + "/console/prices/board.pdf")
    pdf_to_pngs(pdf.body(), "price-board-a4", dpi=80)
