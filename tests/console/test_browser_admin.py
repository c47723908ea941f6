"""An admin sets up in Chromium; every remaining page looked at (screenshots), in English and on a tablet too."""

from __future__ import annotations

import re

import pytest

from tests.console.live import shot

pytestmark = pytest.mark.browser
ADMIN = ("0800000001", "demo-admin-2026")


def login(page, live, who=ADMIN) -> None:  # noqa: ANN001
    page.goto(live.url + "/console/login")
    page.get_by_label("เบอร์โทรศัพท์").fill(who[0])
    page.get_by_label("รหัสผ่าน").fill(who[1])
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/console/$"))


def test_admin_setup_live_search_duplicate_warning_link_code_and_english(page, live) -> None:  # noqa: ANN001
    login(page, live)
    page.get_by_role("link", name="ตั้งค่าระบบ").click()
    page.get_by_label("ชื่อภาษาไทย").fill("บ้านห้วยเม็ง")
    page.get_by_label("หมู่ที่").fill("6")
    page.get_by_role("button", name="เพิ่มหมู่บ้าน").click()
    page.get_by_role("cell", name="บ้านห้วยเม็ง").first.wait_for()
    page.get_by_label("ชื่อ-นามสกุล").fill("นายเก็บ ขยะดี")
    page.get_by_label("เบอร์โทรศัพท์").fill("0899990001")
    page.get_by_label("บทบาท").select_option(label="ผู้เก็บขยะ")
    page.get_by_label("รหัสผ่านใหม่ (อย่างน้อย 8 ตัว)", exact=True).fill("collector-2026")
    page.get_by_role("button", name="เพิ่มบัญชี").click()
    page.get_by_role("cell", name="นายเก็บ ขยะดี", exact=True).wait_for()
    page.get_by_label("หักเข้ากองทุนสวัสดิการ (ส่วนหมื่น: 200 = 2%)").fill("abc")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    assert page.locator("#welfare_bp-err").is_visible()
    shot(page, "20-setup-error")
    page.get_by_label("หักเข้ากองทุนสวัสดิการ (ส่วนหมื่น: 200 = 2%)").fill("150")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    page.get_by_text("บันทึกแล้ว").wait_for()
    shot(page, "21-setup")

    # Live search (htmx): results appear while typing, no Enter needed.
    page.goto(live.url + "/console/members")
    page.get_by_label("ค้นหาสมาชิก").press_sequentially("บัวผัน", delay=30)
    page.get_by_role("link", name="นางบัวผัน ทองดี").wait_for()
    shot(page, "22-live-search")

    # Registering the same person again warns first.
    page.get_by_role("link", name="สมัครสมาชิกใหม่").click()
    page.get_by_label("ชื่อ-นามสกุล").fill("นางบัวผัน ทองดี")
    page.get_by_label("หมู่บ้าน/ชุมชน").select_option(label="ม.2 บ้านครึ่งเหนือ")
    page.get_by_label("ยินยอมตามประกาศความเป็นส่วนตัว (PDPA)").check()
    page.get_by_role("button", name="สมัครสมาชิก", exact=True).click()
    page.get_by_text("อาจเป็นสมาชิกซ้ำ").wait_for()
    shot(page, "23-duplicate-warning")

    # The existing member gets a code for the app.
    page.get_by_role("link", name=re.compile("นางบัวผัน ทองดี")).first.click()
    page.get_by_role("button", name="รหัสเชื่อมแอปสำหรับสมาชิก").click()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", page.locator("#link-code").inner_text())
    shot(page, "24-link-code")

    page.get_by_role("button", name="English").click()
    page.get_by_text("Today").first.wait_for()
    shot(page, "25-home-english")
    page.goto(live.url + "/console/prices")
    shot(page, "26-prices-english")
    page.get_by_role("button", name="ภาษาไทย").click()


def test_tablet_and_staff_edit_page(page, live) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 800, "height": 1280})
    login(page, live, ("0800000002", "demo-staff-2026"))
    shot(page, "30-tablet-home")
    page.get_by_label("ค้นหาสมาชิก").fill("สมชาย")
    page.get_by_label("ค้นหาสมาชิก").press("Enter")
    page.get_by_role("link", name="นายสมชาย ใจงาม").click()
    shot(page, "31-tablet-member")
    page.get_by_role("link", name="แก้ไขข้อมูล").click()
    page.get_by_label("พร้อมเพย์ (เบอร์โทรหรือเลขบัตรประชาชน)").fill("123")
    page.get_by_role("button", name="บันทึก").click()
    assert page.locator("#promptpay_id-err").is_visible()
    shot(page, "32-tablet-edit-error")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing overflows sideways
