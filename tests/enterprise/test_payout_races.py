"""Payout status changes raced on PostgreSQL: paid vs failed at once, two re-issues at once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from enterprise.settlement_models import Payout
from recycle.db import UnitOfWork, utcnow
from recycle.ledger import LedgerTransaction
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.enterprise.settle_helpers import credit
from tests.ledger_checks import assert_transactions_balance

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="row-lock races need PostgreSQL (TEST_DATABASE_URL)"),
]


def _at_once(app: Any, calls: list[Callable[[Any], Any]]) -> list[Any]:
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        out[i] = calls[i](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    return out


def _ready_payouts(app: Any, n: int) -> dict[str, Any]:
    """n members credited yesterday, a run computed and approved by a second person: n ready payouts."""
    from api.auth import issue_tokens

    factory = app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        factories.add_material(uow.session, tenant, "ALU_CAN", buy=4000, sale=4600, since=utcnow() - dt.timedelta(days=5))
        collector = factories.UserFactory(tenant=tenant, role="collector")
        staff = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(2)]
        hids = [factories.HouseholdFactory(tenant=tenant).id for _ in range(n)]
        uow.commit()
        tenant_id = tenant.id
    with app.app_context():
        bearer = lambda u: {"Authorization": "Bearer " + issue_tokens(u)["access_token"]}  # noqa: E731
        c_head, s_heads = bearer(collector), [bearer(s) for s in staff]
    client = app.test_client()
    for hid in hids:
        credit(client, c_head, hid, 2000)
    period_end = (utcnow() + dt.timedelta(hours=7) - dt.timedelta(days=1)).date().isoformat()
    run = client.post("/api/v1/settlements", headers=s_heads[0], json={"period_end": period_end}).json
    deadline = time.time() + 60
    while run["status"] == "computing" and time.time() < deadline:  # a real worker, when there is one
        time.sleep(0.2)
        run = client.get(f"/api/v1/settlements/{run['id']}", headers=s_heads[0]).json
    r = client.post(f"/api/v1/settlements/{run['id']}/approve", headers=s_heads[1])
    assert r.status_code == 200, r.json
    with UnitOfWork(factory) as uow:
        ids = list(uow.session.scalars(select(Payout.id).where(Payout.run_id == run["id"], Payout.status == "ready")))
    assert len(ids) == n
    return {"factory": factory, "tenant_id": tenant_id, "staff": s_heads, "payouts": ids}


def test_paid_and_failed_at_once_one_wins_and_money_moves_once(committed_app):
    world = _ready_payouts(committed_app, 6)
    a, b = world["staff"]
    for pid in world["payouts"]:
        paid, failed = _at_once(
            committed_app,
            [
                lambda c, pid=pid: c.post(f"/api/v1/payouts/{pid}/mark-paid", headers=a, json={"method": "cash"}),
                lambda c, pid=pid: c.post(f"/api/v1/payouts/{pid}/fail", headers=b, json={"reason": "bounced"}),
            ],
        )
        assert sorted((paid.status_code, failed.status_code)) == [200, 409], (paid.json, failed.json)
    with UnitOfWork(world["factory"]) as uow:
        db = uow.session
        for p in db.scalars(select(Payout).where(Payout.id.in_(world["payouts"]))):
            moved = db.scalar(
                select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.idempotency_key == f"payout:{p.id}")
            )
            assert (p.status, moved) in (("paid", 1), ("failed", 0)), (p.id, p.status, moved)
            assert (p.paid_transaction_id is not None) == (p.status == "paid")
        assert_transactions_balance(db, world["tenant_id"])


def test_a_failed_payout_reissued_twice_at_once_is_reissued_once(committed_app):
    world = _ready_payouts(committed_app, 1)
    a, b = world["staff"]
    [pid] = world["payouts"]
    assert (
        committed_app.test_client().post(f"/api/v1/payouts/{pid}/fail", headers=a, json={"reason": "bounced"}).status_code == 200
    )
    rs = _at_once(
        committed_app,
        [lambda c, h=h: c.post(f"/api/v1/payouts/{pid}/reissue", headers=h, json={"method": "cash"}) for h in (a, b)],
    )
    assert sorted(r.status_code for r in rs) == [201, 409], [(r.status_code, r.json) for r in rs]
    with UnitOfWork(world["factory"]) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Payout).where(Payout.reissued_from_id == pid)) == 1
