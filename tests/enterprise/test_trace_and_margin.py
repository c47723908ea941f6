"""Where every kilo came from (first in, first out), what the buyer may see, and margin against the ledger."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from pickup.day_summary import local_day_bounds
from recycle import ledger
from recycle.db import utcnow
from recycle.ledger import LedgerAccount, LedgerTransaction, Posting
from tests import factories
from tests.enterprise.stock_helpers import API, buyer, delivered_round, dispatch, draft, settle, walk_in


def _villages(trace):  # noqa: ANN001, ANN202
    return {v["name_en"]: v["households"] for v in trace["villages"]}


def test_a_batch_traces_back_to_its_lots_tickets_and_villages(client, db, auth, tenant, catalog, collector, staff):
    north, south = (factories.VillageFactory(tenant_id=tenant.id, name_en=n) for n in ("Ban Nuea", "Ban Tai"))
    a, b = factories.HouseholdFactory(tenant=tenant, village=north), factories.HouseholdFactory(tenant=tenant, village=south)
    c = factories.HouseholdFactory(tenant=tenant, village=north, name="ป้าสมศรี ใจดี")
    h = auth(staff)
    _, ho = delivered_round(
        client,
        db,
        auth,
        tenant,
        collector,
        staff,
        [a, b],
        [{"material_code": "PET_CLEAR", "weight_g": 2500}],
        [{"material_code": "PET_CLEAR", "weight_g": 5000}],
    )
    walk = walk_in(client, h, c.id, [{"material_code": "PET_CLEAR", "weight_g": 1000}])
    factory = buyer(client, h)
    first = draft(client, h, factory["id"], [{"material_code": "PET_CLEAR", "weight_g": 3000}]).json
    second = draft(client, h, factory["id"], [{"material_code": "PET_CLEAR", "weight_g": 2500}]).json
    # An open batch's lots are a forecast, after the batches drafted before it have taken theirs.
    t2 = client.get(f"{API}/sales/{second['id']}/trace", headers=h).json
    lots = t2["lines"][0]["lots"]
    assert t2["forecast"] is True and [(lot["source"], lot["drawn"]) for lot in lots] == [("handover", 2000), ("walk_in", 500)]
    assert t2["lines"][0]["traced"] == 2500 and t2["households"] == 3
    assert _villages(t2) == {"Ban Nuea": 2, "Ban Tai": 1}
    assert lots[0]["handover_id"] == ho["id"] and {t["household_id"] for t in lots[0]["tickets"]} == {a.id, b.id}
    assert lots[1]["tickets"][0]["ticket_id"] == walk["id"] and lots[1]["tickets"][0]["household_name"] == "ป้าสมศรี ใจดี"
    dispatch(client, h, second["id"])
    assert (
        settle(client, h, second["id"], [{"material_code": "PET_CLEAR", "weight_g": 2500, "price_satang": 1100}]).status_code
        == 200
    )
    # Settled second: it took the oldest stock, so the first batch now draws on what is left.
    t2 = client.get(f"{API}/sales/{second['id']}/trace", headers=h).json
    assert t2["forecast"] is False and [lot["drawn"] for lot in t2["lines"][0]["lots"]] == [2500]
    t1 = client.get(f"{API}/sales/{first['id']}/trace", headers=h).json
    assert [(lot["source"], lot["drawn"]) for lot in t1["lines"][0]["lots"]] == [("handover", 2500), ("walk_in", 500)]
    assert sum(lot["drawn"] for lot in t1["lines"][0]["lots"]) == 3000
    seen_by_buyer = client.get(f"{API}/sales/{first['id']}/trace?view=buyer", headers=h)
    assert seen_by_buyer.status_code == 200
    text = json.dumps(seen_by_buyer.json, ensure_ascii=False)
    for personal in ("ป้าสมศรี", a.name, "member_no", "household_name", "household_id", "ticket_id", "tickets"):
        assert personal not in text, personal
    assert _villages(seen_by_buyer.json) == {"Ban Nuea": 2, "Ban Tai": 1}
    assert client.get(f"{API}/sales/{first['id']}/trace?view=everyone", headers=h).status_code == 422
    assert client.get(f"{API}/sales/999999/trace", headers=h).status_code == 404


def _ledger_margin(db, tenant, day):  # noqa: ANN001, ANN202
    lo, hi = local_day_bounds(tenant, day)
    amount = lambda code: int(  # noqa: E731
        db.scalar(  # noqa: E731
            select(func.coalesce(func.sum(Posting.amount_satang), 0))
            .join(LedgerTransaction)
            .join(LedgerAccount)
            .where(
                Posting.tenant_id == tenant.id,
                LedgerAccount.code == code,
                LedgerTransaction.occurred_at >= lo,
                LedgerTransaction.occurred_at < hi,
            )
        )
    )
    return -amount(ledger.SALES_REVENUE), amount(ledger.COST_OF_GOODS)


def test_the_period_margin_is_what_the_ledger_says(client, db, auth, tenant, catalog, collector, staff, member):
    h = auth(staff)
    homes = [factories.HouseholdFactory(tenant=tenant) for _ in range(3)]
    delivered_round(
        client,
        db,
        auth,
        tenant,
        collector,
        staff,
        homes,
        [{"material_code": "PET_CLEAR", "weight_g": 1700}, {"material_code": "ALU_CAN", "weight_g": 333}],
        [{"material_code": "PET_CLEAR", "weight_g": 5050}, {"material_code": "ALU_CAN", "weight_g": 990}],
    )
    walk_in(
        client,
        h,
        member.household_id,
        [{"material_code": "PET_CLEAR", "weight_g": 777}, {"material_code": "BOTTLE", "quantity": 40}],
    )
    factory = buyer(client, h)
    sold = [
        (
            [{"material_code": "PET_CLEAR", "weight_g": 3001}, {"material_code": "BOTTLE", "quantity": 35}],
            [
                {"material_code": "PET_CLEAR", "weight_g": 2950, "deduction_g": 31, "price_satang": 1130},
                {"material_code": "BOTTLE", "quantity": 33, "price_satang": 45, "deduction_satang": 7},
            ],
        ),
        (
            [{"material_code": "PET_CLEAR", "weight_g": 2826}, {"material_code": "ALU_CAN", "weight_g": 990}],
            [
                {"material_code": "PET_CLEAR", "weight_g": 2826, "price_satang": 1170},
                {"material_code": "ALU_CAN", "weight_g": 985, "price_satang": 4550},
            ],
        ),
    ]
    for lines, figures in sold:
        batch = draft(client, h, factory["id"], lines).json
        dispatch(client, h, batch["id"])
        assert settle(client, h, batch["id"], figures).status_code == 200
    draft(client, h, factory["id"], [{"material_code": "BOTTLE", "quantity": 5}])  # open: not in the margin
    today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    report = client.get(f"{API}/reports/margin?from={today}&to={today}", headers=h)
    assert report.status_code == 200, report.json
    r = report.json
    revenue, cogs = _ledger_margin(db, tenant, today)
    assert (r["revenue_satang"], r["cost_of_goods_satang"]) == (revenue, cogs) and revenue > 0 and cogs > 0
    assert r["margin_satang"] == revenue - cogs and len(r["batches"]) == 2
    assert sum(m["margin_satang"] for m in r["materials"]) == r["margin_satang"]
    pet = next(m for m in r["materials"] if m["material_code"] == "PET_CLEAR")
    assert (pet["dispatched"], pet["received"], pet["shrinkage"]) == (5827, 5776, 51)
    assert sum(b["margin_satang"] for b in r["batches"]) == r["margin_satang"]
    # Everything is sold but the 5 reserved bottles: nothing of the members' money is left in stock but theirs.
    stock_left = ledger.balance(db, tenant.id, ledger.account(db, tenant.id, ledger.STOCK).id)
    assert stock_left == 5 * 30 and ledger.trial_balance(db, tenant.id) == 0
    before = client.get(
        f"{API}/reports/margin?from={today - dt.timedelta(days=7)}&to={today - dt.timedelta(days=1)}", headers=h
    ).json
    assert before["batches"] == [] and before["margin_satang"] == 0
    backwards = client.get(f"{API}/reports/margin?from={today}&to={today - dt.timedelta(days=1)}", headers=h)
    assert backwards.status_code == 422 and "to" in backwards.json["errors"]
