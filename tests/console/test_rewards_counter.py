"""Redeeming a reward at the counter for a member without the app: her points, audited as done by staff."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from recycle import households
from recycle.db import utcnow
from recycle.game import points
from recycle.game.models import Reward, RewardRedemption
from recycle.models import AuditEntry
from tests import factories
from tests.console.conftest import WebClient, csrf_of


def _setup(db, tenant):  # noqa: ANN001, ANN202
    village = factories.VillageFactory(tenant_id=tenant.id)
    h = households.register(db, tenant, households.HouseholdInput(name="ยายจันทร์", village_id=village.id))
    points.household_row(db, tenant.id, h.id)
    points.post(db, tenant.id, h.id, f"ticket:{uuid.uuid4()}", "deposit", 150, points.local_date("Asia/Bangkok", utcnow()))
    bag = Reward(tenant_id=tenant.id, name_th="ถุงผ้า", name_en="Cloth bag", points_cost=100, stock=2)
    db.add(bag)
    db.flush()
    return h, bag


def test_staff_redeem_for_member_takes_her_points_once_and_is_audited(clerk: WebClient, db, tenant, staff) -> None:
    h, bag = _setup(db, tenant)
    page = clerk.get(f"/console/members/{h.id}/rewards").get_data(as_text=True)
    assert "ถุงผ้า" in page and 'id="points-balance">150<' in page
    token = page.split('name="form_token" value="')[1].split('"')[0]
    form = {"reward_id": str(bag.id), "form_token": token, "csrf_token": csrf_of(page)}
    first = clerk.post(f"/console/members/{h.id}/rewards", form)
    again = clerk.post(f"/console/members/{h.id}/rewards", form)  # double click
    assert first.status_code == again.status_code == 302
    r = db.scalars(select(RewardRedemption).where(RewardRedemption.household_id == h.id)).all()
    assert len(r) == 1 and r[0].status == "handed_over" and r[0].closed_by_user_id == staff.id
    assert points.summary(db, tenant.id, h.id).balance == 50
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "reward.redeem_for_member"))
    assert entry.actor_user_id == staff.id and entry.target_id == h.id
    page = clerk.get(f"/console/members/{h.id}/rewards").get_data(as_text=True)
    assert 'id="points-balance">50<' in page and "disabled" in page  # not enough points for another bag


def test_not_enough_points_says_so(clerk: WebClient, db, tenant) -> None:
    h, bag = _setup(db, tenant)
    bag.points_cost = 500
    db.flush()
    page = clerk.get(f"/console/members/{h.id}/rewards").get_data(as_text=True)
    token = page.split('name="form_token" value="')[1].split('"')[0]
    resp = clerk.post(f"/console/members/{h.id}/rewards", {"reward_id": str(bag.id), "form_token": token})
    assert resp.status_code == 409 and "คะแนนไม่พอ" in resp.get_data(as_text=True)
    assert points.summary(db, tenant.id, h.id).balance == 150
