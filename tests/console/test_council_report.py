"""The council report: its totals equal the ledger's, its tables as CSV and Excel, the PDF in Thai with B.E. dates."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from enterprise import council_report
from pickup.models import CollectionTicket
from recycle import ledger
from recycle.ledger import LedgerAccount, LedgerTransaction, Posting
from recycle.models import Tenant
from tests import factories
from tests.console.test_counter import pdf_text
from tests.console.test_month_end import _approved_run


def _sum(db, tenant, code, kind=None, sign=0):  # noqa: ANN001, ANN202
    stmt = (
        select(func.coalesce(func.sum(Posting.amount_satang), 0))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .where(LedgerAccount.tenant_id == tenant.id, LedgerAccount.code == code)
    )
    if kind:
        stmt = stmt.where(LedgerTransaction.kind == kind)
    if code == ledger.PURCHASES:  # stock's own moves (Dr stock / Cr purchases) are not buying
        stmt = stmt.where(~LedgerTransaction.kind.startswith("stock_"))
    return int(db.scalar(stmt))


def _period(tenant):  # noqa: ANN001, ANN202
    today = tenant.local_date()
    return today - dt.timedelta(days=5), today


def test_the_reports_totals_equal_the_ledgers(clerk, capp, db, tenant, catalog, client, auth, collector, staff):
    hs, run_id, _ = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    clerk.get(f"/console/month-end/{run_id}/payouts")
    from enterprise import month_end as me
    from enterprise.settlement_models import Payout
    from recycle.principal import Principal

    pp = [p.id for p in db.scalars(select(Payout).where(Payout.run_id == run_id, Payout.method == "promptpay"))]
    me.mark_paid_many(
        db, Principal(staff.id, tenant.id, "staff"), pp[:2], "promptpay", "R1", "0b0c0d0e-0000-4000-8000-000000000001"
    )
    db.flush()
    t = db.get(Tenant, tenant.id)
    start, end = _period(t)
    rep = council_report.build(db, t, start, end)
    assert rep.money["bought_satang"] == _sum(db, tenant, ledger.PURCHASES) > 0
    active = db.scalar(
        select(func.sum(CollectionTicket.total_satang)).where(
            CollectionTicket.tenant_id == tenant.id, CollectionTicket.status == "active"
        )
    )
    assert rep.money["bought_satang"] == active == sum(r["bought_satang"] for r in rep.by_material)
    assert rep.money["paid_satang"] == _sum(db, tenant, ledger.PAYOUTS_PENDING, "payout") > 0
    assert rep.money["welfare_deducted_satang"] == -_sum(db, tenant, ledger.WELFARE_FUND, "settlement") > 0
    assert rep.money["owed_pending_satang"] == -_sum(db, tenant, ledger.PAYOUTS_PENDING)
    assert rep.money["owed_unsettled_satang"] == sum(ledger.household_balance(db, tenant.id, h.id) for h in hs)
    assert rep.welfare["closing_satang"] == -_sum(db, tenant, ledger.WELFARE_FUND)
    village = next(v for v in rep.by_village if v["name_th"] == "บ้านหนองบัว")
    assert (village["active"], village["registered"], village["participation_pct"]) == (4, 4, 100.0)
    assert rep.weight_g == sum(v["weight_g"] for v in rep.by_village) == 2000 + 2500 + 3000 + 3500


def test_pdf_csv_and_excel_of_the_council_report(clerk, capp, db, tenant, catalog, client, auth, collector, staff):
    _hs, _run_id, _ = _approved_run(clerk, capp, db, tenant, client, auth, collector)
    start, end = _period(db.get(Tenant, tenant.id))
    q = f"from={start.isoformat()}&to={end.isoformat()}"
    page = clerk.get(f"/console/reports/council?{q}").get_data(as_text=True)
    assert "รายงานต่อสภา" in page and "บ้านหนองบัว" in page and str(end.year + 543) in page
    rep = council_report.build(db, db.get(Tenant, tenant.id), start, end)
    pdf = clerk.client.get(f"/console/reports/council?{q}&format=pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    from tests.console.test_browser_month_end import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "20-council-report.pdf").write_bytes(pdf.data)
    bought = rep.money["bought_satang"]
    assert f"{bought // 100:,}.{bought % 100:02d}" in text and str(end.year + 543) in text
    csv = clerk.client.get(f"/console/reports/council?{q}&format=csv&table=money").get_data(as_text=True)
    assert f"{bought // 100}.{bought % 100:02d}" in csv
    from openpyxl import load_workbook

    xlsx = clerk.client.get(f"/console/reports/council?{q}&format=xlsx")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert set(wb.sheetnames) == {"materials", "villages", "money", "welfare", "stock", "sales"}
    assert wb["money"]["B3"].value == bought / 100
    year = clerk.client.get(f"/console/reports/council?year={end.year}&format=pdf")
    assert year.status_code == 200 and year.mimetype == "application/pdf"
    assert clerk.client.get(f"/console/reports/council?from={end}&to={start}").status_code in (400, 422)


def test_reports_period_takes_local_dates_both_days_included_and_still_the_old_timestamps(
    client, db, auth, tenant, catalog, collector, staff
):
    from recycle.db import utcnow
    from tests.enterprise.settle_helpers import credit

    h = factories.HouseholdFactory(tenant=tenant)
    credit(client, auth(collector), h.id, 1000, at=utcnow())
    today = db.get(Tenant, tenant.id).local_date()
    by_day = client.get(
        "/api/v1/reports/period", headers=auth(staff), query_string={"from": today.isoformat(), "to": today.isoformat()}
    )
    assert by_day.status_code == 200 and by_day.json["bought_satang"] == 4000
    old = client.get(
        "/api/v1/reports/period",
        headers=auth(staff),
        query_string={
            "from": (utcnow() - dt.timedelta(hours=1)).isoformat(),
            "to": (utcnow() + dt.timedelta(minutes=1)).isoformat(),
        },
    )
    assert old.status_code == 200 and old.json["bought_satang"] == 4000
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    none = client.get("/api/v1/reports/period", headers=auth(staff), query_string={"from": yesterday, "to": yesterday})
    assert none.json["bought_satang"] == 0
    bad = client.get("/api/v1/reports/period", headers=auth(staff), query_string={"from": today.isoformat(), "to": yesterday})
    assert bad.status_code in (400, 422) and "to" in str(bad.json)
    margin = client.get(
        "/api/v1/reports/margin", headers=auth(staff), query_string={"from": today.isoformat(), "to": today.isoformat()}
    )
    assert margin.status_code == 200
