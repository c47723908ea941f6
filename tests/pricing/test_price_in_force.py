"""Any instant has exactly one price in force: the latest change at or before it (property-based)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import prices
from recycle.principal import Principal
from tests import factories
from tests.props import examples

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


# Each step: (minutes the clock moves on, minutes ahead the change takes effect, price)
steps = st.lists(st.tuples(st.integers(0, 600), st.integers(0, 2000), st.integers(0, 50_000)), min_size=1, max_size=12)
probes = st.lists(st.integers(-100, 20_000), min_size=1, max_size=15)


@settings(max_examples=examples(40))
@given(steps=steps, probes=probes)
def test_price_in_force_matches_brute_force(db, tenant, steps, probes):
    material = factories.add_material(
        db, tenant, f"M{factories.next_phone()[-6:]}", buy=100, sale=None, since=T0 - dt.timedelta(days=1)
    )
    grade = material.grades[0]
    principal = Principal(user_id=None, tenant_id=tenant.id, role="staff")
    history = [(T0 - dt.timedelta(days=1), 100)]
    now = T0
    for advance, ahead, price in steps:
        now += dt.timedelta(minutes=advance)
        when = now + dt.timedelta(minutes=ahead)
        if any(w == when for w, _ in history):
            continue  # the same instant twice is refused; tested elsewhere
        prices.set_prices(db, principal, [prices.PriceChange(material.code, "A", price, None, when)], now=now)
        history.append((when, price))
    for minutes in probes:
        at = T0 + dt.timedelta(minutes=minutes)
        expected = max((w, p) for w, p in history if w <= at)[1]
        assert prices.price_in_force(db, tenant.id, grade.id, at).buy_price_satang == expected
        board_row = next(r for r in prices.board(db, tenant.id, at) if r.grade.id == grade.id)
        assert board_row.price.buy_price_satang == expected
