"""Leaderboards equal a brute-force ranking, name only those who opted in, and always show my own rank.

Every test here ranks one town, built once for the module; each test runs in a savepoint of it."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from recycle.game import deposits
from recycle.models import Household, Tenant, Village
from tests import factories
from tests.conftest import module_session
from tests.game.helpers import deposit, kg, local

TODAY = dt.date(2026, 3, 18)  # a Wednesday; its week starts on 16 March


@pytest.fixture(scope="module")
def built_town(module_connection):  # noqa: ANN001, ANN201
    """~50 households in 3 villages with seeded random deposits over a year, some voided; no cap, no streak bonus,
    so the brute force below only has to add line points. Built once for the module (hundreds of deposits);
    each test runs in a savepoint of it (`connection` below). Ids only: each test loads its own objects."""
    db = module_session(module_connection)
    tenant = factories.TenantFactory(settings={"points": {"monthly_cap": 0, "streak_bonus": 0, "grade_a_bonus_pct": 0}})
    rnd = random.Random(7)
    villages = [factories.VillageFactory(tenant_id=tenant.id) for _ in range(3)]
    homes = [
        factories.HouseholdFactory(tenant=tenant, village=villages[i % 3], leaderboard_opt_in=rnd.random() < 0.5)
        for i in range(50)
    ]
    facts = []  # (household, village, local date, points, grams) of active deposits
    for h in homes:
        for _ in range(rnd.randint(0, 6)):
            day = TODAY - dt.timedelta(days=rnd.choice([0, 1, 2, 5, 20, 40, 100, 200, 400]))
            grams = rnd.choice([500, 1000, 1500, 2000, 3000])  # ties on purpose
            tid, _ = deposit(db, tenant.id, h.id, local(day.year, day.month, day.day), [kg("ALU_CAN", grams)])
            if rnd.random() < 0.1:
                deposits.reverse_deposit(db, tenant.id, tid)
            else:
                facts.append((h.id, h.village_id, day, grams * 10 // 1000, grams))
    built = {"tenant": tenant.id, "villages": [v.id for v in villages], "homes": [h.id for h in homes], "facts": facts}
    db.commit()  # into the module's transaction, rolled back after its last test
    db.close()
    return built


@pytest.fixture
def connection(savepoint_connection):  # noqa: ANN001, ANN201
    return savepoint_connection


@pytest.fixture
def town(db, built_town):  # noqa: ANN001, ANN201
    homes = {h.id: h for h in db.scalars(select(Household).where(Household.id.in_(built_town["homes"])))}
    return {
        "tenant": db.get(Tenant, built_town["tenant"]),
        "villages": [db.get(Village, v) for v in built_town["villages"]],
        "homes": [homes[h] for h in built_town["homes"]],
        "facts": built_town["facts"],
    }


@pytest.fixture
def tenant(town):  # noqa: ANN001, ANN201
    """The town's: the staff and members of these tests belong to it."""
    return town["tenant"]


def brute(facts, key, metric, start, end):  # noqa: ANN001, ANN201
    totals: dict[int, int] = {}
    for f in facts:
        if start is None or start <= f[2] < end:
            k = f[key]
            totals[k] = totals.get(k, 0) + (f[3] if metric == "points" else f[4])
    totals = {k: v for k, v in totals.items() if v > 0}
    return sorted(((1 + sum(1 for o in totals.values() if o > v), v, k) for k, v in totals.items()))


PERIODS = {
    "week": (dt.date(2026, 3, 16), dt.date(2026, 3, 23)),
    "month": (dt.date(2026, 3, 1), dt.date(2026, 4, 1)),
    "year": (dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    "all": (None, None),
}


@pytest.mark.parametrize("metric", ["points", "kg"])
@pytest.mark.parametrize("period", list(PERIODS))
def test_a_village_board_is_the_brute_force_ranking(client, auth, town, staff, metric, period):
    village = town["villages"][1]
    facts = [f for f in town["facts"] if f[1] == village.id]
    r = client.get(
        f"/api/v1/leaderboards?scope=village&village_id={village.id}&metric={metric}&period={period}&date={TODAY}&per_page=200",
        headers=auth(staff),
    )
    assert r.status_code == 200, r.json
    expected = brute(facts, 0, metric, *PERIODS[period])
    got = [(row["rank"], row["value"]) for row in r.json["items"]]
    assert got == [(rank, value) for rank, value, _ in expected] and r.json["total"] == len(expected)
    opted = {h.id: h for h in town["homes"] if h.leaderboard_opt_in}
    for row, (_, _, hid) in zip(r.json["items"], expected):
        if hid in opted:
            assert (row["household_id"], row["name"], row["anonymous"]) == (hid, opted[hid].name, False)
        else:
            assert row["household_id"] is None and row["anonymous"] and row["name"] == f"สมาชิก #{row['rank']}"


@pytest.mark.parametrize("metric", ["points", "kg"])
def test_the_board_of_villages_is_the_brute_force_ranking(client, auth, town, staff, metric):
    r = client.get(f"/api/v1/leaderboards?scope=tenant&metric={metric}&period=year&date={TODAY}", headers=auth(staff))
    expected = brute(town["facts"], 1, metric, *PERIODS["year"])
    assert [(row["rank"], row["value"]) for row in r.json["items"]] == [(rank, v) for rank, v, _ in expected]
    assert {row["village_id"] for row in r.json["items"]} == {k for _, _, k in expected}
    assert all(not row["anonymous"] and row["households"] > 0 for row in r.json["items"])


def test_my_rank_is_shown_even_outside_the_top_and_i_see_my_own_name(client, db, auth, town):
    tenant, village = town["tenant"], town["villages"][0]
    me = factories.HouseholdUserFactory(
        tenant=tenant,
        household=factories.HouseholdFactory(tenant=tenant, village=village, leaderboard_opt_in=False, name="ยายศรี"),
    )
    deposit(db, tenant.id, me.household_id, local(2026, 3, 16), [kg("ALU_CAN", 100)])  # 1 point: last
    r = client.get(f"/api/v1/leaderboards?metric=points&period=all&per_page=3&date={TODAY}", headers=auth(me)).json
    assert r["scope"] == "village" and r["village_id"] == village.id and len(r["items"]) == 3
    mine = r["me"]
    assert mine["rank"] == r["total"] > 3 and mine["value"] == 1 and mine["is_me"]
    assert mine["name"] == "ยายศรี" and mine["household_id"] == me.household_id  # to me, not anonymous
    last_page = client.get(f"/api/v1/leaderboards?period=all&per_page=1&page={r['total']}&date={TODAY}", headers=auth(me)).json
    assert last_page["items"][0]["is_me"]
    villages = client.get(f"/api/v1/leaderboards?scope=tenant&period=all&date={TODAY}", headers=auth(me)).json
    assert villages["of"] == "villages" and villages["me"]["village_id"] == village.id
    departed = db.get(Household, next(f[0] for f in town["facts"] if f[1] == village.id))
    departed.active = False  # moved away: off the board, and the others move up
    db.flush()
    after = client.get(f"/api/v1/leaderboards?period=all&per_page=200&date={TODAY}", headers=auth(me)).json
    assert after["total"] == r["total"] - 1 and after["me"]["rank"] == mine["rank"] - 1


def test_english_labels_and_a_household_that_has_not_deposited_yet(client, auth, town, member):
    r = client.get(
        "/api/v1/leaderboards?scope=tenant&of=households&period=week&date=2026-03-18",
        headers={**auth(member), "Accept-Language": "en"},
    ).json
    assert r["me"] is None and r["items"]
    anon = [row for row in r["items"] if row["anonymous"]]
    assert anon and all(row["name"] == f"Member #{row['rank']}" for row in anon)


def test_bad_board_requests_name_the_field(client, auth, staff, town):
    r = client.get("/api/v1/leaderboards?scope=village", headers=auth(staff))
    assert r.status_code == 422 and "village_id" in r.json["errors"]
    r = client.get("/api/v1/leaderboards?scope=village&of=villages&village_id=1", headers=auth(staff))
    assert r.status_code == 422 and "of" in r.json["errors"]
    r = client.get("/api/v1/leaderboards?period=decade", headers=auth(staff))
    assert r.status_code == 422 and "period" in r.json["errors"]
    other = factories.VillageFactory()
    r = client.get(f"/api/v1/leaderboards?scope=village&village_id={other.id}", headers=auth(staff))
    assert r.status_code == 422 and "village_id" in r.json["errors"]
