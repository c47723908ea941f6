"""Finding 14.3: one staff member can no longer turn a bank payout into unrecorded cash, pay welfare alone,
or pay twice with a double click."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from enterprise.settlement_models import Payout, WelfareDisbursement
from recycle import ledger
from tests import factories
from tests.enterprise.settle_helpers import credit, yesterday

API = "/api/v1"


def _ready_promptpay_payout(client, db, auth, tenant, collector, staff):
    home = factories.HouseholdFactory(tenant=tenant, promptpay_id="0812345678", promptpay_kind="mobile")
    for _ in range(3):
        credit(client, auth(collector), home.id, 2000)
    run = client.post(f"{API}/settlements", headers=auth(staff), json={"period_end": yesterday()}).json
    assert client.post(f"{API}/settlements/{run['id']}/approve", headers=auth(factories.veteran_staff(tenant))).status_code == 200
    items = client.get(f"{API}/settlements/{run['id']}/payouts", headers=auth(staff)).json["items"]
    payout = next(p for p in items if p["household_id"] == home.id)
    assert payout["method"] == "promptpay" and payout["status"] == "ready"
    return home, payout


def test_the_attack_fail_reissue_as_cash_mark_paid_by_one_person(client, db, auth, tenant, catalog, collector, staff):
    _, payout = _ready_promptpay_payout(client, db, auth, tenant, collector, staff)
    direct = client.post(f"{API}/payouts/{payout['id']}/mark-paid", headers=auth(staff), json={"method": "cash"})
    assert direct.status_code == 409 and direct.json["type"].endswith("second_person_required")
    assert client.post(f"{API}/payouts/{payout['id']}/fail", headers=auth(staff), json={"reason": "bounced"}).status_code == 200
    asked = client.post(f"{API}/payouts/{payout['id']}/reissue", headers=auth(staff), json={"method": "cash"})
    assert asked.status_code == 202 and asked.json["status"] == "pending" and asked.json["kind"] == "payout.reissue_cash"
    assert db.scalar(select(func.count(Payout.id)).where(Payout.reissued_from_id == payout["id"])) == 0
    again = client.post(f"{API}/payouts/{payout['id']}/reissue", headers=auth(staff), json={"method": "cash"})
    assert again.status_code == 202 and again.json["id"] == asked.json["id"]  # a double click: the same request
    self_approval = client.post(f"{API}/approvals/{asked.json['id']}/approve", headers=auth(staff), json={})
    assert self_approval.status_code == 403 and self_approval.json["type"].endswith("maker_checker")
    pending = client.get(f"{API}/approvals", headers=auth(staff)).json["items"]
    assert [a["id"] for a in pending] == [asked.json["id"]]
    ok = client.post(f"{API}/approvals/{asked.json['id']}/approve", headers=auth(factories.veteran_staff(tenant)), json={})
    assert ok.status_code == 200 and ok.json["result_type"] == "payout"
    cash = db.get(Payout, ok.json["result_id"])
    assert cash.method == "cash" and cash.status == "ready" and cash.reissued_from_id == payout["id"]


def test_a_double_click_on_mark_paid_and_reissue_pays_once(client, db, auth, tenant, catalog, collector, staff):
    _, payout = _ready_promptpay_payout(client, db, auth, tenant, collector, staff)
    click = {"method": "promptpay", "reference": "KBANK-77", "client_id": str(uuid.uuid4())}
    first = client.post(f"{API}/payouts/{payout['id']}/mark-paid", headers=auth(staff), json=click)
    second = client.post(f"{API}/payouts/{payout['id']}/mark-paid", headers=auth(staff), json=click)
    assert first.status_code == second.status_code == 200 and second.json["paid_reference"] == "KBANK-77"
    other = client.post(f"{API}/payouts/{payout['id']}/mark-paid", headers=auth(staff), json={**click, "reference": "KBANK-78"})
    assert other.status_code == 409
    pending = ledger.account(db, tenant.id, ledger.PAYOUTS_PENDING)
    assert ledger.balance(db, tenant.id, pending.id) == 0 and ledger.trial_balance(db, tenant.id) == 0


def test_welfare_needs_a_second_person_and_a_double_click_pays_once(client, db, auth, tenant, catalog, collector, staff):
    home, _ = _ready_promptpay_payout(client, db, auth, tenant, collector, staff)
    fund = client.get(f"{API}/welfare/fund", headers=auth(staff)).json["balance_satang"]
    assert fund > 100
    body = {"client_id": str(uuid.uuid4()), "household_id": home.id, "amount_satang": 100, "reason": "ช่วยงานศพ"}
    first = client.post(f"{API}/welfare/disbursements", headers=auth(staff), json=body)
    second = client.post(f"{API}/welfare/disbursements", headers=auth(staff), json=body)
    assert first.status_code == second.status_code == 202 and first.json["id"] == second.json["id"]
    changed = client.post(f"{API}/welfare/disbursements", headers=auth(staff), json={**body, "amount_satang": 101})
    assert changed.status_code == 409
    assert client.get(f"{API}/welfare/fund", headers=auth(staff)).json["balance_satang"] == fund  # nothing paid yet
    assert client.post(f"{API}/approvals/{first.json['id']}/approve", headers=auth(staff), json={}).status_code == 403
    checker = auth(factories.veteran_staff(tenant))
    assert client.post(f"{API}/approvals/{first.json['id']}/approve", headers=checker, json={}).status_code == 200
    assert client.post(f"{API}/approvals/{first.json['id']}/approve", headers=checker, json={}).status_code == 409
    assert client.get(f"{API}/welfare/fund", headers=auth(staff)).json["balance_satang"] == fund - 100
    row = db.scalar(select(WelfareDisbursement))
    assert row.recorded_by_user_id == staff.id and row.approved_by_user_id not in (None, staff.id)
    rejected = client.post(f"{API}/welfare/disbursements", headers=auth(staff), json={**body, "client_id": str(uuid.uuid4())})
    assert (
        client.post(f"{API}/approvals/{rejected.json['id']}/reject", headers=checker, json={"note": "no"}).json["status"]
        == "rejected"
    )
    assert client.get(f"{API}/welfare/fund", headers=auth(staff)).json["balance_satang"] == fund - 100


def test_a_large_correction_waits_for_a_second_person(client, db, auth, tenant, catalog, collector, staff):
    from tests.pickup.ticket_helpers import ticket

    home = factories.HouseholdFactory(tenant=tenant)
    t = client.post(
        f"{API}/collections",
        headers=auth(collector),
        json=ticket(household_id=home.id, lines=[{"material_code": "ALU_CAN", "weight_g": 1000}]),
    ).json  # 40 THB
    small = client.post(
        f"{API}/collections/{t['id']}/correct",
        headers=auth(staff),
        json={"reason": "scale read wrong", "lines": [{"material_code": "ALU_CAN", "weight_g": 2000}]},
    )  # +40 THB: fine alone
    assert small.status_code == 201
    big = client.post(
        f"{API}/collections/{small.json['id']}/correct",
        headers=auth(staff),
        json={"reason": "typo", "lines": [{"material_code": "ALU_CAN", "weight_g": 40_000}]},
    )  # +1,520 THB
    assert big.status_code == 202 and big.json["kind"] == "ticket.correct"
    assert ledger.household_balance(db, tenant.id, home.id) == 8000
    ok = client.post(f"{API}/approvals/{big.json['id']}/approve", headers=auth(factories.veteran_staff(tenant)), json={})
    assert ok.status_code == 200 and ok.json["result_type"] == "ticket"
    assert ledger.household_balance(db, tenant.id, home.id) == 160_000


def test_a_dispute_cannot_carry_a_large_correction_past_the_second_person(client, db, auth, tenant, catalog, collector, staff):
    from tests.pickup.ticket_helpers import ticket

    home = factories.HouseholdFactory(tenant=tenant)
    t = client.post(
        f"{API}/collections",
        headers=auth(collector),
        json=ticket(household_id=home.id, lines=[{"material_code": "ALU_CAN", "weight_g": 1000}]),
    ).json
    d = client.post(f"{API}/collections/{t['id']}/disputes", headers=auth(staff), json={"claim": "more cans"}).json
    r = client.post(
        f"{API}/disputes/{d['id']}/resolve",
        headers=auth(staff),
        json={"outcome": "upheld", "resolution": "ok", "corrected_lines": [{"material_code": "ALU_CAN", "weight_g": 90_000}]},
    )
    assert r.status_code == 409 and r.json["type"].endswith("second_person_required")
    assert ledger.household_balance(db, tenant.id, home.id) == 4000
