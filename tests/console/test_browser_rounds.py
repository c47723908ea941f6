"""A supervisor's round in Chromium: plan it for a collector picked by name, print the sheet, type in the paper
weights, hand it over with a typo and correct it; then a refused sync item fixed and accepted from the inbox."""

from __future__ import annotations

import re
import subprocess
import unicodedata
import uuid

import pytest
from sqlalchemy import select

from enterprise import stock
from pickup import pickups
from pickup.models import CollectionTicket, Round
from recycle.db import UnitOfWork, utcnow
from recycle.models import Household, Tenant, User
from recycle.principal import Principal
from tests.console.live import pdf_to_pngs, shot

pytestmark = pytest.mark.browser
STAFF = ("0800000002", "demo-staff-2026")
COLLECTOR = ("0800000004", "demo-collect-2026")


def login(page, live) -> None:  # noqa: ANN001
    page.goto(live.url + "/console/login")
    page.get_by_label("เบอร์โทรศัพท์").fill(STAFF[0])
    page.get_by_label("รหัสผ่าน").fill(STAFF[1])
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/console/$"))


def _requests_today(live, n: int = 3) -> list[tuple[int, str]]:
    """Three members phoned in for a pickup today (staff typed the requests)."""
    with UnitOfWork(live.sessions) as uow:
        db = uow.session
        tenant = db.scalar(select(Tenant).where(Tenant.slug == "khrueng"))
        staff = db.scalar(select(User).where(User.tenant_id == tenant.id, User.phone == STAFF[0]))
        who = Principal(staff.id, tenant.id, "staff")
        homes = list(
            db.scalars(
                select(Household)
                .where(Household.tenant_id == tenant.id, Household.lat.is_not(None))
                .order_by(Household.id)
                .offset(1)
                .limit(n)
            )
        )
        for h in homes:
            pickups.create(db, who, pickups.PickupInput(requested_date=tenant.local_date(), household_id=h.id))
        uow.commit()
        return [(h.id, h.name) for h in homes]


def _bare(text: str) -> str:
    """Thai as pdftotext gives it back: sara am split, marks reordered; compare the base letters only."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn")


def _pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return _bare(out)


def test_a_round_planned_printed_entered_from_paper_and_handed_over_with_a_correction(page, live) -> None:  # noqa: ANN001
    homes = _requests_today(live)
    login(page, live)
    page.get_by_role("link", name="รอบเก็บขยะ").click()
    for _, name in homes:
        assert page.get_by_text(name).first.is_visible()
    page.get_by_label("ผู้เก็บขยะ").select_option(label="บุญมี ขยันเก็บ (Collector) (0800000004)")
    shot(page, "r01-plan")
    page.get_by_role("button", name="จัดรอบเก็บขยะ").click()
    page.get_by_text("จัดรอบแล้ว").wait_for()
    assert page.locator("#round-collector").inner_text() == "บุญมี ขยันเก็บ (Collector)"
    assert page.locator("#round-status").inner_text() == "วางแผนแล้ว"
    assert page.locator("svg circle").count() == 3
    shot(page, "r02-round")
    round_id = int(re.search(r"/rounds/(\d+)", page.url).group(1))

    sheet = page.request.get(live.url + page.get_by_role("link", name=re.compile("พิมพ์ใบรอบ")).get_attribute("href"))
    assert sheet.headers["content-type"] == "application/pdf"
    pdf_to_pngs(sheet.body(), "r03-round-sheet", dpi=80)
    text = _pdf_text(sheet.body())
    for _, name in homes:
        assert _bare(name) in text
    assert _bare("ใบรอบเก็บขยะ") in text

    # The collector went out with the paper; back at the centre the clerk types the weights in.
    page.get_by_role("link", name="บันทึกน้ำหนักจากใบรอบกระดาษ").click()
    with UnitOfWork(live.sessions) as uow:
        stops = [(s.position, s.pickup_id) for s in uow.session.get(Round, round_id).stops]
    for _, pid in stops:
        page.locator(f"#f-s{pid}_PET_CLEAR_A").fill("2.5")
    page.locator(f"#f-s{stops[0][1]}_ALU_CAN_A").fill("1")
    shot(page, "r04-paper")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    page.get_by_text("บันทึกน้ำหนักจากใบรอบแล้ว").wait_for()
    assert page.locator("#round-status").inner_text() == "กำลังเก็บ"
    with UnitOfWork(live.sessions) as uow:
        tickets = list(uow.session.scalars(select(CollectionTicket).where(CollectionTicket.round_id == round_id)))
        assert len(tickets) == 3 and all(t.status == "active" for t in tickets)

    # The handover: PET typed as 0.75 instead of 7.5 -> flagged; corrected with a reason, stock follows.
    page.get_by_role("link", name="รับมอบขยะที่ศูนย์ (ชั่งซ้ำ)").click()
    page.locator("#f-m_PET_CLEAR_A").fill("0.75")
    page.locator("#f-m_ALU_CAN_A").fill("1")
    page.get_by_role("button", name="บันทึกการรับมอบ").click()
    page.locator("#ho-flag").wait_for()
    shot(page, "r05-handover-flagged")
    page.locator("form:has(input[value=correct]) #f-m_PET_CLEAR_A").fill("7.5")
    page.get_by_label("เหตุผล").fill("พิมพ์จุดทศนิยมผิดตำแหน่ง")
    page.get_by_role("button", name="แก้ไขการรับมอบ").click()
    page.get_by_text("แก้ไขการรับมอบแล้ว").first.wait_for()
    assert page.locator("#ho-flag").count() == 0
    assert page.get_by_text("0.750 กิโลกรัม → 7.500 กิโลกรัม").is_visible()
    shot(page, "r06-handover-corrected")
    page.get_by_role("link", name="รอบเก็บขยะ", exact=True).first.click()
    assert page.get_by_role("cell", name="รับมอบแล้ว").is_visible()
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name=re.compile("^Rounds · ")).wait_for()
    assert page.get_by_role("cell", name="Handed over").is_visible()
    shot(page, "r06b-rounds-english")
    page.get_by_role("button", name="ภาษาไทย").click()
    with UnitOfWork(live.sessions) as uow:
        tenant_id = uow.session.scalar(select(Tenant.id).where(Tenant.slug == "khrueng"))
        on_hand = {(r["material_code"], r["grade"]): r["on_hand"] for r in stock.inventory(uow.session, tenant_id)}
        assert on_hand[("PET_CLEAR", "A")] == 7500
        assert uow.session.get(Round, round_id).status == "completed"


def test_a_refused_sync_item_is_fixed_and_accepted_from_the_inbox(page, live) -> None:  # noqa: ANN001
    api = live.url + "/api/v1"
    token = page.request.post(
        api + "/auth/login", data={"tenant": "khrueng", "phone": COLLECTOR[0], "password": COLLECTOR[1]}
    ).json()["access_token"]
    cid = str(uuid.uuid4())
    item = {
        "client_id": cid,
        "collected_at": utcnow().isoformat(),
        "household_id": 987654,  # a mistyped member
        "lines": [{"material_code": "PET_CLEAR", "weight_g": 3200}, {"material_code": "ALU_CAN", "weight_g": 850}],
    }
    r = page.request.post(api + "/collections/sync", data={"items": [item]}, headers={"Authorization": f"Bearer {token}"})
    result = r.json()["results"][0]
    assert result["status"] == "rejected" and result["parked"] is True
    with UnitOfWork(live.sessions) as uow:
        member = uow.session.scalar(select(Household).where(Household.name == "นางแก้ว ครึ่งใต้"))
        member_no, member_id = member.member_no, member.id

    login(page, live)
    assert page.locator("#q-inbox").inner_text() == "1"
    shot(page, "r07-home-queues")
    page.locator("#q-inbox").click()
    page.get_by_role("link", name="เปิด").click()
    assert page.locator("#f-w_PET_CLEAR_A").input_value() == "3.200"  # the phone's weights, to fix only the member
    page.get_by_label("เลขสมาชิก (ที่ถูกต้อง)").fill(str(member_no))
    page.locator("#f-note").fill("ผู้เก็บพิมพ์เลขสมาชิกผิด")
    shot(page, "r08-inbox-item")
    page.get_by_role("button", name="แก้ไขและรับเป็นใบรับซื้อ").click()
    page.get_by_text("รับเป็นใบรับซื้อแล้ว").wait_for()
    assert page.get_by_text("ไม่มีรายการ").is_visible()
    with UnitOfWork(live.sessions) as uow:
        t = uow.session.scalar(select(CollectionTicket).where(CollectionTicket.client_id == cid))
        assert t is not None and t.household_id == member_id and t.status == "active" and t.weight_g == 4050
    again = page.request.post(
        api + "/collections/sync", data={"items": [item]}, headers={"Authorization": f"Bearer {token}"}
    ).json()["results"][0]
    assert again["status"] == "duplicate"
