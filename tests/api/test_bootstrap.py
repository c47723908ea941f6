"""The event table is the wiring: a script that calls the ticket service (no Flask, no namespace imported)
still earns points and brings a walk-in into stock, and one that forgot to wire is told, not silently short."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from api.bootstrap import EVENT_HANDLERS, bootstrap
from enterprise import stock
from pickup import tickets
from pickup.context import TicketContext
from pickup.events import HandoverCorrected, HandoverRecorded, TicketCredited, TicketsSynced, TicketVoided
from pricing.quotes import LineInput
from recycle import events
from recycle.db import utcnow
from recycle.game import points
from recycle.principal import Principal
from tests import factories


def _walk_in(db, tenant, staff, household, grams=2_000):  # noqa: ANN001, ANN202
    inp = tickets.TicketInput(str(uuid.uuid4()), utcnow(), [LineInput("PET_CLEAR", "A", grams)], household_id=household.id)
    return tickets.create_ticket(TicketContext(db, staff, tenant, "card-secret"), inp)[0]


def test_the_ticket_service_outside_flask_earns_points_and_brings_stock_in(db):
    bootstrap()  # what a script does first
    tenant = factories.TenantFactory()
    pet = factories.add_material(db, tenant, "PET_CLEAR", buy=900, since=utcnow() - dt.timedelta(days=1))
    staff = Principal(factories.UserFactory(tenant=tenant, role="staff").id, tenant.id, "staff")
    home = factories.HouseholdFactory(tenant=tenant)
    ticket = _walk_in(db, tenant, staff, home)
    assert ticket.status == "active" and ticket.total_satang == 1_800
    assert points.summary(db, tenant.id, home.id).balance > 0
    assert stock.level(db, tenant.id, pet.grades[0].id).on_hand == 2_000
    tickets.void(db, staff, ticket.id, "typed the wrong member")
    assert points.summary(db, tenant.id, home.id).balance == 0
    assert stock.level(db, tenant.id, pet.grades[0].id).on_hand == 0


def test_publishing_before_wiring_is_an_error_not_silence(db, monkeypatch):
    monkeypatch.setattr(events, "_wired", False)
    with pytest.raises(events.NotWired, match="bootstrap"):
        events.publish(db, TicketCredited(ticket=None))  # type: ignore[arg-type]


def test_every_pickup_event_has_its_reactions_declared_in_the_table():
    assert set(EVENT_HANDLERS) == {TicketCredited, TicketsSynced, TicketVoided, HandoverRecorded, HandoverCorrected}
    assert all(EVENT_HANDLERS[kind] for kind in EVENT_HANDLERS)
