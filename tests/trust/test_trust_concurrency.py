"""Races on PostgreSQL (SQLite serialises them): a refresh token used twice at once, an approval clicked twice at once."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from enterprise.settlement_models import WelfareDisbursement
from recycle import ledger
from recycle.db import UnitOfWork
from tests import factories


def _race(n, fn):
    barrier, out = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        out[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_one_refresh_token_used_twice_at_once_ends_the_session(committed_app):
    with UnitOfWork(committed_app.extensions["thangngoen.sessions"]) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        user = factories.UserFactory(tenant=tenant, role="collector")
        uow.commit()
        slug, phone = tenant.slug, user.phone
    login = (
        committed_app.test_client()
        .post("/api/v1/auth/login", json={"tenant": slug, "phone": phone, "password": factories.PASSWORD})
        .json
    )
    results = _race(
        2,
        lambda i: committed_app.test_client().post(
            "/api/v1/auth/refresh", headers={"Authorization": "Bearer " + login["refresh_token"]}
        ),
    )
    codes = sorted(r.status_code for r in results)
    assert codes[1] == 401 and codes[0] in (200, 401)
    for r in results:
        if r.status_code == 200:  # the winner's new tokens die with the session
            me = committed_app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer " + r.json["access_token"]})
            assert me.status_code == 401


def test_a_welfare_approval_clicked_by_two_checkers_at_once_pays_once(committed_app):
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        db = uow.session
        factories.bind(db)
        tenant = factories.TenantFactory(settings={"welfare_min_deposits": 0, "welfare_min_sold_satang": 0})
        maker = factories.veteran_staff(tenant)
        checkers = [factories.veteran_staff(tenant) for _ in range(2)]
        home = factories.HouseholdFactory(tenant=tenant)
        fund = ledger.account(db, tenant.id, ledger.WELFARE_FUND)
        cash = ledger.account(db, tenant.id, ledger.CASH)
        ledger.post(db, tenant.id, "seed-fund", "adjustment", [ledger.Leg(cash, 10_000), ledger.Leg(fund, -10_000)], memo="seed")
        import datetime as dt

        from recycle.db import utcnow
        from recycle.models import ApprovalRequest

        row = ApprovalRequest(
            tenant_id=tenant.id,
            client_id=str(uuid.uuid4()),
            kind="welfare.disburse",
            payload={"household_id": home.id, "amount_satang": 1000, "reason": "ช่วยงานศพ", "method": "cash"},
            payload_hash="x",
            requested_by_user_id=maker.id,
            requested_at=utcnow() - dt.timedelta(minutes=5),
        )
        db.add(row)
        uow.commit()
        tenant_id, request_id, ids = tenant.id, row.id, [c.id for c in checkers]
    from api.auth import issue_tokens
    from recycle.models import User

    with committed_app.app_context(), UnitOfWork(factory) as uow:
        headers = [{"Authorization": "Bearer " + issue_tokens(uow.session.get(User, i))["access_token"]} for i in ids]
    results = _race(
        2, lambda i: committed_app.test_client().post(f"/api/v1/approvals/{request_id}/approve", headers=headers[i], json={})
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    with UnitOfWork(factory) as uow:
        assert (
            uow.session.scalar(select(func.count(WelfareDisbursement.id)).where(WelfareDisbursement.tenant_id == tenant_id)) == 1
        )
