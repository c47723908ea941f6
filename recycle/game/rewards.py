"""Rewards bought with points: a catalog with stock; a redemption takes points and one item at once, then is
handed over at the centre or cancelled with a refund.

Both takes are conditional UPDATEs (`stock > 0`, `balance >= cost`): under concurrent redemptions the
database re-checks the condition on the row it locked, so neither can go below zero.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.game import points
from recycle.game.models import PointsEntry, Reward, RewardRedemption
from recycle.locking import get_for_update
from recycle.models import Tenant
from recycle.principal import Principal
from recycle.tenancy import get_owned


@dataclass
class RewardInput:
    name_th: str
    name_en: str
    points_cost: int
    stock: int = 0
    description: str = ""
    active: bool = True


def create(session: Session, principal: Principal, inp: RewardInput) -> Reward:
    principal.require("staff", "admin")
    reward = Reward(
        tenant_id=principal.tenant_id,
        name_th=inp.name_th.strip(),
        name_en=inp.name_en.strip(),
        description=inp.description,
        points_cost=inp.points_cost,
        stock=inp.stock,
        active=inp.active,
    )
    session.add(reward)
    session.flush()
    return reward


def get(session: Session, tenant_id: int, reward_id: int) -> Reward:
    reward = get_owned(session, Reward, reward_id, tenant_id, what="reward")
    return reward


def change(session: Session, principal: Principal, reward_id: int, **values: object) -> Reward:
    """Restock, reprice, rename or retire (active=false); redemptions already made keep their price."""
    principal.require("staff", "admin")
    reward = get(session, principal.tenant_id, reward_id)
    if "stock_add" in values:
        added = int(values.pop("stock_add"))  # type: ignore[call-overload]
        result = session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock + added >= 0)
            .values(stock=Reward.stock + added)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise InvalidInput.field("stock_add", "would take the stock below zero")
    for key, value in values.items():
        setattr(reward, key, value)
    session.flush()
    session.refresh(reward)
    return reward


def _clean_client_id(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        raise InvalidInput.field("client_id", "must be a UUID generated on the phone") from None


def redeem(session: Session, principal: Principal, reward_id: int, client_id: str | None = None) -> tuple[RewardRedemption, bool]:
    """(redemption, created). A retried client_id answers with the first redemption."""
    principal.require("household")
    tid, hid = principal.tenant_id, principal.household_id
    client_id = _clean_client_id(client_id)
    first = _first(session, tid, hid, reward_id, client_id)
    if first is not None:
        return first, False
    reward = get(session, tid, reward_id)
    if not reward.active:
        raise Conflict(f"{reward.name_en} is no longer offered", {"active": ["this reward was retired"]}, code="reward_retired")
    cost = reward.points_cost
    redemption = RewardRedemption(
        tenant_id=tid, reward_id=reward.id, household_id=hid, client_id=client_id, points=cost, status="pending"
    )
    try:
        _take(session, reward, redemption, tid, hid, cost)
    except (IntegrityError, Conflict):
        # The same client_id sent twice at once: this attempt waited for the first one and then collided with
        # its row (or found the points or item already taken by it). The savepoint gave back this attempt's
        # takes; answer with the first redemption.
        first = _first(session, tid, hid, reward_id, client_id)
        if first is None:
            raise
        return first, False
    day = points.local_date(session.get(Tenant, tid).timezone, utcnow())
    _entry(session, redemption, "redeem", -cost, day)
    session.refresh(reward)
    return redemption, True


def _first(session: Session, tid: int, hid: int, reward_id: int, client_id: str | None) -> RewardRedemption | None:
    """The redemption this client_id already made, or None; the id used for something else is a 409."""
    if not client_id:
        return None
    first = session.scalar(
        select(RewardRedemption).where(RewardRedemption.tenant_id == tid, RewardRedemption.client_id == client_id)
    )
    if first is not None and (first.household_id != hid or first.reward_id != reward_id):
        raise Conflict("this client_id was already used for another redemption", {"client_id": ["already used"]})
    return first


def _take(session: Session, reward: Reward, redemption: RewardRedemption, tid: int, hid: int, cost: int) -> None:
    """The item, the points and the redemption row in one savepoint: all three or none."""
    with session.begin_nested():
        took = session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.active.is_(True), Reward.stock > 0)
            .values(stock=Reward.stock - 1)
            .execution_options(synchronize_session=False)
        )
        if took.rowcount != 1:
            raise Conflict(f"{reward.name_en} is out of stock", {"stock": ["none left"]}, code="out_of_stock")
        points.household_row(session, tid, hid)
        if not points.spend(session, tid, hid, cost):
            have = points.summary(session, tid, hid).balance
            raise Conflict(
                f"this reward costs {cost} points and you have {have}",
                {"points": [f"needs {cost}, you have {have}"]},
                code="not_enough_points",
            )
        session.add(redemption)
        session.flush()


def _entry(session: Session, r: RewardRedemption, kind: str, amount: int, day: dt.date) -> None:
    """The ledger line for a balance change already made by the conditional UPDATE."""
    session.add(
        PointsEntry(
            tenant_id=r.tenant_id,
            household_id=r.household_id,
            idempotency_key=f"{kind}:{r.id}",
            kind=kind,
            points=amount,
            local_date=day,
            ref_type="redemption",
            ref_id=r.id,
            memo=f"{kind} {r.reward.name_en if r.reward else r.reward_id}"[:300],
        )
    )
    session.flush()


def get_redemption(session: Session, principal: Principal, redemption_id: int) -> RewardRedemption:
    r = session.get(RewardRedemption, redemption_id)
    theirs = principal.role == "household" and r is not None and r.household_id != principal.household_id
    if r is None or r.tenant_id != principal.tenant_id or theirs:
        raise NotFound("no such redemption")
    return r


def _lock_pending(session: Session, principal: Principal, redemption_id: int) -> RewardRedemption:
    """Locked and re-read: the row already in the session may say pending after another clerk closed it."""
    get_redemption(session, principal, redemption_id)
    r = get_for_update(session, RewardRedemption, redemption_id, principal.tenant_id)
    if r.status != "pending":
        raise Conflict(f"this redemption is already {r.status.replace('_', ' ')}", {"status": [f"is {r.status}"]})
    return r


def hand_over(session: Session, principal: Principal, redemption_id: int) -> RewardRedemption:
    principal.require("staff", "admin")
    r = _lock_pending(session, principal, redemption_id)
    r.status, r.closed_at, r.closed_by_user_id = "handed_over", utcnow(), principal.user_id
    session.flush()
    return r


def cancel(session: Session, principal: Principal, redemption_id: int, reason: str = "") -> RewardRedemption:
    """Staff, or the household itself while pending: the points and the item go back."""
    principal.require("household", "staff", "admin")
    r = _lock_pending(session, principal, redemption_id)
    r.status, r.closed_at, r.closed_by_user_id, r.cancel_reason = "cancelled", utcnow(), principal.user_id, reason[:300]
    session.execute(
        update(Reward).where(Reward.id == r.reward_id).values(stock=Reward.stock + 1).execution_options(synchronize_session=False)
    )
    points.household_row(session, r.tenant_id, r.household_id)
    points.post(
        session,
        r.tenant_id,
        r.household_id,
        f"refund:{r.id}",
        "refund",
        r.points,
        points.local_date(session.get(Tenant, r.tenant_id).timezone, utcnow()),
        ref=("redemption", r.id),
        memo="refund of a cancelled redemption",
    )
    session.flush()
    return r


def redeem_for(
    session: Session, principal: Principal, household_id: int, reward_id: int, client_id: str | None = None
) -> tuple[RewardRedemption, bool]:
    """Staff redeem at the counter for a member without the app, and hand the item over there and then.

    The points are the member's; the audit log says which staff member did it on the member's behalf.
    """
    from recycle import audit, households

    principal.require("staff", "admin")
    household = households.get(session, principal, household_id)
    if not household.active:
        raise Conflict("this member's account is closed", {"household_id": ["deactivated"]})
    as_member = Principal(
        user_id=None, tenant_id=principal.tenant_id, role="household", household_id=household.id, request_id=principal.request_id
    )
    redemption, created = redeem(session, as_member, reward_id, client_id)
    if created:
        hand_over(session, principal, redemption.id)
        audit.record(
            session,
            "reward.redeem_for_member",
            principal=principal,
            target=("household", household.id),
            redemption_id=redemption.id,
            reward_id=reward_id,
            points=redemption.points,
        )
    return redemption, created
