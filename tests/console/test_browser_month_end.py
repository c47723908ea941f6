"""The treasurer's month end in Chromium: one staff member prepares, another approves with a fresh password,
half the PromptPay payouts are marked paid in bulk, one fails and is reissued as cash (a second person),
the cash list printed; every page screenshotted at 1366x768 into /tmp/shots-monthend."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from pickup.context import TicketContext
from tests.console.live import have_pdftoppm

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("MONTHEND_SHOTS", "/tmp/shots-monthend"))
TREASURER = ("0800000002", "demo-staff-2026")
CHECKER = ("0800000003", "demo-checker-2026")


def shot(page, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, live, who) -> None:  # noqa: ANN001
    page.goto(live.url + "/console/login")
    page.get_by_label("เบอร์โทรศัพท์").fill(who[0])
    page.get_by_label("รหัสผ่าน").fill(who[1])
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/console/$"))


def logout(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="ออกจากระบบ").click()


def credit_everyone(live) -> None:  # noqa: ANN001
    """Yesterday's weigh-ins at the counter for every member (the demo has none)."""
    from pickup import tickets
    from pricing.quotes import LineInput
    from recycle.db import UnitOfWork, utcnow
    from recycle.models import Household, Tenant, User
    from recycle.principal import Principal

    with UnitOfWork(live.sessions) as uow:
        db = uow.session
        tenant = db.scalar(select(Tenant))
        staff = db.scalar(select(User).where(User.phone == TREASURER[0]))
        who = Principal(staff.id, tenant.id, "staff")
        for i, h in enumerate(db.scalars(select(Household).order_by(Household.id)).all()):
            tickets.create_ticket(
                TicketContext(db, who, tenant, live.app.config["CARD_KEYS"]),
                tickets.TicketInput(
                    client_id=str(uuid.uuid4()),
                    collected_at=utcnow() - dt.timedelta(days=1),
                    household_id=h.id,
                    lines=[LineInput("PET_CLEAR", "A", 5000 + 700 * i)],
                    note="walk-in at the counter",
                ),
            )
        uow.commit()


def test_month_end_prepared_by_one_approved_by_another_paid_in_bulk_one_failed_and_reissued(page, live) -> None:  # noqa: ANN001
    credit_everyone(live)
    login(page, live, TREASURER)
    page.get_by_role("link", name="ปิดงวด", exact=True).click()
    yesterday = (dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(days=1)).date()
    page.get_by_label("วันสิ้นงวด").fill(yesterday.isoformat())
    shot(page, "01-month-end-start")
    page.get_by_role("button", name="เริ่มคำนวณการจ่ายเงิน").click()
    page.locator("#run-state", has_text="คำนวณแล้ว").wait_for()
    assert page.locator("#by-village tbody tr").count() >= 3
    assert page.locator("#by-member tbody tr").count() == 7
    shot(page, "02-run-preview")
    # the treasurer tries to approve her own run: refused, in Thai
    page.get_by_label("รหัสผ่านของคุณ (ยืนยันตัวตน)").fill(TREASURER[1])
    page.get_by_role("button", name="อนุมัติการจ่ายเงิน (เจ้าหน้าที่คนที่สอง)").click()
    page.get_by_text("อนุมัติเองไม่ได้").wait_for()
    shot(page, "03-self-approval-refused")
    run_url = page.url
    logout(page)

    login(page, live, CHECKER)
    page.goto(run_url)
    page.get_by_label("รหัสผ่านของคุณ (ยืนยันตัวตน)").fill(CHECKER[1])
    page.get_by_role("button", name="อนุมัติการจ่ายเงิน (เจ้าหน้าที่คนที่สอง)").click()
    page.get_by_text("อนุมัติแล้ว ลงบัญชีเรียบร้อย").wait_for()
    assert page.locator("img[alt^='PromptPay QR']").count() == 3
    shot(page, "04-payouts-qr")
    logout(page)

    login(page, live, TREASURER)
    page.goto(run_url + "/payouts")
    boxes = page.locator("input[name=payout_id]")
    assert boxes.count() == 3
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("เลขอ้างอิงธนาคาร").fill("KTB-20261124-01")
    page.get_by_role("button", name="บันทึกว่าจ่ายแล้ว (รายการที่เลือก)").click()
    page.get_by_text("บันทึกการจ่ายแล้ว: 2").wait_for()
    assert page.locator("tr[data-status=paid]").count() == 2
    shot(page, "05-paid-in-bulk")
    # the third transfer bounced: failed, then reissued as cash, which waits for the checker
    page.locator("#fix input[name=reason]").first.fill("บัญชีปลายทางปิดแล้ว")
    page.locator("#fix button", has_text="โอนไม่สำเร็จ").first.click()
    page.get_by_text("บันทึกว่าโอนไม่สำเร็จ").wait_for()
    page.locator("#fix select[name=method]").first.select_option("cash")
    page.locator("#fix button", has_text="ออกรายการจ่ายใหม่").first.click()
    page.get_by_text("ส่งคำขอแล้ว รอเจ้าหน้าที่คนที่สองอนุมัติ").wait_for()
    shot(page, "06-reissue-requested")
    logout(page)

    login(page, live, CHECKER)
    page.goto(run_url + "/payouts")
    page.locator("#pending input[type=password]").first.fill(CHECKER[1])
    page.locator("#pending button", has_text="อนุมัติ").first.click()
    page.get_by_text("อนุมัติแล้ว").first.wait_for()
    assert page.locator("tr[data-status=failed]").count() == 1
    assert page.locator("#payouts td", has_text="ออกรายการจ่ายใหม่ 1").count() == 1
    shot(page, "07-reissued-as-cash")

    pdf = page.request.get(run_url + "/cash-list.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "08-cash-list.pdf").write_bytes(pdf.body())
    text = subprocess.run(
        ["pdftotext", "-layout", str(SHOTS / "08-cash-list.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Signature" in text and "รวม 5 ราย" in text and "นายเสาร์ ศรีวงศ์" in text  # four cash members, the reissue
    if have_pdftoppm():
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(SHOTS / "08-cash-list.pdf"), str(SHOTS / "08-cash-list")], check=True)
    page.goto(live.url + "/console/month-end/bank-file-layout")
    shot(page, "09-bank-layout")
    page.goto(live.url + "/console/month-end")
    shot(page, "10-month-end-list")

    from enterprise import ledger_check
    from recycle.db import UnitOfWork

    with UnitOfWork(live.sessions) as uow:
        assert ledger_check.check(uow.session) == []


def test_council_report_pdf_totals_equal_the_ledger_and_the_welfare_page(page, live) -> None:  # noqa: ANN001
    """Runs after the month end above (same live server): the report of these days, checked against the books."""
    from sqlalchemy import func

    from recycle import ledger
    from recycle.db import UnitOfWork
    from recycle.ledger import LedgerAccount, LedgerTransaction, Posting

    login(page, live, TREASURER)
    page.get_by_role("link", name="รายงานสภา").click()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    page.get_by_label("ตั้งแต่วันที่").fill((today - dt.timedelta(days=3)).isoformat())
    page.get_by_label("ถึงวันที่").fill(today.isoformat())
    page.get_by_role("button", name="แสดง").click()
    page.locator("#m-bought").wait_for()
    shot(page, "11-council-report")
    href = page.locator("#council-pdf").get_attribute("href")
    pdf = page.request.get(live.url + "/console/reports/council" + href)
    assert pdf.headers["content-type"] == "application/pdf"
    (SHOTS / "12-council-report.pdf").write_bytes(pdf.body())
    text = subprocess.run(
        ["pdftotext", "-layout", str(SHOTS / "12-council-report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    if have_pdftoppm():
        subprocess.run(
            ["pdftoppm", "-r", "70", "-png", str(SHOTS / "12-council-report.pdf"), str(SHOTS / "12-council-report")], check=True
        )

    def total(code: str, kind: str | None = None) -> int:
        with UnitOfWork(live.sessions) as uow:
            stmt = (
                select(func.coalesce(func.sum(Posting.amount_satang), 0))
                .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
                .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
                .where(LedgerAccount.code == code)
            )
            if kind:
                stmt = stmt.where(LedgerTransaction.kind == kind)
            if code == ledger.PURCHASES:  # stock's own moves (Dr stock / Cr purchases) are not buying
                stmt = stmt.where(~LedgerTransaction.kind.startswith("stock_"))
            return int(uow.session.scalar(stmt))

    def baht(s: int) -> str:
        return f"{s // 100:,}.{s % 100:02d}"

    bought, paid = total(ledger.PURCHASES), total(ledger.PAYOUTS_PENDING, "payout")
    welfare_in = -total(ledger.WELFARE_FUND, "settlement")
    assert bought > 0 and paid > 0 and welfare_in > 0, (bought, paid, welfare_in)
    # pdftotext mangles some Thai vowels: the English half of each label finds the line
    lines = {ln.split("/")[1].split("  ")[0].strip(): ln.split()[-1] for ln in text.splitlines() if " / " in ln}
    assert lines.get("bought") == baht(bought), text
    assert lines.get("paid") == baht(paid)
    assert lines.get("welfare deducted") == baht(welfare_in)
    assert str(today.year + 543) in text
    page.get_by_role("link", name="สวัสดิการ", exact=True).click()
    page.locator("#fund-balance").wait_for()
    assert page.locator("#fund-balance").inner_text() == baht(welfare_in)
    page.get_by_label("เลขสมาชิก").first.fill("1")
    page.get_by_role("button", name="ตรวจสิทธิ์").click()
    page.locator("#eligibility").wait_for()
    shot(page, "13-welfare")


def test_stock_sale_batch_dispatched_settled_and_traced(page, live) -> None:  # noqa: ANN001
    """The weigh-ins above are in stock: sell part of it, dispatch, settle with the factory's figures."""
    from enterprise import buyers
    from recycle.db import UnitOfWork
    from recycle.models import Tenant, User
    from recycle.principal import Principal
    from tests.enterprise.stock_helpers import tax_id

    with UnitOfWork(live.sessions) as uow:
        db = uow.session
        tenant = db.scalar(select(Tenant))
        staff = db.scalar(select(User).where(User.phone == TREASURER[0]))
        buyers.create(
            db,
            Principal(staff.id, tenant.id, "staff"),
            buyers.BuyerInput(
                kind="factory",
                name="บริษัท รีไซเคิลเชียงราย จำกัด",
                tax_id=tax_id(),
                address="99 ม.1 อ.เมือง",
                material_codes=["PET_CLEAR"],
            ),
        )
        uow.commit()
    login(page, live, TREASURER)
    page.get_by_role("link", name="สต็อก", exact=True).click()
    page.locator("#inventory").wait_for()
    shot(page, "14-stock")
    page.get_by_label("วัสดุ 1").select_option("PET_CLEAR|A")
    page.locator("#f-amount-0").fill("40")
    page.get_by_role("button", name="สร้างล็อตขาย").click()
    page.locator("#batch-status", has_text="ร่าง").wait_for()
    page.get_by_label("ทะเบียนรถ").fill("1กข 1234")
    page.get_by_label("เลขที่ใบชั่งขาออก").fill("WB-2026-001")
    page.get_by_role("button", name="บันทึกการส่งออก").click()
    page.locator("#batch-status", has_text="ส่งออกแล้ว").wait_for()
    page.locator("input[name^=received_]").fill("39.4")
    page.locator("input[name^=deduction_]").fill("0.8")
    page.locator("input[name^=reason_]").fill("ความชื้น")
    page.locator("input[name^=price_]").fill("11.50")
    page.get_by_label("เลขที่ใบแจ้งยอดโรงงาน").fill("ST-001")
    page.get_by_role("button", name="ปิดการขายตามใบชั่งโรงงาน").click()
    page.locator("#batch-status", has_text="ปิดการขายแล้ว").wait_for()
    assert page.locator("#b-revenue").inner_text() == "443.90"  # (39.4 - 0.8) kg x 11.50
    assert page.locator("#trace-summary").inner_text().startswith(("5 ", "6 ", "7 "))
    shot(page, "15-batch-settled-traced")
