"""The welfare fund at the console: balance and contributions, eligibility, a disbursement asked by one, approved by another."""

from __future__ import annotations

import re

from enterprise import ledger_check, welfare
from tests import factories
from tests.console.test_month_end import _approved_run
from tests.enterprise.settle_helpers import credit


def test_welfare_fund_balance_eligibility_and_a_two_person_disbursement(
    clerk, capp, db, tenant, catalog, client, auth, collector, staff
):
    regular = factories.HouseholdFactory(tenant=tenant)
    for _ in range(3):
        credit(client, auth(collector), regular.id, 2000)  # three deposits, 240 THB: eligible
    hs, run_id, checker = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    fund = welfare.fund_balance(db, tenant.id)
    assert fund > 0
    page = clerk.get("/console/welfare").get_data(as_text=True)
    assert f"{fund // 100}.{fund % 100:02d}" in page and regular.name in page
    ok = clerk.get(f"/console/welfare?check={regular.member_no}").get_data(as_text=True)
    assert "มีสิทธิ์" in ok and "ยังไม่มีสิทธิ์" not in ok
    assert "ยังไม่มีสิทธิ์" in clerk.get(f"/console/welfare?check={hs[0].member_no}").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', clerk.page).group(1)
    too_much = clerk.post(
        "/console/welfare/request",
        {"member_no": str(regular.member_no), "amount": "9999", "reason": "ค่าทำศพ", "method": "cash", "form_token": token},
    )
    assert too_much.status_code == 422 and "มากกว่าเงินในกองทุน" in too_much.get_data(as_text=True)
    form = {"member_no": str(regular.member_no), "amount": "3.00", "reason": "ช่วยค่าทำศพ", "method": "cash", "form_token": token}
    assert clerk.post("/console/welfare/request", form).status_code == 302
    clerk.get("/console/welfare")
    clerk.post("/console/welfare/request", form)  # the double click: the same request
    page = clerk.get("/console/welfare").get_data(as_text=True)
    rid = re.findall(r'id="approve-(\d+)"', page)
    assert len(rid) == 1
    own = clerk.post(
        f"/console/approvals/{rid[0]}/decide",
        {"decision": "approve", "password": factories.PASSWORD, "back": "/console/welfare"},
        follow_redirects=True,
    )
    assert "อนุมัติเองไม่ได้" in own.get_data(as_text=True)
    assert welfare.fund_balance(db, tenant.id) == fund
    checker.get("/console/welfare")
    checker.post(
        f"/console/approvals/{rid[0]}/decide", {"decision": "approve", "password": factories.PASSWORD, "back": "/console/welfare"}
    )
    db.expire_all()
    assert welfare.fund_balance(db, tenant.id) == fund - 300
    assert "ช่วยค่าทำศพ" in clerk.get("/console/welfare").get_data(as_text=True)
    assert ledger_check.check(db, tenant.id) == []
