"""The ledger's invariants under random sequences of weigh-ins, retries, voids and corrections."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pickup import tickets
from pickup.context import TicketContext
from pickup.models import CollectionTicket
from pricing.quotes import LineInput
from recycle import ledger
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput
from recycle.ledger import LedgerTransaction, Posting
from recycle.principal import Principal
from tests import factories
from tests.props import examples

ops = st.lists(
    st.one_of(
        st.tuples(st.just("weigh"), st.integers(0, 2), st.integers(1, 400_000), st.integers(1, 50)),
        st.tuples(st.just("retry"), st.integers(0, 30)),
        st.tuples(st.just("void"), st.integers(0, 30)),
        st.tuples(st.just("correct"), st.integers(0, 30), st.integers(1, 400_000)),
    ),
    min_size=1,
    max_size=15,
)


def test_a_transaction_must_balance(db, tenant):
    a, b = ledger.account(db, tenant.id, ledger.CASH), ledger.account(db, tenant.id, ledger.PURCHASES)
    with pytest.raises(InvalidInput, match="balance"):
        ledger.post(db, tenant.id, "k1", "test", [ledger.Leg(a, 100), ledger.Leg(b, -99)])
    with pytest.raises(TypeError):
        ledger.post(db, tenant.id, "k2", "test", [ledger.Leg(a, 1.5), ledger.Leg(b, -1.5)])  # type: ignore[arg-type]
    txn = ledger.post(db, tenant.id, "k3", "test", [ledger.Leg(a, 100), ledger.Leg(b, -100)])
    assert ledger.post(db, tenant.id, "k3", "test", [ledger.Leg(a, 100), ledger.Leg(b, -100)]).id == txn.id
    with pytest.raises(Conflict):
        ledger.post(db, tenant.id, "k3", "test", [ledger.Leg(a, 5), ledger.Leg(b, -5)])
    ledger.reverse(db, tenant.id, txn, "r1", "oops")
    with pytest.raises(Conflict):
        ledger.reverse(db, tenant.id, txn, "r2", "again")
    assert ledger.balance(db, tenant.id, a.id) == 0


@settings(max_examples=examples(30))
@given(ops=ops)
def test_ledger_invariants_hold(db, ops):
    """Each example in its own savepoint: a failing one cannot poison the next."""
    sp = db.begin_nested()
    try:
        _test_ledger_invariants_hold(db, ops)
    finally:
        sp.rollback()
        db.expunge_all()  # SQLite reuses rolled-back ids: forget every object of this example


def _test_ledger_invariants_hold(db, ops):
    tenant = factories.TenantFactory()
    factories.add_material(db, tenant, "PET_CLEAR", since=utcnow() - dt.timedelta(days=1))
    factories.add_material(db, tenant, "BOTTLE", unit="piece", buy=30, sale=45, since=utcnow() - dt.timedelta(days=1))
    staff = factories.UserFactory(tenant=tenant, role="staff")
    p = Principal(staff.id, tenant.id, "staff")
    homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(3)]
    sent: list[tickets.TicketInput] = []
    for op in ops:
        existing = list(
            db.scalars(select(CollectionTicket).where(CollectionTicket.tenant_id == tenant.id).order_by(CollectionTicket.id))
        )
        if op[0] == "weigh":
            inp = tickets.TicketInput(
                str(uuid.uuid4()),
                utcnow(),
                [LineInput("PET_CLEAR", "A", op[2]), LineInput("BOTTLE", "A", None, op[3])],
                household_id=homes[op[1]],
            )
            tickets.create_ticket(TicketContext(db, p, tenant, "s"), inp)
            sent.append(inp)
        elif op[0] == "retry" and sent:
            _, created = tickets.create_ticket(TicketContext(db, p, tenant, "s"), sent[op[1] % len(sent)])
            assert not created
        elif op[0] == "void" and existing:
            t = existing[op[1] % len(existing)]
            if t.status == "voided":
                with pytest.raises(Conflict):
                    tickets.void(db, p, t.id, "again")
            else:
                tickets.void(db, p, t.id, "test")
        elif op[0] == "correct" and existing:
            t = existing[op[1] % len(existing)]
            try:
                tickets.correct(TicketContext(db, p, tenant, "s"), t.id, [LineInput("PET_CLEAR", "A", op[2])], "fix")
            except Conflict:
                pass  # already corrected once
    # 1. every transaction balances, and so the whole ledger does
    sums = db.execute(
        select(Posting.transaction_id, func.sum(Posting.amount_satang))
        .where(Posting.tenant_id == tenant.id)
        .group_by(Posting.transaction_id)
    ).all()
    assert all(total == 0 for _, total in sums) and ledger.trial_balance(db, tenant.id) == 0
    # 2. each household is owed exactly its active tickets
    for h in homes:
        active = db.scalar(
            select(func.coalesce(func.sum(CollectionTicket.total_satang), 0)).where(
                CollectionTicket.household_id == h, CollectionTicket.status == "active"
            )
        )
        assert ledger.household_balance(db, tenant.id, h) == active
    # 3. nothing was reversed twice, and every voided ticket with money has exactly one reversal
    reversed_ids = db.scalars(
        select(LedgerTransaction.reverses_id).where(
            LedgerTransaction.tenant_id == tenant.id, LedgerTransaction.reverses_id.is_not(None)
        )
    ).all()
    assert len(reversed_ids) == len(set(reversed_ids))
    voided_with_money = db.scalar(
        select(func.count())
        .select_from(CollectionTicket)
        .where(
            CollectionTicket.tenant_id == tenant.id,
            CollectionTicket.status == "voided",
            CollectionTicket.ledger_transaction_id.is_not(None),
        )
    )
    assert voided_with_money == len(reversed_ids)
