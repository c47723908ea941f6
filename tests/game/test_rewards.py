"""Rewards: redeeming takes points and stock, hand-over or cancel with a refund; never below zero, even at once."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from recycle.db import UnitOfWork, utcnow
from recycle.game import points
from recycle.game.models import Reward, RewardRedemption
from tests import factories


def _give(db, tenant_id: int, household_id: int, n: int) -> None:  # noqa: ANN001
    """Points as a weigh-in would have given them."""
    points.household_row(db, tenant_id, household_id)
    points.post(db, tenant_id, household_id, f"ticket:{uuid.uuid4()}", "deposit", n, points.local_date("Asia/Bangkok", utcnow()))


def _reward(client, headers, **over):  # noqa: ANN001, ANN003, ANN202
    body = {"name_th": "ถุงผ้า", "name_en": "Cloth bag", "points_cost": 100, "stock": 3}
    body.update(over)
    return client.post("/api/v1/rewards", headers=headers, json=body)


def test_redeem_hand_over_and_cancel_with_refund(client, db, auth, tenant, staff, member):
    _give(db, tenant.id, member.household_id, 250)
    bag = _reward(client, auth(staff)).json
    assert [r["name"] for r in client.get("/api/v1/rewards", headers=auth(member)).json["items"]] == ["ถุงผ้า"]
    cid = str(uuid.uuid4())
    r = client.post(f"/api/v1/rewards/{bag['id']}/redeem", headers=auth(member), json={"client_id": cid})
    assert r.status_code == 201 and r.json["status"] == "pending" and r.json["points"] == 100
    again = client.post(f"/api/v1/rewards/{bag['id']}/redeem", headers=auth(member), json={"client_id": cid})
    assert again.json["id"] == r.json["id"]  # a retry from the phone takes nothing twice
    me = client.get("/api/v1/me/points", headers=auth(member)).json
    assert (me["balance"], me["lifetime"]) == (150, 250)  # spending does not lower the level
    assert client.get("/api/v1/rewards", headers=auth(member)).json["items"][0]["stock"] == 2
    handed = client.post(f"/api/v1/redemptions/{r.json['id']}/hand-over", headers=auth(staff))
    assert handed.status_code == 200 and handed.json["status"] == "handed_over"
    late = client.post(f"/api/v1/redemptions/{r.json['id']}/cancel", headers=auth(member), json={"reason": "changed my mind"})
    assert late.status_code == 409 and "status" in late.json["errors"]
    second = client.post(f"/api/v1/rewards/{bag['id']}/redeem", headers=auth(member), json={}).json
    cancelled = client.post(f"/api/v1/redemptions/{second['id']}/cancel", headers=auth(member), json={"reason": "ไม่ว่าง"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    me = client.get("/api/v1/me/points", headers=auth(member)).json
    assert me["balance"] == 150 and [e["kind"] for e in me["entries"]["items"][:3]] == ["refund", "redeem", "redeem"]
    assert client.get("/api/v1/rewards", headers=auth(member)).json["items"][0]["stock"] == 2
    mine = client.get("/api/v1/redemptions", headers=auth(member)).json
    assert [x["status"] for x in mine["items"]] == ["cancelled", "handed_over"]
    assert points.entries_sum(db, tenant.id, member.household_id) == 150


def test_refusals_name_the_field(client, db, auth, tenant, staff, member):
    _give(db, tenant.id, member.household_id, 150)
    costly = _reward(client, auth(staff), points_cost=500).json
    r = client.post(f"/api/v1/rewards/{costly['id']}/redeem", headers={**auth(member), "Accept-Language": "en"}, json={})
    assert r.status_code == 409 and "points" in r.json["errors"] and "you have 150" in r.json["detail"]
    gone = _reward(client, auth(staff), stock=0).json
    r = client.post(f"/api/v1/rewards/{gone['id']}/redeem", headers=auth(member), json={})
    assert r.status_code == 409 and "stock" in r.json["errors"]
    retired = _reward(client, auth(staff)).json
    assert client.patch(f"/api/v1/rewards/{retired['id']}", headers=auth(staff), json={"active": False}).json["active"] is False
    r = client.post(f"/api/v1/rewards/{retired['id']}/redeem", headers=auth(member), json={})
    assert r.status_code == 409 and "active" in r.json["errors"]
    assert retired["id"] not in [x["id"] for x in client.get("/api/v1/rewards", headers=auth(member)).json["items"]]
    r = client.patch(f"/api/v1/rewards/{gone['id']}", headers=auth(staff), json={"stock_add": -1})
    assert r.status_code == 422 and "stock_add" in r.json["errors"]
    r = _reward(client, auth(staff), points_cost=0)
    assert r.status_code == 422 and "points_cost" in r.json["errors"]
    r = _reward(client, auth(staff), name_en="Bag\u0000")
    assert r.status_code == 422 and "name_en" in r.json["errors"]
    assert client.post(f"/api/v1/rewards/{costly['id']}/redeem", headers=auth(staff), json={}).status_code == 403
    # nothing was taken by the refusals
    assert points.summary(db, tenant.id, member.household_id).balance == 150
    assert db.scalar(select(func.count()).select_from(RewardRedemption)) == 0
    db.expire_all()
    assert db.get(Reward, costly["id"]).stock == 3


def test_a_household_cannot_touch_anothers_redemption(client, db, auth, tenant, staff, member):
    _give(db, tenant.id, member.household_id, 100)
    bag = _reward(client, auth(staff)).json
    mine = client.post(f"/api/v1/rewards/{bag['id']}/redeem", headers=auth(member), json={}).json
    other = factories.HouseholdUserFactory(tenant=tenant)
    assert client.post(f"/api/v1/redemptions/{mine['id']}/cancel", headers=auth(other), json={}).status_code == 404
    assert client.get("/api/v1/redemptions", headers=auth(other)).json["total"] == 0
    assert client.get("/api/v1/redemptions?status=pending", headers=auth(staff)).json["total"] == 1


@pytest.mark.parametrize("case", ["one household, many at once", "many households, last item"])
def test_concurrent_redemptions_never_overdraw_points_or_stock(committed_app, case):
    """On PostgreSQL (CI) these are real concurrent transactions; the conditional UPDATEs decide."""
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        db = uow.session
        factories.bind(db)
        tenant = factories.TenantFactory()
        users = [factories.HouseholdUserFactory(tenant=tenant) for _ in range(1 if case.startswith("one") else 6)]
        for u in users:
            _give(db, tenant.id, u.household_id, 250)
        reward = Reward(
            tenant_id=tenant.id, name_th="ข้าวสาร", name_en="Rice", points_cost=100, stock=10 if case.startswith("one") else 1
        )
        db.add(reward)
        uow.commit()
        ids = {"tenant": tenant.id, "reward": reward.id, "households": [u.household_id for u in users]}
    from api.auth import issue_tokens

    with committed_app.app_context():
        headers = [{"Authorization": "Bearer " + issue_tokens(u)["access_token"]} for u in users]
    n = 6
    barrier = threading.Barrier(n)
    statuses: list = [None] * n

    def redeem(i: int) -> None:
        client = committed_app.test_client()
        barrier.wait()
        r = client.post(f"/api/v1/rewards/{ids['reward']}/redeem", headers=headers[i % len(headers)], json={})
        statuses[i] = (r.status_code, sorted((r.json or {}).get("errors", {})))

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(n)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    ok = [s for s in statuses if s[0] == 201]
    refused = [s for s in statuses if s[0] != 201]
    expected_field = "points" if case.startswith("one") else "stock"
    assert len(ok) == (2 if case.startswith("one") else 1)  # 250 points buy two; one item in stock
    assert refused and all(s == (409, [expected_field]) for s in refused), statuses
    with UnitOfWork(factory) as uow:
        db = uow.session
        for hid in ids["households"]:
            held = points.summary(db, ids["tenant"], hid).balance
            assert held >= 0 and held == points.entries_sum(db, ids["tenant"], hid)
        left = db.get(Reward, ids["reward"]).stock
        assert left >= 0 and left == (10 if case.startswith("one") else 1) - len(ok)
