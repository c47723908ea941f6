"""The counter through the test client: find, register (duplicates, consent, double submit), edit, cards, weigh-in."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from pickup.models import CollectionTicket
from recycle import households, ledger
from recycle.models import AuditEntry, Household
from recycle.money import format_baht
from tests import factories
from tests.console.conftest import WebClient, token_of

if os.environ.get("REQUIRE_ZBAR"):
    from pyzbar import pyzbar
else:
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="needs the zbar library (apt-get install libzbar0)")


def pdf_pages_png(pdf: bytes, dpi: int = 200) -> list[Path]:
    out = Path(tempfile.mkdtemp())
    (out / "in.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(out / "in.pdf"), str(out / "page")], check=True)
    return sorted(out.glob("page*.png"))


def pdf_text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


def pdf_page_size_mm(pdf: bytes) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
    line = next(x for x in info.splitlines() if x.startswith("Page size"))
    w, h = (float(v) for v in line.split(":")[1].split("pts")[0].split(" x "))
    assert "Pages:           1" in info  # a receipt or a card is one page
    return round(w * 25.4 / 72, 1), round(h * 25.4 / 72, 1)


def register_form(web: WebClient, village, **over) -> dict:
    web.get("/console/members/new")
    data = {
        "name": "ยายจันทร์ แสงคำ",
        "village_id": str(village.id),
        "address": "3 หมู่ 3",
        "phone": "",
        "promptpay_id": "",
        "paper_consent": "1",
        "form_token": token_of(web.page),
    }
    data.update(over)
    return data


@pytest.fixture
def village(tenant):  # noqa: ANN201
    return factories.VillageFactory(tenant_id=tenant.id, name_th="บ้านครึ่งใต้", moo=1)


def count(db, tenant) -> int:
    return db.scalar(select(func.count(Household.id)).where(Household.tenant_id == tenant.id))


def test_register_member_with_paper_consent_then_find_by_name_number_and_phone(clerk: WebClient, db, tenant, village) -> None:
    resp = clerk.post("/console/members/new", register_form(clerk, village, phone="081-234-5678"), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "สมัครสมาชิกเรียบร้อย" in page and "ยายจันทร์ แสงคำ" in page
    h = db.scalar(select(Household).where(Household.tenant_id == tenant.id))
    assert h.consent_at is not None and h.phone == "0812345678"
    consent = db.scalar(select(AuditEntry).where(AuditEntry.action == "household.consent"))
    assert consent.detail["form"] == "paper"
    for q in ("จันทร์", h.member_code, str(h.member_no), "0812345678"):
        assert "ยายจันทร์ แสงคำ" in clerk.get(f"/console/members?q={q}").get_data(as_text=True), q


def test_consent_is_required_and_shown_next_to_the_field(clerk: WebClient, db, tenant, village) -> None:
    resp = clerk.post("/console/members/new", register_form(clerk, village, paper_consent=""))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="consent-err"' in page and count(db, tenant) == 0
    assert 'value="ยายจันทร์ แสงคำ"' in page  # what was typed stays


def test_same_name_in_the_village_warns_before_a_second_registration(clerk: WebClient, db, tenant, village) -> None:
    households.register(db, tenant, households.HouseholdInput(name="ยายจันทร์  แสงคำ", village_id=village.id))
    resp = clerk.post("/console/members/new", register_form(clerk, village))
    assert resp.status_code == 422 and "อาจเป็นสมาชิกซ้ำ" in resp.get_data(as_text=True) and count(db, tenant) == 1
    form = register_form(clerk, village, confirm_duplicate="1")
    assert clerk.post("/console/members/new", form).status_code == 302 and count(db, tenant) == 2


def test_same_phone_warns(clerk: WebClient, db, tenant, village) -> None:
    households.register(db, tenant, households.HouseholdInput(name="คนอื่น", village_id=village.id, phone="0899999999"))
    resp = clerk.post("/console/members/new", register_form(clerk, village, name="นายใหม่", phone="0899999999"))
    assert resp.status_code == 422 and "อาจเป็นสมาชิกซ้ำ" in resp.get_data(as_text=True)


def test_double_submitted_registration_has_one_effect(clerk: WebClient, db, tenant, village) -> None:
    form = register_form(clerk, village)
    first = clerk.post("/console/members/new", form)
    second = clerk.post("/console/members/new", form)  # the same page posted again (double click, back + resend)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, tenant) == 1


@pytest.mark.parametrize(
    "name,stored",
    [
        ("นาง\u0000บัว\u200bผัน\u0007 ทองดี", "นางบัวผัน ทองดี"),
        ("Grandma 👵🏽 Ying", "Grandma 👵🏽 Ying"),
        ("  ก  ข  ", "ก ข"),
    ],
)
def test_names_are_cleaned_of_control_characters_and_keep_emoji(clerk: WebClient, db, tenant, village, name, stored) -> None:
    assert clerk.post("/console/members/new", register_form(clerk, village, name=name)).status_code == 302
    assert db.scalar(select(Household.name).where(Household.tenant_id == tenant.id)) == stored


def test_too_long_name_is_refused_next_to_the_field(clerk: WebClient, db, tenant, village) -> None:
    resp = clerk.post("/console/members/new", register_form(clerk, village, name="ก" * 201))
    assert resp.status_code == 422 and 'id="name-err"' in resp.get_data(as_text=True) and count(db, tenant) == 0


def test_expired_session_keeps_the_typed_form(capp, clerk: WebClient, db, tenant, village, staff) -> None:
    form = register_form(clerk, village, name="นายรอ นาน")
    with clerk.client.session_transaction() as s:
        s["console_seen"] = 0  # idle since 1970
    resp = clerk.post("/console/members/new", form)
    assert resp.status_code == 302 and "/console/login" in resp.headers["Location"] and count(db, tenant) == 0
    assert "หมดเวลา" in clerk.get(resp.headers["Location"]).get_data(as_text=True)
    page = clerk.login(staff).get_data(as_text=True)  # back on the form after logging in again
    assert 'value="นายรอ นาน"' in page and form["form_token"] in page
    assert clerk.post("/console/members/new", {k: v for k, v in form.items()}).status_code == 302
    assert count(db, tenant) == 1


def test_edit_promptpay_and_deactivate_with_fresh_password(clerk: WebClient, db, tenant, village) -> None:
    h = households.register(db, tenant, households.HouseholdInput(name="นายแก้ไข", village_id=village.id))
    clerk.get(f"/console/members/{h.id}/edit")
    form = {
        "name": "นายแก้ไข ใหม่",
        "village_id": str(village.id),
        "promptpay_id": "0812345678",
        "form_token": token_of(clerk.page),
    }
    assert clerk.post(f"/console/members/{h.id}/edit", {**form, "promptpay_id": "12345"}).status_code == 422
    assert 'id="promptpay_id-err"' in clerk.page
    assert clerk.post(f"/console/members/{h.id}/edit", form).status_code == 302
    db.refresh(h)
    assert h.promptpay_id == "0812345678" and h.name == "นายแก้ไข ใหม่"
    clerk.get(f"/console/members/{h.id}")
    page = clerk.post(f"/console/members/{h.id}/deactivate", {"password": "wrong"}, follow_redirects=True).get_data(as_text=True)
    assert "เบอร์โทรหรือรหัสผ่านไม่ถูกต้อง" in page and h.active
    clerk.post(f"/console/members/{h.id}/deactivate", {"password": factories.PASSWORD, "reason": "ย้ายบ้าน"})
    db.refresh(h)
    assert not h.active


def test_card_pdf_qr_decodes_to_a_card_the_api_scans(capp, clerk: WebClient, db, tenant, village, staff, auth) -> None:
    h = households.register(db, tenant, households.HouseholdInput(name="นางบัวผัน ทองดี", village_id=village.id))
    resp = clerk.get(f"/console/members/{h.id}/card.pdf")
    assert resp.mimetype == "application/pdf" and pdf_page_size_mm(resp.data) == (210.0, 297.0)
    assert "นางบัวผัน ทองดี" in pdf_text(resp.data)
    found = pyzbar.decode(Image.open(pdf_pages_png(resp.data)[0]))
    assert len(found) == 1
    scan = capp.test_client().post("/api/v1/scans", json={"qr": found[0].data.decode()}, headers=auth(staff))
    assert scan.status_code == 200 and scan.json["household"]["id"] == h.id
    sheet = clerk.get(f"/console/villages/{village.id}/cards.pdf")
    assert sheet.mimetype == "application/pdf" and "นางบัวผัน ทองดี" in pdf_text(sheet.data)


def test_scanned_card_jumps_to_the_member_and_bad_cards_say_why_in_thai(capp, clerk: WebClient, db, tenant, village) -> None:
    secret = capp.config["CARD_KEYS"]  # what a printed card is signed with (the console once read cards with the login key)
    h = households.register(db, tenant, households.HouseholdInput(name="นายสแกน", village_id=village.id))
    token = households.card_token(secret, h)
    resp = clerk.get(f"/console/members?q={token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/console/members/{h.id}")
    other = factories.HouseholdFactory()  # another waste bank's member
    page = clerk.get(f"/console/members?q={households.card_token(secret, other)}").get_data(as_text=True)
    assert "บัตรนี้เป็นของธนาคารขยะอื่น" in page
    h.qr_version += 1
    db.flush()
    page = clerk.get(f"/console/members?q={token}").get_data(as_text=True)
    assert "บัตรนี้ถูกยกเลิกแล้ว" in page


def test_other_tenants_member_is_404(clerk: WebClient) -> None:
    other = factories.HouseholdFactory()
    assert clerk.get(f"/console/members/{other.id}").status_code == 404


def test_walk_in_weigh_in_credits_the_member_and_prints_a_58mm_receipt(clerk: WebClient, db, tenant, village, catalog) -> None:
    h = households.register(db, tenant, households.HouseholdInput(name="นายชั่ง", village_id=village.id))
    clerk.get(f"/console/members/{h.id}/weigh-in")
    form = {"form_token": token_of(clerk.page), "w_PET_CLEAR_A": "3.2", "w_ALU_CAN_A": "0.85", "w_BOTTLE_A": "4"}
    first = clerk.post(f"/console/members/{h.id}/weigh-in", form)
    again = clerk.post(f"/console/members/{h.id}/weigh-in", form)  # double click
    assert first.status_code == again.status_code == 302 and first.headers["Location"] == again.headers["Location"]
    tickets = db.scalars(select(CollectionTicket).where(CollectionTicket.household_id == h.id)).all()
    assert len(tickets) == 1 and tickets[0].channel == "walk_in"
    total = 3200 * 900 // 1000 + 850 * 4000 // 1000 + 4 * 30
    assert tickets[0].total_satang == total and ledger.household_balance(db, tenant.id, h.id) == total
    page = clerk.get(first.headers["Location"]).get_data(as_text=True)
    assert "PET_CLEAR ไทย" in page
    pdf = clerk.get(f"/console/tickets/{tickets[0].id}/receipt.pdf")
    width, height = pdf_page_size_mm(pdf.data)
    assert pdf.mimetype == "application/pdf" and width == 58.0
    assert 60 < height < 200  # cut to its content: no roll wasted
    text = pdf_text(pdf.data)
    assert format_baht(total) in text  # the total at the bottom is on the page, not cut off
    assert "PET_CLEAR ไทย" in text and "นายชั่ง" in text and str(tickets[0].collected_at.year + 543) in text
    txt = clerk.get(f"/console/tickets/{tickets[0].id}/receipt.txt").get_data(as_text=True)
    assert "ALU_CAN ไทย" in txt and all(len(line) <= 32 for line in txt.splitlines())
    home = clerk.get("/console/").get_data(as_text=True)  # today's numbers on the home page
    assert 'id="t-weigh-ins">1<' in home and 'id="t-kg">4.050<' in home
    assert f'id="t-owed">{total // 100}.{total % 100:02d}<' in home


def test_walk_in_bad_weight_is_shown_next_to_the_field(clerk: WebClient, db, tenant, village, catalog) -> None:
    h = households.register(db, tenant, households.HouseholdInput(name="นายผิด", village_id=village.id))
    clerk.get(f"/console/members/{h.id}/weigh-in")
    resp = clerk.post(f"/console/members/{h.id}/weigh-in", {"form_token": token_of(clerk.page), "w_PET_CLEAR_A": "1.2345"})
    assert resp.status_code == 422 and 'id="w_PET_CLEAR_A-err"' in clerk.page and 'value="1.2345"' in clerk.page
    resp = clerk.post(f"/console/members/{h.id}/weigh-in", {"form_token": token_of(clerk.page)})
    assert resp.status_code == 422 and "อย่างน้อยหนึ่งรายการ" in clerk.page


def test_passbook_prints_on_a5(clerk: WebClient, db, tenant, village) -> None:
    h = households.register(db, tenant, households.HouseholdInput(name="นายสมุด", village_id=village.id))
    pdf = clerk.get(f"/console/members/{h.id}/passbook.pdf")
    assert pdf.mimetype == "application/pdf" and pdf_page_size_mm(pdf.data) == (148.0, 210.0)
    assert "นายสมุด" in pdf_text(pdf.data)


def test_nul_and_control_characters_anywhere_are_no_server_error(
    web: WebClient, clerk: WebClient, db, tenant, village, staff
) -> None:
    h = households.register(db, tenant, households.HouseholdInput(name="นายทน", village_id=village.id))
    assert clerk.get("/console/members?q=%00%07ทน").status_code == 200
    clerk.get(f"/console/members/{h.id}/edit")
    resp = clerk.post(
        f"/console/members/{h.id}/edit",
        {"name": "นายทน", "village_id": str(village.id), "promptpay_id": "08\x001234567", "form_token": token_of(clerk.page)},
    )
    assert resp.status_code in (302, 422)
    clerk.get(f"/console/members/{h.id}")
    clerk.post(f"/console/members/{h.id}/deactivate", {"password": factories.PASSWORD, "reason": "ย้าย\x00ออก"})
    db.refresh(h)
    assert not h.active
    web2 = WebClient(clerk.client.application.test_client())
    web2.get("/console/login")
    assert web2.post("/console/login", {"tenant": "x\x00y", "phone": "08\x00", "password": "p"}).status_code in (401, 404)
