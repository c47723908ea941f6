"""The treasurer's month end: one exact run, checked by a second person, never paying anyone twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from enterprise import promptpay, settlements
from enterprise.settlement_models import Payout
from recycle import ledger
from recycle.db import utcnow
from recycle.principal import Principal
from tests import factories
from tests.enterprise.settle_helpers import credit, today, yesterday
from tests.ledger_assert import assert_ledger_sound


def run_and_payouts(client, headers, period_end):
    r = client.post("/api/v1/settlements", headers=headers, json={"period_end": period_end})
    assert r.status_code == 202, r.json
    run = client.get(f"/api/v1/settlements/{r.json['id']}", headers=headers).json
    pays = client.get(f"/api/v1/settlements/{run['id']}/payouts", headers=headers, query_string={"per_page": 200}).json["items"]
    return run, {p["household_id"]: p for p in pays}


def test_a_run_computes_deductions_and_carries_small_amounts(client, db, auth, tenant, catalog, collector, staff):
    rich, poor = (
        factories.HouseholdFactory(tenant=tenant, promptpay_id="0812345678", promptpay_kind="mobile"),
        factories.HouseholdFactory(tenant=tenant),
    )
    credit(client, auth(collector), rich.id, 1797)  # 7188 satang
    credit(client, auth(collector), poor.id, 300)  # 1200 satang: below the 20 THB minimum
    run, pays = run_and_payouts(client, auth(staff), yesterday())
    assert run["status"] == "computed"
    r = pays[rich.id]
    # welfare 2% of 7188 = 143.76 -> 144 (half up); net 7044
    assert (r["gross_satang"], r["welfare_satang"], r["net_satang"], r["status"], r["method"]) == (
        7188,
        144,
        7044,
        "computed",
        "promptpay",
    )
    p = pays[poor.id]
    assert (p["status"], p["welfare_satang"], p["net_satang"]) == ("carried", 0, 1200)
    assert (run["households"], run["net_satang"], run["carried_satang"], run["welfare_satang"]) == (2, 7044, 1200, 144)


def test_maker_checker_with_a_fresh_login(client, db, auth, tenant, catalog, collector, staff):
    checker = factories.UserFactory(tenant=tenant, role="staff")
    hid = factories.HouseholdFactory(tenant=tenant).id
    credit(client, auth(collector), hid, 5000)
    run, _ = run_and_payouts(client, auth(staff), yesterday())
    r = client.post(f"/api/v1/settlements/{run['id']}/approve", headers=auth(staff))
    assert r.status_code == 403 and r.json["type"].endswith("maker_checker")
    login = client.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "phone": checker.phone, "password": factories.PASSWORD}
    ).json
    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": "Bearer " + login["refresh_token"]}).json
    stale = client.post(
        f"/api/v1/settlements/{run['id']}/approve",
        headers={"Authorization": "Bearer " + refreshed["access_token"], "Accept-Language": "en"},
    )
    assert stale.status_code == 401 and "fresh" in stale.json["detail"]
    fresh = {"Authorization": "Bearer " + login["access_token"]}
    ok = client.post(f"/api/v1/settlements/{run['id']}/approve", headers=fresh)
    assert ok.status_code == 200 and ok.json["status"] == "approved"
    assert client.post(f"/api/v1/settlements/{run['id']}/approve", headers=fresh).status_code == 409
    assert ledger.household_balance(db, tenant.id, hid) == 0
    pending = ledger.account(db, tenant.id, ledger.PAYOUTS_PENDING)
    assert -ledger.balance(db, tenant.id, pending.id) == ok.json["net_satang"] == 19600
    assert ledger.trial_balance(db, tenant.id) == 0
    assert_ledger_sound(db)


def approve(db, tenant, run_id):
    checker = factories.veteran_staff(tenant)
    run = settlements.approve(db, Principal(checker.id, tenant.id, "staff"), tenant.id, run_id)
    db.flush()
    return run


def test_nothing_is_settled_twice_and_late_tickets_come_next_time(client, db, auth, tenant, catalog, collector, staff):
    hid = factories.HouseholdFactory(tenant=tenant).id
    credit(client, auth(collector), hid, 1000, at=utcnow() - dt.timedelta(days=2))
    run1, _ = run_and_payouts(client, auth(staff), yesterday())
    approve(db, tenant, run1["id"])
    late = credit(client, auth(collector), hid, 500, at=utcnow() - dt.timedelta(days=2))  # synced after the run
    run2, pays2 = run_and_payouts(client, auth(staff), yesterday())
    assert pays2[hid]["gross_satang"] == late["total_satang"] == 2000  # only what run 1 did not take
    assert_ledger_sound(db)


def test_refusals(client, db, auth, tenant, catalog, collector, staff):
    hid = factories.HouseholdFactory(tenant=tenant).id
    credit(client, auth(collector), hid, 1000)
    future = (utcnow() + dt.timedelta(days=3)).date().isoformat()
    r = client.post("/api/v1/settlements", headers=auth(staff), json={"period_end": future})
    assert r.status_code == 422 and "period_end" in r.json["errors"]
    run, _ = run_and_payouts(client, auth(staff), today())
    r = client.post("/api/v1/settlements", headers=auth(staff), json={"period_end": today()})
    assert r.status_code == 409 and r.json["type"].endswith("settlement_open")
    approve(db, tenant, run["id"])
    earlier = (utcnow() - dt.timedelta(days=5)).date().isoformat()
    r = client.post("/api/v1/settlements", headers=auth(staff), json={"period_end": earlier})
    assert r.status_code == 422 and "period_end" in r.json["errors"]
    assert client.post(f"/api/v1/settlements/{run['id']}/cancel", headers=auth(staff)).status_code == 409


def test_interrupted_or_repeated_computation_gives_identical_payouts(db, tenant, catalog, staff, client, auth, collector):
    homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(5)]
    for i, h in enumerate(homes):
        credit(client, auth(collector), h, 300 + 700 * i)
    p = Principal(staff.id, tenant.id, "staff")
    run = settlements.start(db, p, tenant, dt.date.fromisoformat(yesterday()))
    with db.begin_nested() as crashed:  # a worker dies after the insert, before its commit
        settlements.compute(db, tenant.id, run.id)
        crashed.rollback()
    first = settlements.compute(db, tenant.id, run.id)
    snap = sorted(
        (x.household_id, x.gross_satang, x.welfare_satang, x.net_satang, x.status)
        for x in db.scalars(select(Payout).where(Payout.run_id == run.id))
    )
    settlements.compute(db, tenant.id, run.id)  # a redelivered task
    again = sorted(
        (x.household_id, x.gross_satang, x.welfare_satang, x.net_satang, x.status)
        for x in db.scalars(select(Payout).where(Payout.run_id == run.id))
    )
    assert snap == again and len(snap) == 5 and first.computations == 2
    approve(db, tenant, run.id)
    assert settlements.compute(db, tenant.id, run.id) is None  # an approved run is never recomputed
    assert_ledger_sound(db)


def test_void_after_payment_carries_a_negative_balance(client, db, auth, tenant, catalog, collector, staff):
    hid = factories.HouseholdFactory(tenant=tenant).id
    t = credit(client, auth(collector), hid, 1000)
    run1, _ = run_and_payouts(client, auth(staff), today())
    approve(db, tenant, run1["id"])
    client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "weighed the bag twice"})
    run2, pays = run_and_payouts(client, auth(staff), today())
    assert (pays[hid]["gross_satang"], pays[hid]["status"]) == (-4000, "carried")
    assert run2["net_satang"] == 0
    assert_ledger_sound(db)


def test_paying_by_promptpay_cash_and_a_failed_transfer(client, db, auth, tenant, catalog, collector, staff):
    a = factories.HouseholdFactory(tenant=tenant, promptpay_id="0891234567", promptpay_kind="mobile")
    b = factories.HouseholdFactory(tenant=tenant)
    credit(client, auth(collector), a.id, 2000)
    credit(client, auth(collector), b.id, 1000)
    run, pays = run_and_payouts(client, auth(staff), yesterday())
    approve(db, tenant, run["id"])
    pa, pb = pays[a.id], pays[b.id]
    text = client.get(f"/api/v1/payouts/{pa['id']}/promptpay?format=text", headers=auth(staff)).json["payload"]
    decoded = promptpay.parse_payload(text)
    assert decoded["promptpay_id"] == "0891234567" and decoded["amount_satang"] == pa["net_satang"] == 7840
    png = client.get(f"/api/v1/payouts/{pa['id']}/promptpay", headers=auth(staff))
    assert png.mimetype == "image/png"
    no_id = client.get(f"/api/v1/payouts/{pb['id']}/promptpay?format=text", headers=auth(staff))
    assert no_id.status_code == 422 and "promptpay_id" in no_id.json["errors"]
    assert "text/csv" in client.get(f"/api/v1/settlements/{run['id']}/bank-file", headers=auth(staff)).content_type
    cash = client.get(f"/api/v1/settlements/{run['id']}/cash-list", headers=auth(staff)).get_data(as_text=True)
    assert b.name in cash and a.name not in cash and "39.20" in cash
    r = client.post(f"/api/v1/payouts/{pa['id']}/mark-paid", headers=auth(staff), json={"method": "promptpay", "reference": ""})
    assert r.status_code == 422 and "reference" in r.json["errors"]
    assert (
        client.post(
            f"/api/v1/payouts/{pa['id']}/mark-paid", headers=auth(staff), json={"method": "promptpay", "reference": "KBANK-001"}
        ).json["status"]
        == "paid"
    )
    twice = client.post(f"/api/v1/payouts/{pa['id']}/mark-paid", headers=auth(staff), json={"method": "cash"})
    assert twice.status_code == 409 and twice.json["type"].endswith("already_paid")
    assert client.post(f"/api/v1/payouts/{pb['id']}/fail", headers=auth(staff), json={"reason": "member away"}).status_code == 200
    assert client.post(f"/api/v1/payouts/{pb['id']}/mark-paid", headers=auth(staff), json={"method": "cash"}).status_code == 409
    new = client.post(f"/api/v1/payouts/{pb['id']}/reissue", headers=auth(staff), json={})
    assert new.status_code == 201 and new.json["net_satang"] == pb["net_satang"]
    assert client.post(f"/api/v1/payouts/{pb['id']}/reissue", headers=auth(staff), json={}).status_code == 409
    assert (
        client.post(f"/api/v1/payouts/{new.json['id']}/mark-paid", headers=auth(staff), json={"method": "cash"}).status_code
        == 200
    )
    pending = ledger.account(db, tenant.id, ledger.PAYOUTS_PENDING)
    assert ledger.balance(db, tenant.id, pending.id) == 0 and ledger.trial_balance(db, tenant.id) == 0
    summary = client.get(
        "/api/v1/reports/period",
        headers=auth(staff),
        query_string={
            "from": (utcnow() - dt.timedelta(days=3)).isoformat(),
            "to": (utcnow() + dt.timedelta(minutes=1)).isoformat(),
        },
    ).json
    assert summary["paid_out_satang"] == 7840 + 3920 and summary["owed_to_members_satang"] == 0
    assert summary["bought_satang"] == 12000 and summary["welfare_deducted_satang"] == 160 + 80
    assert_ledger_sound(db)


def test_welfare_fund_pays_only_eligible_members_within_its_balance(client, db, auth, tenant, catalog, collector, staff):
    regular, newcomer = factories.HouseholdFactory(tenant=tenant), factories.HouseholdFactory(tenant=tenant)
    for _ in range(3):
        credit(client, auth(collector), regular.id, 2000)  # 3 deposits, 240 THB
    credit(client, auth(collector), newcomer.id, 1000)
    run, _ = run_and_payouts(client, auth(staff), yesterday())
    approve(db, tenant, run["id"])
    fund = client.get("/api/v1/welfare/fund", headers=auth(staff)).json["balance_satang"]
    assert fund == 480 + 80
    contrib = {
        c["household_id"]: c["contributed_satang"]
        for c in client.get("/api/v1/welfare/contributions", headers=auth(staff)).json["items"]
    }
    assert contrib == {regular.id: 480, newcomer.id: 80}
    r = client.post(
        "/api/v1/welfare/disbursements",
        headers=auth(staff),
        json={
            "household_id": newcomer.id,
            "amount_satang": 100,
            "reason": "funeral assistance",
            "client_id": "6f1c1b1e-4d0a-4c55-9d43-0b7f8f2a9a02",
        },
    )
    assert r.status_code == 422 and "household_id" in r.json["errors"]
    r = client.post(
        "/api/v1/welfare/disbursements",
        headers=auth(staff),
        json={
            "household_id": regular.id,
            "amount_satang": 10_000,
            "reason": "funeral assistance",
            "client_id": "6f1c1b1e-4d0a-4c55-9d43-0b7f8f2a9a03",
        },
    )
    assert r.status_code == 409 and "amount_satang" in r.json["errors"]
    r = client.post(
        "/api/v1/welfare/disbursements",
        headers=auth(staff),
        json={
            "household_id": regular.id,
            "amount_satang": 500,
            "reason": "funeral assistance",
            "client_id": "6f1c1b1e-4d0a-4c55-9d43-0b7f8f2a9a01",
        },
    )
    assert r.status_code == 202 and r.json["status"] == "pending"
    r = client.post(f"/api/v1/approvals/{r.json['id']}/approve", headers=auth(factories.veteran_staff(tenant)), json={})
    assert r.status_code == 200 and r.json["result_type"] == "welfare_disbursement"
    assert client.get("/api/v1/welfare/fund", headers=auth(staff)).json["balance_satang"] == 60
    assert_ledger_sound(db)


def test_passbook_prints_and_exports_with_running_balance(client, db, auth, tenant, catalog, collector, staff, member):
    credit(client, auth(collector), member.household_id, 1000)
    t = credit(client, auth(collector), member.household_id, 500)
    client.post(f"/api/v1/collections/{t['id']}/void", headers=auth(staff), json={"reason": "double entry"})
    csv_text = client.get(f"/api/v1/households/{member.household_id}/passbook?format=csv", headers=auth(staff)).get_data(
        as_text=True
    )
    rows = [line.split(",") for line in csv_text.lstrip("\ufeff").splitlines()[1:]]
    assert [(r[2], r[3]) for r in rows] == [("40.00", "40.00"), ("20.00", "60.00"), ("-20.00", "40.00")]
    a5 = client.get(f"/api/v1/households/{member.household_id}/passbook", headers=auth(member))
    assert a5.mimetype == "text/html" and "size: A5" in a5.get_data(as_text=True) and "40.00" in a5.get_data(as_text=True)
    narrow = client.get(f"/api/v1/households/{member.household_id}/passbook?format=58mm", headers=auth(member)).get_data(
        as_text=True
    )
    assert "58mm" in narrow
    neighbour = factories.HouseholdFactory(tenant=tenant)
    assert client.get(f"/api/v1/households/{neighbour.id}/passbook", headers=auth(member)).status_code == 404
