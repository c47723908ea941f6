"""Helpers for weigh-in tests: a ticket body, a card's QR text, a round with a pickup on it."""

from __future__ import annotations

import datetime as dt
import uuid

from pickup.models import PickupRequest, Round, RoundStop
from recycle.db import utcnow


def scanned_card(household_id):  # noqa: ANN001, ANN201
    """The card text a collector's phone reads at the door (None for an id that is no household)."""
    from recycle.households import card_token
    from recycle.models import Household
    from tests import factories
    from tests.conftest import CARD_SECRET

    db = factories.UserFactory._meta.sqlalchemy_session
    if db is None:
        return None
    was_open = db.in_transaction()
    household = db.get(Household, household_id)
    token = card_token(CARD_SECRET, household) if household is not None else None
    if not was_open:
        db.close()  # a committed-app test: hold no SQLite lock while its threads write
    return token


def ticket(qr=None, household_id=None, lines=None, at=None, client_id=None, pickup_id=None, typed=False) -> dict:
    """A weigh-in body. A household given by id is sent as its scanned card unless `typed` (the id typed in)."""
    if household_id and not typed and not qr and not pickup_id:
        qr = scanned_card(household_id)
        household_id = None if qr else household_id
    body = {
        "client_id": client_id or str(uuid.uuid4()),
        "collected_at": (at or utcnow()).isoformat(),
        "lines": lines
        if lines is not None
        else [{"material_code": "PET_CLEAR", "grade": "A", "weight_g": 2500}, {"material_code": "ALU_CAN", "weight_g": 1234}],
    }
    if qr:
        body["qr"] = qr
    if household_id:
        body["household_id"] = household_id
    if pickup_id:
        body["pickup_id"] = pickup_id
    return body


def card_text(client, headers, household_id) -> str:
    return client.get(f"/api/v1/households/{household_id}/qr?format=text", headers=headers).data.decode()


def round_with_pickup(db, tenant, collector, household, day=None):
    day = day or (utcnow() + dt.timedelta(hours=7)).date()  # the tenant's (Bangkok) day, as rounds are planned
    rnd = Round(tenant_id=tenant.id, collector_user_id=collector.id, round_date=day, status="planned")
    db.add(rnd)
    db.flush()
    pickup = PickupRequest(
        tenant_id=tenant.id,
        household_id=household.id,
        requested_date=day,
        status="scheduled",
        round_id=rnd.id,
        lat=household.lat,
        lng=household.lng,
        estimated=[],
        note="",
    )
    db.add(pickup)
    db.flush()
    db.add(RoundStop(tenant_id=tenant.id, round_id=rnd.id, pickup_id=pickup.id, position=1))
    db.flush()
    return rnd, pickup


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)
