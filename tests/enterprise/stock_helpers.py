"""Helpers for stock and sales tests: valid tax ids, walk-ins, a delivered round, buyers, batches."""

from __future__ import annotations

import datetime as dt
import itertools

from pickup.models import PickupRequest, Round, RoundStop
from recycle.db import utcnow
from tests.pickup.ticket_helpers import ticket

_seq = itertools.count(1)
API = "/api/v1"


def tax_id(first12: str | None = None) -> str:
    """A 13-digit id whose mod-11 check digit holds (juristic ids start with 0)."""
    first12 = first12 or f"0105{next(_seq):08d}"
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return first12 + str((11 - total % 11) % 10)


def walk_in(client, headers, household_id, lines):  # noqa: ANN001, ANN201
    """A member bringing material to the centre: a staff-entered ticket with no pickup."""
    r = client.post(f"{API}/collections", headers=headers, json=ticket(household_id=household_id, lines=lines))
    assert r.status_code == 201 and r.json["channel"] == "walk_in", r.json
    return r.json


def delivered_round(client, db, auth, tenant, collector, staff, households, lines, measured):  # noqa: ANN001, ANN201
    """One round visiting `households`, each weighing `lines`, handed over at the centre as `measured`."""
    day = utcnow().date()
    rnd = Round(tenant_id=tenant.id, collector_user_id=collector.id, round_date=day, status="planned")
    db.add(rnd)
    db.flush()
    for pos, home in enumerate(households, 1):
        pickup = PickupRequest(
            tenant_id=tenant.id,
            household_id=home.id,
            requested_date=day,
            status="scheduled",
            round_id=rnd.id,
            lat=home.lat,
            lng=home.lng,
            estimated=[],
            note="",
        )
        db.add(pickup)
        db.flush()
        db.add(RoundStop(tenant_id=tenant.id, round_id=rnd.id, pickup_id=pickup.id, position=pos))
        db.flush()
        r = client.post(
            f"{API}/collections", headers=auth(collector), json=ticket(household_id=home.id, pickup_id=pickup.id, lines=lines)
        )
        assert r.status_code == 201, r.json
    r = client.post(f"{API}/rounds/{rnd.id}/handover", headers=auth(staff), json={"lines": measured})
    assert r.status_code == 201, r.json
    return rnd, r.json


def buyer(client, headers, kind="factory", materials=("PET_CLEAR", "ALU_CAN", "BOTTLE"), **over):  # noqa: ANN001, ANN201
    body = {
        "kind": kind,
        "name": over.pop("name", f"Factory {next(_seq)}"),
        "tax_id": tax_id(),
        "address": "99 Moo 1, Mueang Chiang Rai",
        "contact_name": "Khun Somchai",
        "contact_phone": "0812345678",
        "material_codes": list(materials),
    }
    if kind == "disposer":
        body["license_no"] = "ร.ง.4 12345"
    body.update(over)
    r = client.post(f"{API}/buyers", headers=headers, json=body)
    assert r.status_code == 201, r.json
    return r.json


def inventory(client, headers) -> dict:  # noqa: ANN001
    r = client.get(f"{API}/inventory?per_page=200", headers=headers)
    assert r.status_code == 200, r.json
    return {(row["material_code"], row["grade"]): row for row in r.json["items"]}


def draft(client, headers, buyer_id, lines):  # noqa: ANN001, ANN201
    return client.post(f"{API}/sales", headers=headers, json={"buyer_id": buyer_id, "lines": lines})


def dispatch(client, headers, batch_id, **over):  # noqa: ANN001, ANN201
    body = {"dispatched_on": utcnow().date().isoformat(), "vehicle": "1กข 1234", "weighbridge_ticket_no": "WB-0001"}
    body.update(over)
    return client.post(f"{API}/sales/{batch_id}/dispatch", headers=headers, json=body)


def settle(client, headers, batch_id, lines, **over):  # noqa: ANN001, ANN201
    return client.post(f"{API}/sales/{batch_id}/settle", headers=headers, json={"lines": lines, **over})


def yesterday() -> str:
    return (utcnow() - dt.timedelta(days=1)).date().isoformat()
