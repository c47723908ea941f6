"""Points reconcile with the tickets: whatever order weigh-ins and voids come in, each household holds exactly
what the rules give for its active tickets (capped per local month, plus streaks), and the balance row is
the sum of the entries."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pickup import tickets
from pickup.context import TicketContext
from pickup.models import CollectionTicket
from pricing.quotes import LineInput
from recycle.db import utcnow
from recycle.errors import Conflict
from recycle.game import deposits, points
from recycle.game.models import PeriodTotal
from recycle.principal import Principal
from tests import factories
from tests.game.helpers import BANGKOK, deposit, kg, oracle_line, oracle_total, pieces
from tests.props import examples

CAP, STREAK, STREAK_MAX = 150, 10, 3
MATERIALS = [
    ("PET_CLEAR", "recyclable", True),
    ("ALU_CAN", "recyclable", False),
    ("ORGANIC", "organic", False),
    ("BATTERY", "hazardous", False),
    ("SOFA", "general", False),
]

line = st.one_of(
    st.builds(
        lambda m, g, w: kg(m[0], w, m[1], grade=g, graded=m[2]),
        st.sampled_from(MATERIALS),
        st.sampled_from("AB"),
        st.integers(1, 40_000),
    ),
    st.builds(lambda n: pieces("BOTTLE", n), st.integers(1, 60)),
)
ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("deposit"), st.integers(0, 1), st.integers(0, 80), st.integers(0, 23), st.lists(line, min_size=1, max_size=3)
        ),
        st.tuples(st.just("void"), st.integers(0, 40)),
        st.tuples(st.just("again"), st.integers(0, 40)),  # the hook runs twice for one ticket (retry, approve...)
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=examples(60))
@given(ops=ops)
def test_balance_is_what_the_rules_give_for_the_active_tickets(db, ops):
    tenant = factories.TenantFactory(
        settings={"points": {"monthly_cap": CAP, "streak_bonus": STREAK, "streak_max_weeks": STREAK_MAX}}
    )
    homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(2)]
    start = dt.datetime(2026, 1, 20, tzinfo=BANGKOK)  # 80 days: across three month ends
    made: list[dict] = []
    for op in ops:
        if op[0] == "deposit":
            when = start + dt.timedelta(days=op[2], hours=op[3])
            tid, _ = deposit(db, tenant.id, homes[op[1]], when, op[4])
            made.append({"tid": tid, "hid": homes[op[1]], "day": when.date(), "lines": op[4], "active": True, "when": when})
        elif made and op[0] == "void":
            m = made[op[1] % len(made)]
            deposits.reverse_deposit(db, tenant.id, m["tid"])
            m["active"] = False
        elif made:
            m = made[op[1] % len(made)]
            if m["active"]:
                deposit(db, tenant.id, m["hid"], m["when"], m["lines"], ticket_id=m["tid"])
    for hid in homes:
        active = [(m["day"], sum(oracle_line(ln) for ln in m["lines"])) for m in made if m["hid"] == hid and m["active"]]
        expected = oracle_total(active, CAP, STREAK, STREAK_MAX)
        held = points.summary(db, tenant.id, hid)
        assert held.balance == held.lifetime == expected
        assert points.entries_sum(db, tenant.id, hid) == expected
        assert held.weight_g == sum(ln.weight_g or 0 for m in made if m["hid"] == hid and m["active"] for ln in m["lines"])
        for period in ("week", "month", "year"):  # the kept totals the leaderboards read add up to the same
            kept = db.execute(
                select(func.coalesce(func.sum(PeriodTotal.points), 0), func.coalesce(func.sum(PeriodTotal.weight_g), 0)).where(
                    PeriodTotal.household_id == hid, PeriodTotal.period == period
                )
            ).one()
            assert tuple(kept) == (held.lifetime, held.weight_g)
    for m in made:
        if not m["active"]:
            assert points.ticket_points(db, tenant.id, m["tid"]) == 0


ticket_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("weigh"),
            st.integers(0, 1),
            st.integers(0, 9 * 24),
            st.integers(1, 30_000),
            st.integers(1, 20_000),
            st.sampled_from("AB"),
            st.integers(0, 5_000),
        ),
        st.tuples(st.just("void"), st.integers(0, 30)),
        st.tuples(st.just("correct"), st.integers(0, 30), st.integers(1, 30_000)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=examples(25))
@given(ops=ticket_ops)
def test_real_tickets_voids_and_corrections_move_the_points(db, ops):
    """Through the ticket service and its hooks: the points equal the rules applied to the active tickets' lines."""
    tenant = factories.TenantFactory(settings={"points": {"monthly_cap": 200}})
    since = utcnow() - dt.timedelta(days=12)
    factories.add_material(db, tenant, "PET_CLEAR", grades=("A", "B"), since=since)
    factories.add_material(db, tenant, "ORGANIC", category="organic", buy=0, since=since)
    factories.add_material(db, tenant, "BOTTLE", unit="piece", buy=30, since=since)
    staff = factories.UserFactory(tenant=tenant, role="staff")
    p = Principal(staff.id, tenant.id, "staff")
    homes = [factories.HouseholdFactory(tenant=tenant).id for _ in range(2)]
    for op in ops:
        existing = list(
            db.scalars(select(CollectionTicket).where(CollectionTicket.tenant_id == tenant.id).order_by(CollectionTicket.id))
        )
        if op[0] == "weigh":
            lines = [LineInput("PET_CLEAR", op[5], op[3]), LineInput("ORGANIC", "A", op[4])]
            if op[6]:
                lines.append(LineInput("BOTTLE", "A", None, op[6] % 50 + 1))
            inp = tickets.TicketInput(str(uuid.uuid4()), utcnow() - dt.timedelta(hours=op[2]), lines, household_id=homes[op[1]])
            tickets.create_ticket(TicketContext(db, p, tenant, "s"), inp)
        elif existing and op[0] == "void":
            t = existing[op[1] % len(existing)]
            if t.status != "voided":
                tickets.void(db, p, t.id, "test")
        elif existing:
            try:
                tickets.correct(
                    TicketContext(db, p, tenant, "s"),
                    existing[op[1] % len(existing)].id,
                    [LineInput("PET_CLEAR", "B", op[2])],
                    "fix",
                )
            except Conflict:
                pass
    graded = {"PET_CLEAR": True}
    category = {"PET_CLEAR": "recyclable", "ORGANIC": "organic", "BOTTLE": "recyclable"}
    for hid in homes:
        active = []
        for t in db.scalars(
            select(CollectionTicket).where(CollectionTicket.household_id == hid, CollectionTicket.status == "active")
        ):
            raw = sum(
                oracle_line(
                    kg(ln.material_code, ln.weight_g, category[ln.material_code], ln.grade, graded.get(ln.material_code, False))
                    if ln.unit == "kg"
                    else pieces(ln.material_code, ln.quantity)
                )
                for ln in t.lines
            )
            active.append((t.collected_at.astimezone(BANGKOK).date(), raw))
        assert points.summary(db, tenant.id, hid).balance == oracle_total(active, 200, 10, 5)
        assert points.entries_sum(db, tenant.id, hid) == points.summary(db, tenant.id, hid).balance
