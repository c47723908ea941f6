"""Ledger invariants after any mix of weigh-ins, voids, runs, approvals and payments (property-based)."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from enterprise import payouts, settlements
from enterprise.settlement_models import Payout
from pickup import tickets
from pickup.context import TicketContext
from pickup.models import CollectionTicket
from pricing.quotes import LineInput
from recycle import ledger
from recycle.db import utcnow
from recycle.errors import Conflict
from recycle.principal import Principal
from tests import factories
from tests.props import examples

steps = st.lists(
    st.one_of(
        st.tuples(st.just("weigh"), st.integers(0, 3), st.integers(1, 30_000)),
        st.tuples(st.just("void"), st.integers(0, 40)),
        st.tuples(st.just("settle"), st.booleans()),
        st.tuples(st.just("pay"), st.integers(0, 40)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=examples(25))
@given(steps=steps)
def test_money_is_conserved_and_nobody_is_paid_twice(db, steps):
    """Each example in its own savepoint: a failing one cannot poison the next."""
    sp = db.begin_nested()
    try:
        _test_money_is_conserved_and_nobody_is_paid_twice(db, steps)
    finally:
        sp.rollback()
        db.expunge_all()  # SQLite reuses rolled-back ids: forget every object of this example


def _test_money_is_conserved_and_nobody_is_paid_twice(db, steps):
    tenant = factories.TenantFactory(settings={"minimum_payout_satang": 1000, "welfare_bp": 250, "welfare_fixed_satang": 100})
    factories.add_material(db, tenant, "ALU_CAN", buy=4000, sale=4600, since=utcnow() - dt.timedelta(days=30))
    maker = Principal(factories.UserFactory(tenant=tenant, role="staff").id, tenant.id, "staff")
    checker = Principal(factories.UserFactory(tenant=tenant, role="staff").id, tenant.id, "staff")
    homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(4)]
    day = (utcnow() - dt.timedelta(days=1)).date()
    for step in steps:
        if step[0] == "weigh":
            inp = tickets.TicketInput(
                str(uuid.uuid4()),
                utcnow() - dt.timedelta(days=2),
                [LineInput("ALU_CAN", "A", step[2])],
                household_id=homes[step[1]],
            )
            tickets.create_ticket(TicketContext(db, maker, tenant, "s"), inp)
        elif step[0] == "void":
            ids = db.scalars(
                select(CollectionTicket.id).where(CollectionTicket.tenant_id == tenant.id, CollectionTicket.status == "active")
            ).all()
            if ids:
                tickets.void(db, maker, ids[step[1] % len(ids)], "test")
        elif step[0] == "settle":
            try:
                run = settlements.start(db, maker, tenant, day)
            except Conflict:
                continue
            settlements.compute(db, tenant.id, run.id)
            if step[1]:
                settlements.approve(db, checker, tenant.id, run.id)
            else:
                settlements.cancel(db, maker, tenant.id, run.id)
            db.flush()
        elif step[0] == "pay":
            ready = db.scalars(select(Payout.id).where(Payout.tenant_id == tenant.id, Payout.status == "ready")).all()
            if ready:
                payouts.mark_paid(db, maker, ready[step[1] % len(ready)], "cash", "")
    db.flush()
    assert ledger.trial_balance(db, tenant.id) == 0
    credited = db.scalar(
        select(func.coalesce(func.sum(CollectionTicket.total_satang), 0)).where(
            CollectionTicket.tenant_id == tenant.id, CollectionTicket.status == "active"
        )
    )
    owed = sum(ledger.household_balance(db, tenant.id, h) for h in homes)
    pending = -ledger.balance(db, tenant.id, ledger.account(db, tenant.id, ledger.PAYOUTS_PENDING).id)
    fund = -ledger.balance(db, tenant.id, ledger.account(db, tenant.id, ledger.WELFARE_FUND).id)
    cash_out = -ledger.balance(db, tenant.id, ledger.account(db, tenant.id, ledger.CASH).id)
    # every satang credited to members is still owed, waiting to be paid, in the welfare fund, or paid out
    assert credited == owed + pending + fund + cash_out
    paid = db.scalars(select(Payout).where(Payout.tenant_id == tenant.id, Payout.status == "paid")).all()
    assert cash_out == sum(p.net_satang for p in paid)
    assert len({(p.run_id, p.household_id) for p in paid}) == len(paid)  # nobody paid twice in a run
