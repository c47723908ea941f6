"""Helpers for settlement tests: credit households with real tickets, log in with a fresh token."""

from __future__ import annotations

import datetime as dt

from recycle.db import utcnow
from tests.pickup.ticket_helpers import ticket


def credit(client, headers, household_id, grams=1000, material="ALU_CAN", at=None) -> dict:
    """A weigh-in of aluminium (40 THB/kg in the test catalog): 1000 g = 4000 satang."""
    r = client.post(
        "/api/v1/collections",
        headers=headers,
        json=ticket(
            household_id=household_id,
            at=at or utcnow() - dt.timedelta(days=1),
            lines=[{"material_code": material, "weight_g": grams}],
        ),
    )
    assert r.status_code == 201, r.json
    return r.json


def yesterday() -> str:
    return (utcnow() + dt.timedelta(hours=7) - dt.timedelta(days=1)).date().isoformat()


def today() -> str:
    return (utcnow() + dt.timedelta(hours=7)).date().isoformat()
