"""Queues and rounds through the test client: counts on home, approve and void from the queue, resolve a
dispute, a paper round typed in twice is one ticket per stop, another waste bank's round is a 404."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy import func, select

from pickup import disputes, tickets
from pickup.context import TicketContext
from pickup.models import CollectionTicket, Dispute
from pricing.quotes import LineInput
from recycle.db import utcnow
from recycle.principal import Principal
from tests import factories
from tests.console.conftest import WebClient
from tests.pickup.ticket_helpers import round_with_pickup


def _held(db, tenant, collector, household, grams=1500):  # noqa: ANN001, ANN202
    who = Principal(collector.id, tenant.id, "collector")
    inp = tickets.TicketInput(
        client_id=str(uuid.uuid4()),
        collected_at=utcnow() - dt.timedelta(minutes=5),
        lines=[LineInput("PET_CLEAR", "A", grams)],
        household_id=household.id,
    )
    t, _ = tickets.create_ticket(TicketContext(db, who, tenant, "test"), inp)
    assert t.status == "pending_approval"
    return t


def test_queues_count_on_home_and_staff_approve_void_and_resolve(
    clerk: WebClient, db, tenant, catalog, collector, member, staff
) -> None:
    a = _held(db, tenant, collector, member.household)
    b = _held(db, tenant, collector, member.household, grams=2000)
    staff_p = Principal(staff.id, tenant.id, "staff")
    active, _ = tickets.create_ticket(
        TicketContext(db, staff_p, tenant, "test"),
        tickets.TicketInput(
            client_id=str(uuid.uuid4()),
            collected_at=utcnow(),
            lines=[LineInput("ALU_CAN", "A", 1000)],
            household_id=member.household_id,
        ),
    )
    d = disputes.open_dispute(
        db, Principal(member.id, tenant.id, "household", household_id=member.household_id), active.id, "ตาชั่งบ้านได้ 1.2 กก."
    )
    db.flush()
    home = clerk.get("/console/").get_data(as_text=True)
    assert re.search(r'id="q-tickets">2<', home) and re.search(r'id="q-disputes">1<', home)

    page = clerk.get("/console/queues/tickets").get_data(as_text=True)
    assert page.count("ไม่ได้สแกนบัตรสมาชิก") == 2  # each ticket says why it waits
    clerk.post("/console/queues/tickets", {"ticket_id": a.id, "action": "approve"}, follow_redirects=True)
    clerk.post("/console/queues/tickets", {"ticket_id": b.id, "action": "void", "reason": "ชั่งซ้ำ"}, follow_redirects=True)
    db.expire_all()
    assert db.get(CollectionTicket, a.id).status == "active" and db.get(CollectionTicket, b.id).status == "voided"
    again = clerk.post("/console/queues/tickets", {"ticket_id": a.id, "action": "approve"}, follow_redirects=True)
    assert "ไม่ได้รออนุมัติ" in again.get_data(as_text=True)  # a second click says why (in Thai), changes nothing
    clerk.post("/console/language", {"back": "/console/"})
    again = clerk.post("/console/queues/tickets", {"ticket_id": a.id, "action": "approve"}, follow_redirects=True)
    assert "not waiting for approval" in again.get_data(as_text=True)  # the same refusal for a clerk reading English
    clerk.post("/console/language", {"back": "/console/"})

    clerk.get("/console/queues/disputes")
    clerk.post(
        "/console/queues/disputes",
        {"dispute_id": d.id, "outcome": "rejected", "resolution": "ชั่งซ้ำต่อหน้าสมาชิกแล้วได้ 1.0 กก."},
        follow_redirects=True,
    )
    db.expire_all()
    assert db.get(Dispute, d.id).status == "rejected" and db.get(Dispute, d.id).resolved_by_user_id == staff.id
    home = clerk.get("/console/").get_data(as_text=True)
    assert re.search(r'id="q-tickets">0<', home) and re.search(r'id="q-disputes">0<', home)


def test_a_paper_round_saved_twice_is_one_ticket_per_stop(clerk: WebClient, db, tenant, catalog, collector, member) -> None:
    rnd, pickup = round_with_pickup(db, tenant, collector, member.household)
    clerk.get(f"/console/rounds/{rnd.id}/paper")
    form = {f"s{pickup.id}_PET_CLEAR_A": "2.5"}
    assert clerk.post(f"/console/rounds/{rnd.id}/paper", form).status_code == 302
    clerk.get(f"/console/rounds/{rnd.id}/paper")
    assert clerk.post(f"/console/rounds/{rnd.id}/paper", form).status_code == 302
    rows = list(db.scalars(select(CollectionTicket).where(CollectionTicket.round_id == rnd.id)))
    assert len(rows) == 1 and rows[0].weight_g == 2500 and rows[0].pickup_id == pickup.id
    db.expire_all()
    assert db.get(type(pickup), pickup.id).status == "collected"
    bad = clerk.post(f"/console/rounds/{rnd.id}/paper", {f"s{pickup.id}_PET_CLEAR_A": "abc"})
    assert bad.status_code == 422 and "not a valid number" in bad.get_data(as_text=True)


def test_another_waste_banks_round_and_inbox_item_are_404(clerk: WebClient, db, catalog) -> None:
    other = factories.TenantFactory() if hasattr(factories, "TenantFactory") else None
    outsider = factories.UserFactory(role="collector", tenant=other) if other else factories.UserFactory(role="collector")
    home = factories.HouseholdFactory(tenant=outsider.tenant)
    rnd, _ = round_with_pickup(db, outsider.tenant, outsider, home)
    assert clerk.get(f"/console/rounds/{rnd.id}").status_code == 404
    assert clerk.get(f"/console/rounds/{rnd.id}/sheet.pdf").status_code == 404
    assert clerk.get(f"/console/rounds/{rnd.id}/handover").status_code == 404
    assert clerk.get("/console/inbox/999999").status_code == 404
    assert db.scalar(select(func.count()).select_from(CollectionTicket)) == 0
