"""Who may see which ticket, pickup and round, written once as SQL conditions.

The single get and the list both filter with the same condition, so they cannot disagree (they did: a
collector could open a ticket staff weighed on the collector's round but not find it in the list).
Anything not visible is a 404, like another tenant's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from pickup.models import CollectionTicket, PickupRequest, Round
from recycle.principal import Principal


def _my_rounds(principal: Principal):  # noqa: ANN202 - a scalar subquery of round ids
    return select(Round.id).where(Round.tenant_id == principal.tenant_id, Round.collector_user_id == principal.user_id)


def tickets(principal: Principal) -> ColumnElement[bool]:
    """A household its own; a collector those it entered or of its rounds; staff and admins all (of the tenant)."""
    mine = CollectionTicket.tenant_id == principal.tenant_id
    if principal.role == "household":
        return mine & (CollectionTicket.household_id == principal.household_id)
    if principal.role == "collector":
        return mine & or_(
            CollectionTicket.entered_by_user_id == principal.user_id, CollectionTicket.round_id.in_(_my_rounds(principal))
        )
    return mine & (true() if principal.is_staff else false())


def pickups(principal: Principal) -> ColumnElement[bool]:
    """A household its own; a collector those on its rounds; staff all."""
    mine = PickupRequest.tenant_id == principal.tenant_id
    if principal.role == "household":
        return mine & (PickupRequest.household_id == principal.household_id)
    if principal.role == "collector":
        return mine & PickupRequest.round_id.in_(_my_rounds(principal))
    return mine & (true() if principal.is_staff else false())


def rounds(principal: Principal) -> ColumnElement[bool]:
    """A collector its own rounds; staff all; a household none."""
    mine = Round.tenant_id == principal.tenant_id
    if principal.role == "collector":
        return mine & (Round.collector_user_id == principal.user_id)
    return mine & (true() if principal.is_staff else false())
