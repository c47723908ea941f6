"""Offline sync: batches replayed, reordered, half-broken, and sent from two phones at the same moment."""

from __future__ import annotations

import random
import threading
import uuid

from sqlalchemy import func, select

from pickup.models import CollectionTicket
from recycle import ledger
from recycle.db import UnitOfWork, utcnow
from tests import factories
from tests.pickup.ticket_helpers import card_text, minutes, ticket


def batch_for(hids: list[int], n: int = 6) -> list[dict]:
    now = utcnow()
    return [
        ticket(
            household_id=hids[i % len(hids)],
            at=now - minutes(5 * i),
            lines=[{"material_code": "PET_CLEAR", "weight_g": 1000 + i}, {"material_code": "BOTTLE", "quantity": i + 1}],
        )
        for i in range(n)
    ]


def test_a_batch_with_bad_items_keeps_the_good_ones(client, db, auth, tenant, catalog, collector, member):
    good = batch_for([member.household_id], 3)
    bad_schema = ticket(household_id=member.household_id, lines=[{"material_code": "PET_CLEAR", "weight_g": "heavy"}])
    bad_domain = ticket(household_id=member.household_id, lines=[{"material_code": "GOLD", "weight_g": 5}])
    not_object = "hello"
    r = client.post(
        "/api/v1/collections/sync",
        headers={**auth(collector), "Accept-Language": "en"},
        json={"items": [*good, bad_schema, bad_domain, not_object]},
    )
    assert r.status_code == 200, r.json
    statuses = [x["status"] for x in r.json["results"]]
    assert statuses == ["created"] * 3 + ["rejected"] * 3
    assert r.json["results"][3]["errors"] == {"lines.0.weight_g": ["Not a valid integer."]}
    assert r.json["results"][3]["client_id"] == bad_schema["client_id"]
    assert "lines.0.material_code" in r.json["results"][4]["errors"]
    assert (r.json["created"], r.json["rejected"]) == (3, 3)


def test_a_null_item_is_rejected_alone(client, db, auth, tenant, catalog, collector, member):
    good = batch_for([member.household_id], 2)
    r = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [good[0], None, good[1]]})
    assert r.status_code == 200, r.json
    assert [x["status"] for x in r.json["results"]] == ["created", "rejected", "created"]
    assert r.json["results"][1]["errors"] == {"_schema": ["each item must be a JSON object, not null"]}
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 2


def test_replayed_any_number_of_times_in_any_order(client, db, auth, tenant, catalog, collector, member):
    items = batch_for([member.household_id], 5)
    first = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": items}).json
    ids = {x["client_id"]: x["ticket"]["id"] for x in first["results"]}
    for _ in range(3):
        shuffled = random.sample(items, len(items))
        again = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": shuffled}).json
        assert [x["status"] for x in again["results"]] == ["duplicate"] * 5
        assert [x["client_id"] for x in again["results"]] == [i["client_id"] for i in shuffled]  # answers in the order sent
        assert {x["client_id"]: x["ticket"]["id"] for x in again["results"]} == ids
    changed = dict(items[0], lines=[{"material_code": "PET_CLEAR", "weight_g": 1}])
    r = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [changed, items[1]]}).json
    assert [x["status"] for x in r["results"]] == ["conflict", "duplicate"]
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 5
    expected = sum(t["total_satang"] for t in (x["ticket"] for x in first["results"]))
    assert ledger.household_balance(db, tenant.id, member.household_id) == expected
    assert ledger.trial_balance(db, tenant.id) == 0


def test_same_client_id_twice_inside_one_batch(client, auth, tenant, catalog, collector, member):
    item = batch_for([member.household_id], 1)[0]
    r = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item, item]}).json
    assert [x["status"] for x in r["results"]] == ["created", "duplicate"]


def test_two_phones_sending_the_same_batch_at_once_create_each_ticket_once(committed_app):
    """On PostgreSQL (CI) this races two real transactions; unique keys decide, nobody double-credits."""
    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        import datetime as dt

        factories.add_material(uow.session, tenant, "PET_CLEAR", since=utcnow() - dt.timedelta(days=1))
        factories.add_material(
            uow.session, tenant, "BOTTLE", unit="piece", buy=30, sale=45, since=utcnow() - dt.timedelta(days=1)
        )
        collectors = [factories.UserFactory(tenant=tenant, role="collector") for _ in range(2)]
        members = [factories.HouseholdFactory(tenant=tenant) for _ in range(4)]
        uow.commit()
        tenant_id, hids = tenant.id, [m.id for m in members]
    from api.auth import issue_tokens

    with committed_app.app_context():
        headers = [{"Authorization": "Bearer " + issue_tokens(c)["access_token"]} for c in collectors]
    items = batch_for(hids, 12)
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(i: int) -> None:
        client = committed_app.test_client()
        barrier.wait()
        responses[i] = client.post(
            "/api/v1/collections/sync", headers=headers[i], json={"items": random.sample(items, len(items))}
        )

    for _ in range(3):  # and replayed: still once
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        [t.start() for t in threads]
        [t.join(timeout=120) for t in threads]
        assert [r.status_code for r in responses] == [200, 200], [r.json for r in responses]
        for r in responses:
            assert {x["status"] for x in r.json["results"]} <= {"created", "duplicate"}
    with UnitOfWork(factory) as uow:
        db = uow.session
        assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 12
        assert ledger.trial_balance(db, tenant_id) == 0
        total = db.scalar(select(func.sum(CollectionTicket.total_satang)).where(CollectionTicket.tenant_id == tenant_id))
        assert sum(ledger.household_balance(db, tenant_id, h) for h in hids) == total


def test_sync_answers_for_a_scanned_card_too(client, auth, tenant, catalog, collector, member):
    qr = card_text(client, auth(member), member.household_id)
    item = ticket(qr=qr)
    r = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json
    assert r["results"][0]["status"] == "created" and r["results"][0]["ticket"]["household_id"] == member.household_id
    assert str(uuid.UUID(r["results"][0]["client_id"])) == item["client_id"]
