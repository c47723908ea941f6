"""The pickup's timeline (collected when weighed, not when synced), the round put in progress, the sync inbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pickup import inbox
from pickup.context import TicketContext
from pickup.models import CollectionTicket, SyncInboxItem
from pricing.quotes import LineInput
from recycle.db import utcnow
from recycle.principal import Principal
from tests.pickup.ticket_helpers import card_text, ticket


def _plan(client, auth, staff, collector, pickup_id, day):
    r = client.post(
        "/api/v1/rounds",
        headers=auth(staff),
        json={"collector_user_id": collector.id, "round_date": day.isoformat(), "pickup_ids": [pickup_id]},
    )
    assert r.status_code == 201, r.json
    return r.json


def test_a_pickup_keeps_its_timeline_and_collected_is_the_weighing_time(
    client, db, auth, tenant, catalog, staff, collector, member, today
):
    pid = client.post("/api/v1/pickups", headers=auth(member), json={"requested_date": today.isoformat()}).json["id"]
    rnd = _plan(client, auth, staff, collector, pid, today)
    assert rnd["status"] == "planned"
    weighed = utcnow() - dt.timedelta(minutes=40)  # weighed at the door, synced 40 minutes later
    qr = card_text(client, auth(member), member.household_id)
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(qr=qr, pickup_id=pid, at=weighed))
    assert r.status_code == 201, r.json
    p = client.get(f"/api/v1/pickups/{pid}", headers=auth(staff)).json
    assert [e["status"] for e in p["timeline"]] == ["requested", "scheduled", "collected"]
    collected = dt.datetime.fromisoformat(p["timeline"][-1]["at"])
    assert abs((collected - weighed).total_seconds()) < 1
    assert p["timeline"][-1]["by_user_id"] == collector.id and p["timeline"][1]["by_user_id"] == staff.id
    assert client.get(f"/api/v1/rounds/{rnd['id']}", headers=auth(staff)).json["status"] == "in_progress"


def test_a_cancelled_pickup_shows_who_cancelled(client, auth, staff, member, today):
    pid = client.post("/api/v1/pickups", headers=auth(member), json={"requested_date": today.isoformat()}).json["id"]
    client.post(f"/api/v1/pickups/{pid}/cancel", headers=auth(member), json={"reason": "ไม่อยู่บ้าน"})
    timeline = client.get(f"/api/v1/pickups/{pid}", headers=auth(staff)).json["timeline"]
    assert [(e["status"], e["by_user_id"]) for e in timeline] == [("requested", member.id), ("cancelled", member.id)]


def _revoked_item(client, auth, staff, member):
    qr = card_text(client, auth(member), member.household_id)
    client.post(f"/api/v1/households/{member.household_id}/qr/reissue", headers=auth(staff))
    return ticket(qr=qr, lines=[{"material_code": "PET_CLEAR", "weight_g": 3200}])


def test_a_rejected_sync_item_is_parked_once_and_the_phone_is_told(client, db, auth, tenant, catalog, staff, collector, member):
    item = _revoked_item(client, auth, staff, member)
    first = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json
    res = first["results"][0]
    assert res["status"] == "rejected" and res["parked"] is True and res["code"] == "qr_revoked"
    assert first["rejected"] == 1 and first["parked"] == 1
    again = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json["results"][0]
    assert again["status"] == "rejected" and again["inbox_id"] == res["inbox_id"]
    rows = list(db.scalars(select(SyncInboxItem)))
    assert len(rows) == 1 and rows[0].collector_user_id == collector.id and rows[0].status == "parked"
    assert rows[0].item["lines"] == item["lines"] and rows[0].reason_code == "qr_revoked"


def test_staff_fix_and_accept_a_parked_item_and_the_phone_retry_is_a_duplicate(
    client, db, auth, tenant, catalog, staff, collector, member
):
    item = _revoked_item(client, auth, staff, member)
    inbox_id = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json["results"][0][
        "inbox_id"
    ]
    principal = Principal(staff.id, tenant.id, "staff")
    from tests.conftest import CARD_SECRET

    t = inbox.accept(
        TicketContext(db, principal, tenant, CARD_SECRET),
        inbox_id,
        member.household_id,
        [LineInput("PET_CLEAR", "A", 3000)],
        note="บัตรเก่า ชั่งใหม่ 3.0 กก.",
    )
    db.flush()
    assert t.status == "active" and t.client_id == item["client_id"] and t.weight_g == 3000
    row = db.get(SyncInboxItem, inbox_id)
    assert row.status == "accepted" and row.resolved_by_user_id == staff.id and row.ticket_id == t.id
    retry = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json["results"][0]
    assert retry["status"] == "duplicate" and retry["ticket"]["id"] == t.id and retry["parked"] is False
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 1
    assert inbox.parked_count(db, tenant.id) == 0


def test_staff_find_collectors_by_name(client, auth, tenant, staff, collector, member):
    from tests import factories

    factories.UserFactory(tenant=tenant, role="collector", active=False)
    factories.UserFactory(role="collector")  # another waste bank's
    r = client.get("/api/v1/collectors", headers=auth(staff))
    assert r.status_code == 200 and [c["id"] for c in r.json["items"]] == [collector.id]
    assert r.json["items"][0]["name"] == collector.name
    assert client.get("/api/v1/collectors", headers=auth(collector)).status_code == 403


def test_two_phones_parking_the_same_refused_item_at_once_make_one_inbox_row(committed_app):
    """On PostgreSQL this races two real transactions on the inbox's unique (tenant, client_id)."""
    import threading

    from recycle.db import UnitOfWork
    from tests import factories

    factory = committed_app.extensions["thangngoen.sessions"]
    with UnitOfWork(factory) as uow:
        factories.bind(uow.session)
        tenant = factories.TenantFactory()
        factories.add_material(uow.session, tenant, "PET_CLEAR", since=utcnow() - dt.timedelta(days=1))
        collectors = [factories.UserFactory(tenant=tenant, role="collector") for _ in range(2)]
        uow.commit()
        tenant_id = tenant.id
    from api.auth import issue_tokens

    with committed_app.app_context():
        headers = [{"Authorization": "Bearer " + issue_tokens(c)["access_token"]} for c in collectors]
    item = ticket(household_id=99999999, typed=True, lines=[{"material_code": "PET_CLEAR", "weight_g": 1000}])
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(i: int) -> None:
        client = committed_app.test_client()
        barrier.wait()
        responses[i] = client.post("/api/v1/collections/sync", headers=headers[i], json={"items": [item]})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert [r.status_code for r in responses] == [200, 200], [r.json for r in responses]
    ids = {r.json["results"][0]["inbox_id"] for r in responses}
    assert len(ids) == 1 and all(r.json["results"][0]["parked"] for r in responses)
    with UnitOfWork(factory) as uow:
        assert (
            uow.session.scalar(select(func.count()).select_from(SyncInboxItem).where(SyncInboxItem.tenant_id == tenant_id)) == 1
        )


def test_the_collector_starts_the_round_and_only_its_own(client, db, auth, tenant, staff, collector, member, today):
    from tests import factories

    pid = client.post("/api/v1/pickups", headers=auth(member), json={"requested_date": today.isoformat()}).json["id"]
    rnd = _plan(client, auth, staff, collector, pid, today)
    someone_else = factories.UserFactory(tenant=tenant, role="collector")
    assert client.post(f"/api/v1/rounds/{rnd['id']}/start", headers=auth(someone_else)).status_code == 404
    r = client.post(f"/api/v1/rounds/{rnd['id']}/start", headers=auth(collector))
    assert r.status_code == 200 and r.json["status"] == "in_progress"
    assert client.post(f"/api/v1/rounds/{rnd['id']}/start", headers=auth(collector)).json["status"] == "in_progress"


def test_a_discarded_item_needs_a_reason_and_the_phone_retry_says_so(client, db, auth, tenant, catalog, staff, collector, member):
    from recycle.errors import InvalidInput

    item = _revoked_item(client, auth, staff, member)
    inbox_id = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json["results"][0][
        "inbox_id"
    ]
    who = Principal(staff.id, tenant.id, "staff")
    try:
        inbox.discard(db, who, inbox_id, "  ")
        raise AssertionError("a discard without a reason was accepted")
    except InvalidInput as exc:
        assert "reason" in exc.errors
    inbox.discard(db, who, inbox_id, "สมาชิกขอยกเลิก นำขยะกลับไป")
    db.flush()
    retry = client.post("/api/v1/collections/sync", headers=auth(collector), json={"items": [item]}).json["results"][0]
    assert retry["status"] == "rejected" and "discarded by staff" in retry["detail"] and retry["parked"] is True
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 0
