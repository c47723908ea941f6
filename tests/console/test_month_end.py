"""The treasurer's month end in the console: start, watch, review by village and member, a second person approves,
pay many with one bank reference, a failed transfer reissued (as cash: a second person), the cash list to sign."""

from __future__ import annotations

import re

from sqlalchemy import select

from enterprise import month_end
from enterprise.settlement_models import Payout, SettlementRun
from recycle import ledger
from recycle.principal import Principal
from tests import factories
from tests.console.conftest import WebClient
from tests.console.test_counter import pdf_text
from tests.enterprise.settle_helpers import credit, yesterday
from tests.ledger_assert import assert_ledger_sound


def _members(db, tenant, client, auth, collector, n=4):
    village = factories.VillageFactory(tenant_id=tenant.id, name_th="บ้านหนองบัว", moo=4)
    hs = []
    for i in range(n):
        pp = {"promptpay_id": f"08123456{i:02d}", "promptpay_kind": "mobile"} if i < n - 1 else {}
        h = factories.HouseholdFactory(tenant=tenant, village=village, **pp)
        credit(client, auth(collector), h.id, 2000 + 500 * i)
        hs.append(h)
    return hs


def _start(web: WebClient) -> int:
    web.get("/console/month-end")
    resp = web.post("/console/month-end/start", {"period_end": yesterday()})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def _second(capp, user) -> WebClient:
    other = WebClient(capp.test_client())
    assert other.login(user).status_code == 200
    return other


def test_prepare_review_self_approval_refused_second_person_approves(
    clerk, capp, db, tenant, catalog, client, auth, collector, staff
):
    hs = _members(db, tenant, client, auth, collector)
    run_id = _start(clerk)
    page = clerk.get(f"/console/month-end/{run_id}").get_data(as_text=True)
    assert "คำนวณแล้ว" in page and "บ้านหนองบัว" in page and hs[0].name in page
    run = db.get(SettlementRun, run_id)
    assert f"{run.net_satang // 100:,}" in page and run.welfare_satang > 0
    # the preparer tries to approve: refused in Thai, nothing posted
    resp = clerk.post(f"/console/month-end/{run_id}/approve", {"password": factories.PASSWORD}, follow_redirects=True)
    assert "อนุมัติเองไม่ได้" in resp.get_data(as_text=True)
    assert db.get(SettlementRun, run_id).status == "computed"
    checker = _second(capp, factories.veteran_staff(tenant))
    checker.get(f"/console/month-end/{run_id}")
    bad = checker.post(f"/console/month-end/{run_id}/approve", {"password": "wrong"}, follow_redirects=True)
    assert "รหัสผ่านไม่ถูกต้อง" in bad.get_data(as_text=True) and db.get(SettlementRun, run_id).status == "computed"
    ok = checker.post(f"/console/month-end/{run_id}/approve", {"password": factories.PASSWORD}, follow_redirects=True)
    assert "อนุมัติแล้ว" in ok.get_data(as_text=True)
    db.expire_all()
    assert db.get(SettlementRun, run_id).status == "approved"
    assert ledger.trial_balance(db, tenant.id) == 0


def _approved_run(clerk, capp, db, tenant, client, auth, collector):
    hs = _members(db, tenant, client, auth, collector)
    run_id = _start(clerk)
    checker = _second(capp, factories.veteran_staff(tenant))
    checker.get(f"/console/month-end/{run_id}")
    checker.post(f"/console/month-end/{run_id}/approve", {"password": factories.PASSWORD})
    db.expire_all()
    assert db.get(SettlementRun, run_id).status == "approved"
    return hs, run_id, checker


def test_half_paid_in_bulk_once_even_when_double_clicked_one_fails_and_is_reissued_as_cash(
    clerk, capp, db, tenant, catalog, client, auth, collector, staff
):
    hs, run_id, checker = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    page = clerk.get(f"/console/month-end/{run_id}/payouts").get_data(as_text=True)
    assert page.count('alt="PromptPay QR') == 3  # three members have PromptPay, one is paid in cash
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    pays = db.scalars(select(Payout).where(Payout.run_id == run_id, Payout.method == "promptpay").order_by(Payout.id)).all()
    half = [pays[0].id, pays[1].id]
    form = {"payout_id": [str(i) for i in half], "method": "promptpay", "reference": "KBANK-778899", "form_token": token}
    first = clerk.post(f"/console/month-end/{run_id}/mark-paid", form, follow_redirects=True)
    assert "บันทึกการจ่ายแล้ว: 2" in first.get_data(as_text=True)
    clerk.get(f"/console/month-end/{run_id}/payouts")
    clerk.post(f"/console/month-end/{run_id}/mark-paid", form, follow_redirects=True)  # the double click
    db.expire_all()
    assert [db.get(Payout, i).status for i in half] == ["paid", "paid"]
    payout_posts = db.scalars(select(ledger.LedgerTransaction).where(ledger.LedgerTransaction.kind == "payout")).all()
    assert len(payout_posts) == 2
    # the third transfer bounces; reissued as cash it waits for a second person
    third = pays[2]
    clerk.post(f"/console/payouts/{third.id}/fail", {"reason": "บัญชีปิดแล้ว"})
    clerk.get(f"/console/month-end/{run_id}/payouts")
    resp = clerk.post(f"/console/payouts/{third.id}/reissue", {"method": "cash", "reason": "ยายมารับเงินสด"}, follow_redirects=True)
    assert "รอเจ้าหน้าที่คนที่สองอนุมัติ" in resp.get_data(as_text=True)
    assert db.scalar(select(Payout).where(Payout.reissued_from_id == third.id)) is None
    page = checker.get(f"/console/month-end/{run_id}/payouts").get_data(as_text=True)
    rid = re.search(r'id="approve-(\d+)"', page).group(1)
    checker.post(
        f"/console/approvals/{rid}/decide",
        {"decision": "approve", "password": factories.PASSWORD, "back": f"/console/month-end/{run_id}/payouts"},
    )
    db.expire_all()
    new = db.scalar(select(Payout).where(Payout.reissued_from_id == third.id))
    assert new is not None and new.method == "cash" and new.status == "ready"
    pdf = clerk.client.get(f"/console/month-end/{run_id}/cash-list.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "ลายมือชื่อ" in text and third.household.name in text and hs[3].name in text
    assert assert_ledger_sound(db) is None


def test_mark_paid_many_skips_what_cannot_be_paid_and_repeats_harmlessly(
    clerk, capp, db, tenant, catalog, client, auth, collector, staff
):
    _hs, run_id, _ = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    ids = [p.id for p in db.scalars(select(Payout).where(Payout.run_id == run_id, Payout.status == "ready"))]
    who = Principal(staff.id, tenant.id, "staff")
    key = "6f1f0b0e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
    res = month_end.mark_paid_many(db, who, ids, "promptpay", "REF1", key)
    assert len(res.paid) == 3 and len(res.refused) == 1  # the cash payout is refused: paid against a signature
    again = month_end.mark_paid_many(db, who, ids, "promptpay", "REF1", key)
    assert sorted(again.paid) == sorted(res.paid)
    assert len(db.scalars(select(ledger.LedgerTransaction).where(ledger.LedgerTransaction.kind == "payout")).all()) == 3


def test_the_passbook_shows_gross_each_deduction_and_net_and_the_balance_stays_exact(
    clerk, capp, db, tenant, catalog, client, auth, collector, staff
):
    from enterprise import passbook_lines

    hs, run_id, _ = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    h = hs[0]
    pay = db.scalar(select(Payout).where(Payout.run_id == run_id, Payout.household_id == h.id))
    assert pay.welfare_satang > 0
    rows = db.execute(passbook_lines.statement(db, tenant.id, h.id)).mappings().all()
    by_part = {r["part"]: r for r in rows if r["part"]}
    assert by_part["gross"]["amount_satang"] == 0 and by_part["gross"]["gross_satang"] == pay.gross_satang
    assert by_part["welfare"]["amount_satang"] == -pay.welfare_satang
    assert by_part["net"]["amount_satang"] == -pay.net_satang
    assert "savings" not in by_part  # no savings deduction configured: no empty line
    assert rows[0]["part"] == "net" and rows[0]["balance_satang"] == ledger.household_balance(db, tenant.id, h.id) == 0
    assert by_part["welfare"]["balance_satang"] == pay.gross_satang - pay.welfare_satang
    page = clerk.get(f"/console/members/{h.id}").get_data(as_text=True)
    assert "หักเข้ากองทุนสวัสดิการ" in page and "จ่ายสุทธิ" in page
    api = client.get(f"/api/v1/households/{h.id}/wallet", headers=auth(staff)).json
    assert [e["part"] for e in api["entries"][:3]] == ["net", "welfare", "gross"]
    book = client.get(f"/api/v1/households/{h.id}/passbook", headers=auth(staff), query_string={"format": "csv"})
    assert "หักเข้ากองทุนสวัสดิการ" in book.get_data(as_text=True)
    from enterprise import ledger_check

    assert ledger_check.check(db, tenant.id) == []


def test_the_bank_file_follows_the_mapping_staff_saved(clerk, capp, db, tenant, catalog, client, auth, collector, staff):
    hs, run_id, _ = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    default = clerk.client.get(f"/console/month-end/{run_id}/bank-file.csv").get_data(as_text=True)
    assert default.splitlines()[0] == "\ufeffmember_no,name,promptpay_id,amount_thb,reference"
    clerk.get("/console/month-end/bank-file-layout")
    form = {
        "header": ["Receiver Name", "PromptPay ID", "Amount", "Ref", ""],
        "field": ["name", "promptpay_id", "amount_thb", "reference", ""],
        "delimiter": ";",
        "header_row": "1",
    }
    assert clerk.post("/console/month-end/bank-file-layout", form).status_code == 302
    lines = clerk.client.get(f"/console/month-end/{run_id}/bank-file.csv").get_data(as_text=True).splitlines()
    assert lines[0] == "\ufeffReceiver Name;PromptPay ID;Amount;Ref" and len(lines) == 4  # three PromptPay members
    pay = db.scalar(select(Payout).where(Payout.run_id == run_id, Payout.household_id == hs[0].id))
    assert f"{hs[0].name};{hs[0].promptpay_id};{pay.net_satang // 100}.{pay.net_satang % 100:02d};TN{run_id}-{pay.id}" in lines
    api = client.get(f"/api/v1/settlements/{run_id}/bank-file", headers=auth(staff)).get_data(as_text=True)
    assert api.splitlines()[0] == lines[0]  # the API's file is the same layout
    bad = clerk.post("/console/month-end/bank-file-layout", {"header": ["x"], "field": ["salary"], "delimiter": ","})
    assert bad.status_code == 422 and "ไม่รู้จักช่อง" in bad.get_data(as_text=True)  # in Thai, the clerk's language


def test_each_payouts_qr_on_screen_is_the_promptpay_payload_for_its_net(
    clerk, capp, db, tenant, catalog, client, auth, collector, staff
):
    import base64
    import io

    pyzbar = __import__("pytest").importorskip("pyzbar.pyzbar", reason="needs libzbar0")
    from PIL import Image

    from enterprise import promptpay

    _hs, run_id, _ = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    page = clerk.get(f"/console/month-end/{run_id}/payouts").get_data(as_text=True)
    rows = re.findall(r'<tr id="payout-(\d+)".*?src="data:image/png;base64,([^"]+)"', page, flags=re.S)
    assert len(rows) == 3
    for pid, data in rows:
        decoded = pyzbar.decode(Image.open(io.BytesIO(base64.b64decode(data))))[0].data.decode()
        pay = db.get(Payout, int(pid))
        parsed = promptpay.parse_payload(decoded)
        assert parsed["amount_satang"] == pay.net_satang and pay.household.promptpay_id[-9:] in decoded
