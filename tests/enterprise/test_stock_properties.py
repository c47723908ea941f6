"""Stock under random sequences of handovers, walk-ins, voids, counts, drafts, dispatches, settlements, cancels.

A plain model of what the centre should hold runs beside the real thing: after every step stock on
hand and reserved agree with it, nothing is ever negative, every batch's lots add up to its lines,
and the ledger's STOCK account is worth exactly what the movements say.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from enterprise import buyers, sales, sales_trace, stock
from enterprise.stock_models import SaleBatch, StockMovement
from pickup import handover, tickets
from pickup.context import TicketContext
from pickup.models import PickupRequest, Round
from pricing.quotes import LineInput
from recycle import ledger
from recycle.db import utcnow
from recycle.errors import Conflict
from recycle.principal import Principal
from tests import factories
from tests.enterprise.stock_helpers import tax_id
from tests.props import examples

i = st.integers
sell = [
    st.tuples(st.just("draft"), i(0, 8_000), st.one_of(st.just(0), i(1, 12))),
    st.tuples(st.just("dispatch"), i(0, 30)),
    st.tuples(st.just("settle"), i(0, 30), i(0, 120)),
]
ops = st.lists(
    st.one_of(
        st.tuples(st.just("walk_in"), i(0, 2), i(1, 20_000), i(0, 30)),
        st.tuples(st.just("round"), i(0, 2), i(1, 20_000), i(0, 120)),
        st.tuples(st.just("void"), i(0, 30)),
        st.tuples(st.just("count"), st.sampled_from(["PET_CLEAR", "BOTTLE"]), i(0, 30_000)),
        st.tuples(st.just("adjust"), st.sampled_from(["PET_CLEAR", "BOTTLE"]), i(-5_000, 5_000).filter(bool)),
        *sell,
        *sell,  # selling takes three steps in order: give them the weight to happen often
        st.tuples(st.just("cancel"), i(0, 30)),
    ),
    min_size=6,
    max_size=24,
)


class World:
    """The tenant under test, and the model of what it should hold (grams of PET, bottles)."""

    def __init__(self, db):  # noqa: ANN001
        self.db = db
        self.tenant = factories.TenantFactory()
        since = utcnow() - dt.timedelta(days=1)
        self.grades = {}
        for code, unit in (("PET_CLEAR", "kg"), ("BOTTLE", "piece")):
            m = factories.add_material(db, self.tenant, code, unit=unit, buy=900 if unit == "kg" else 30, since=since)
            self.grades[code] = m.grades[0]
        self.staff = Principal(factories.UserFactory(tenant=self.tenant, role="staff").id, self.tenant.id, "staff")
        self.collector = Principal(factories.UserFactory(tenant=self.tenant, role="collector").id, self.tenant.id, "collector")
        self.homes = [factories.HouseholdFactory(tenant=self.tenant) for _ in range(3)]
        self.buyer = buyers.create(
            db, self.staff, buyers.BuyerInput("factory", "Recycler", tax_id(), material_codes=list(self.grades))
        )
        self.on_hand: dict[str, int] = defaultdict(int)
        self.walk_ins: dict[int, dict[str, int]] = {}  # ticket -> what it put in stock

    def lines(self, grams: int, pieces: int) -> list[LineInput]:
        return [LineInput("PET_CLEAR", "A", grams)] + ([LineInput("BOTTLE", "A", None, pieces)] if pieces else [])

    def reserved(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for b in self.db.scalars(
            select(SaleBatch).where(SaleBatch.tenant_id == self.tenant.id, SaleBatch.status.in_(["draft", "dispatched"]))
        ):
            for ln in b.lines:
                out[ln.material_code] += ln.qty
        return out

    def free(self, code: str) -> int:
        return self.on_hand[code] - self.reserved()[code]


def step(w: World, op: tuple) -> bool:  # noqa: C901 - one branch per operation, read side by side with the model
    db, tenant = w.db, w.tenant
    batches = list(db.scalars(select(SaleBatch).where(SaleBatch.tenant_id == tenant.id).order_by(SaleBatch.id)))
    if op[0] == "walk_in":
        t, _ = tickets.create_ticket(
            TicketContext(db, w.staff, tenant, "s"),
            tickets.TicketInput(str(uuid.uuid4()), utcnow(), w.lines(op[2], op[3]), household_id=w.homes[op[1]].id),
        )
        w.walk_ins[t.id] = {"PET_CLEAR": op[2], **({"BOTTLE": op[3]} if op[3] else {})}
        for code, q in w.walk_ins[t.id].items():
            w.on_hand[code] += q
    elif op[0] == "round":
        rnd = Round(tenant_id=tenant.id, collector_user_id=w.collector.user_id, round_date=utcnow().date())
        db.add(rnd)
        db.flush()
        pickup = PickupRequest(
            tenant_id=tenant.id,
            household_id=w.homes[op[1]].id,
            requested_date=rnd.round_date,
            status="scheduled",
            round_id=rnd.id,
            estimated=[],
            note="",
        )
        db.add(pickup)
        db.flush()
        tickets.create_ticket(
            TicketContext(db, w.collector, tenant, "s"),
            tickets.TicketInput(
                str(uuid.uuid4()), utcnow(), w.lines(op[2], 0), household_id=pickup.household_id, pickup_id=pickup.id
            ),
        )
        measured = op[2] * op[3] // 100  # the centre's scale: anywhere from nothing to 20% more
        handover.record(db, w.staff, tenant, rnd.id, [handover.MeasuredLine("PET_CLEAR", "A", measured)])
        w.on_hand["PET_CLEAR"] += measured
    elif op[0] == "void":
        from pickup.models import CollectionTicket

        existing = list(
            db.scalars(
                select(CollectionTicket)
                .where(CollectionTicket.tenant_id == tenant.id, CollectionTicket.status == "active")
                .order_by(CollectionTicket.id)
            )
        )
        if not existing:
            return False
        t = existing[op[1] % len(existing)]
        took = w.walk_ins.get(t.id, {})
        fits = all(w.free(code) >= q for code, q in took.items())
        try:
            tickets.void(db, w.staff, t.id, "test")
            assert fits, "a void that would leave reserved stock uncovered went through"
            for code, q in took.items():
                w.on_hand[code] -= q
        except Conflict:
            assert not fits
            raise
    elif op[0] in ("count", "adjust"):
        code, amount = op[1], op[2]
        after = amount if op[0] == "count" else w.on_hand[code] + amount
        kw = {"weight_g": amount} if code == "PET_CLEAR" else {"quantity": amount}
        try:
            stock.adjust(
                db,
                w.staff,
                code,
                "A",
                "count" if op[0] == "count" else "adjustment",
                kw.get("weight_g"),
                kw.get("quantity"),
                "property test",
            )
            assert after >= w.reserved()[code]
            w.on_hand[code] = after
        except Conflict:
            assert after < w.reserved()[code]
            raise
    elif op[0] == "draft":
        wanted = {"PET_CLEAR": op[1], "BOTTLE": op[2]}
        lines = [
            sales.LineIn(c, "A", q if c == "PET_CLEAR" else None, q if c == "BOTTLE" else None) for c, q in wanted.items() if q
        ]
        if not lines:
            return False
        fits = all(w.free(c) >= q for c, q in wanted.items())
        try:
            sales.create_draft(db, w.staff, w.buyer.id, lines)
            assert fits
        except Conflict:
            assert not fits
            raise
    elif batches:
        # Mostly act on a batch that can take the step; otherwise on any, which must be refused.
        ready = [b for b in batches if b.status == {"dispatch": "draft", "settle": "dispatched"}.get(op[0], b.status)]
        b = (ready or batches)[op[1] % len(ready or batches)]
        try:
            if op[0] == "dispatch":
                sales.dispatch(db, w.staff, b.id, utcnow().date(), "1กข 1234", "WB-1")
            elif op[0] == "cancel":
                sales.cancel(db, w.staff, b.id, "test")
            else:
                sales.settle(
                    db,
                    w.staff,
                    b.id,
                    sales.SettleInput(
                        [
                            sales.SettleLine(
                                ln.material_code,
                                ln.grade,
                                ln.qty * op[2] // 100 if ln.unit == "kg" else None,
                                ln.qty * op[2] // 100 if ln.unit == "piece" else None,
                                price_satang=1000,
                            )
                            for ln in b.lines
                        ]
                    ),
                )
                for ln in b.lines:
                    w.on_hand[ln.material_code] -= ln.qty
        except Conflict:
            expected = {"dispatch": "draft", "cancel": "draft", "settle": "dispatched"}[op[0]]
            assert b.status != expected
            raise
    else:
        return False
    return True


def check(w: World) -> None:
    db, tid = w.db, w.tenant.id
    held = w.reserved()
    for code, grade in w.grades.items():
        lvl = stock.level(db, tid, grade.id)
        direct = db.scalar(select(func.coalesce(func.sum(StockMovement.qty), 0)).where(StockMovement.grade_id == grade.id))
        assert lvl.on_hand == direct == w.on_hand[code], code
        assert lvl.reserved == held[code] and lvl.free >= 0 and lvl.on_hand >= 0 and lvl.value_satang >= 0
        assert lvl.on_hand > 0 or lvl.value_satang == 0, "empty stock is worth nothing"
    value = db.scalar(select(func.coalesce(func.sum(StockMovement.cost_satang), 0)).where(StockMovement.tenant_id == tid))
    assert ledger.balance(db, tid, ledger.account(db, tid, ledger.STOCK).id) == value
    assert ledger.trial_balance(db, tid) == 0
    for b in db.scalars(select(SaleBatch).where(SaleBatch.tenant_id == tid, SaleBatch.status != "cancelled")):
        for line in sales_trace.trace(db, tid, b.id)["lines"]:
            assert line["traced"] == line["quantity"] == sum(lot["drawn"] for lot in line["lots"])


@settings(max_examples=examples(100))
@given(ops=ops)
def test_stock_is_the_sum_of_its_movements_whatever_happens(db, ops):
    w = World(db)
    for op in [("walk_in", 0, 9_000, 20), *ops]:
        try:
            with db.begin_nested():  # a refused step leaves nothing behind, as a rolled-back request would
                acted = step(w, op)
            event(f"{op[0]} {'done' if acted else 'had nothing to act on'}")
        except Conflict:
            event(f"{op[0]} refused")
            db.expire_all()
        check(w)
