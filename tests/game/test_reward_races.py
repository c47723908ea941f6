"""Redemptions raced on PostgreSQL (issue 10, finding 8): a phone retrying one client_id at once, and
clerks closing one redemption at once. Real concurrent transactions through the API."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from recycle.db import UnitOfWork
from recycle.errors import Conflict
from recycle.game import points, rewards
from recycle.game.models import PointsEntry, Reward, RewardRedemption
from recycle.principal import Principal
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.game.test_rewards import _give

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="row-lock races need PostgreSQL (TEST_DATABASE_URL)"),
]


def _world(app: Any, give: int, stock: int = 10) -> dict[str, Any]:
    from api.auth import issue_tokens

    factory = app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        db = uow.session
        factories.bind(db)
        tenant = factories.TenantFactory()
        user = factories.HouseholdUserFactory(tenant=tenant)
        staff = [factories.UserFactory(tenant=tenant, role="staff") for _ in range(4)]
        _give(db, tenant.id, user.household_id, give)
        reward = Reward(tenant_id=tenant.id, name_th="ข้าวสาร", name_en="Rice", points_cost=100, stock=stock)
        db.add(reward)
        uow.commit()
        world = {
            "factory": factory,
            "tenant_id": tenant.id,
            "hid": user.household_id,
            "reward": reward.id,
            "staff_ids": [s.id for s in staff],
        }
    with app.app_context():
        world["member"] = {"Authorization": "Bearer " + issue_tokens(user)["access_token"]}
        world["staff"] = [{"Authorization": "Bearer " + issue_tokens(s)["access_token"]} for s in staff]
    return world


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


def _state(world: dict[str, Any]) -> tuple[int, int, int, int]:
    """(points balance, points from the entries, stock left, redemptions)."""
    with UnitOfWork(world["factory"]) as uow:
        db = uow.session
        tid, hid = world["tenant_id"], world["hid"]
        return (
            points.summary(db, tid, hid).balance,
            points.entries_sum(db, tid, hid),
            db.get(Reward, world["reward"]).stock,
            db.scalar(select(func.count()).select_from(RewardRedemption).where(RewardRedemption.tenant_id == tid)),
        )


@pytest.mark.parametrize("give", [1000, 150])  # plenty of points; enough for one only (the retry must not say "not enough")
def test_one_client_id_sent_six_times_at_once_redeems_once_and_answers_the_first(committed_app, give):
    world = _world(committed_app, give)
    cid = str(uuid.uuid4())
    url = f"/api/v1/rewards/{world['reward']}/redeem"
    rs = _at_once(committed_app, [lambda c: c.post(url, headers=world["member"], json={"client_id": cid})] * 6)
    assert [r.status_code for r in rs] == [201] * 6, [(r.status_code, r.json) for r in rs]
    assert len({r.json["id"] for r in rs}) == 1
    assert _state(world) == (give - 100, give - 100, 9, 1)


def test_four_clerks_cancelling_one_redemption_refund_it_once(committed_app):
    world = _world(committed_app, 300)
    r = committed_app.test_client().post(f"/api/v1/rewards/{world['reward']}/redeem", headers=world["member"], json={})
    assert r.status_code == 201
    url = f"/api/v1/redemptions/{r.json['id']}/cancel"
    rs = _at_once(committed_app, [lambda c, h=h: c.post(url, headers=h, json={"reason": "member asked"}) for h in world["staff"]])
    assert sorted(x.status_code for x in rs) == [200, 409, 409, 409], [(x.status_code, x.json) for x in rs]
    assert _state(world) == (300, 300, 10, 1)
    with UnitOfWork(world["factory"]) as uow:
        refunds = uow.session.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.kind == "refund"))
    assert refunds == 1


def test_cancel_and_hand_over_at_once_one_wins(committed_app):
    world = _world(committed_app, 300)
    r = committed_app.test_client().post(f"/api/v1/rewards/{world['reward']}/redeem", headers=world["member"], json={})
    rid = r.json["id"]
    rs = _at_once(
        committed_app,
        [
            lambda c: c.post(f"/api/v1/redemptions/{rid}/cancel", headers=world["staff"][0], json={"reason": "x"}),
            lambda c: c.post(f"/api/v1/redemptions/{rid}/hand-over", headers=world["staff"][1]),
        ],
    )
    assert sorted(x.status_code for x in rs) == [200, 409], [(x.status_code, x.json) for x in rs]
    cancelled = rs[0].status_code == 200
    assert _state(world) == ((300, 300, 10, 1) if cancelled else (200, 200, 9, 1))


def test_a_clerk_whose_session_already_read_the_redemption_decides_on_the_fresh_status(committed_app):
    """The interleaving the lock must survive, made deterministic: clerk A's transaction has read the
    pending redemption; clerk B cancels it and commits; A's hand-over then locks the row. The row A's
    session holds says pending; the one in the database says cancelled. A must get the 409.
    (The old code passed this only when nothing held the first read, so the identity map had dropped it.)"""
    world = _world(committed_app, 300)
    rid = (
        committed_app.test_client().post(f"/api/v1/rewards/{world['reward']}/redeem", headers=world["member"], json={}).json["id"]
    )
    clerk_a, clerk_b = (Principal(user_id=u, tenant_id=world["tenant_id"], role="staff") for u in world["staff_ids"][:2])
    with UnitOfWork(world["factory"]) as a:
        seen = rewards.get_redemption(a.session, clerk_a, rid)  # held, e.g. to show it: it stays in A's identity map
        assert seen.status == "pending"
        with UnitOfWork(world["factory"]) as b:
            rewards.cancel(b.session, clerk_b, rid, "member asked")
            b.commit()
        with pytest.raises(Conflict):
            rewards.hand_over(a.session, clerk_a, rid)
        assert seen.status == "cancelled"  # the object A's session held was re-read, not trusted
    assert _state(world) == (300, 300, 10, 1)
