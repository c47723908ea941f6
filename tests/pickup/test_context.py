"""The ticket context: the four things every ticket function needs, given once and checked once."""

from __future__ import annotations

import uuid

import pytest

from pickup import tickets
from pickup.context import TicketContext
from pricing.quotes import LineInput
from recycle import households
from recycle.db import utcnow
from recycle.errors import InvalidInput
from recycle.principal import Principal
from recycle.qrtoken import CardKeys
from tests import factories

KEYS = CardKeys.parse("1:card-key-for-the-context-test-0123456789")


def _staff(tenant) -> Principal:  # noqa: ANN001
    return Principal(factories.UserFactory(tenant=tenant, role="staff").id, tenant.id, "staff")


def test_a_context_for_another_waste_bank_is_refused(db) -> None:
    mine, other = factories.TenantFactory(), factories.TenantFactory()
    with pytest.raises(ValueError, match="principal's own"):
        TicketContext(db, _staff(mine), other, KEYS)


def test_a_scanned_card_is_read_with_the_card_keys_and_refused_where_none_were_given(db) -> None:
    tenant = factories.TenantFactory()
    factories.add_material(db, tenant, "PET_CLEAR", buy=900)
    staff, home = _staff(tenant), factories.HouseholdFactory(tenant=tenant)
    card = households.card_token(KEYS, home)

    def weigh(ctx: TicketContext) -> tickets.CollectionTicket:
        inp = tickets.TicketInput(str(uuid.uuid4()), utcnow(), [LineInput("PET_CLEAR", "A", 1_000)], qr=card)
        return tickets.create_ticket(ctx, inp)[0]

    assert weigh(TicketContext(db, staff, tenant, KEYS)).household_id == home.id
    with pytest.raises(InvalidInput) as refused:  # e.g. a correction's context: it never reads a card
        weigh(TicketContext(db, staff, tenant))
    assert list(refused.value.errors) == ["qr"]
    with pytest.raises(InvalidInput) as forged:
        weigh(TicketContext(db, staff, tenant, CardKeys.parse("1:some-other-card-key-0123456789abcdef")))
    assert list(forged.value.errors) == ["qr"]
