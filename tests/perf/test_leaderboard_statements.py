"""A village's board of the month with "me": four statements, however many households the village has.

Auth, the tenant (its calendar), my village, then the board in one statement: the page, my row, the total
and "households above me", counted on the village's own index range (no join of the tenant's totals).
"""

from __future__ import annotations

import datetime as dt

from tests import factories
from tests.game.helpers import deposit, kg, local

TODAY = dt.date(2026, 3, 18)
BOARD = f"/api/v1/leaderboards?scope=village&period=month&per_page=5&date={TODAY}"


def _households(db, tenant, village, n: int, grams: int) -> None:  # noqa: ANN001
    for _ in range(n):
        h = factories.HouseholdFactory(tenant=tenant, village=village, leaderboard_opt_in=True)
        deposit(db, tenant.id, h.id, local(2026, 3, 16), [kg("ALU_CAN", grams)])


def _board(client, headers, statements, page: int = 1):  # noqa: ANN001, ANN202
    with statements() as c:
        r = client.get(f"{BOARD}&page={page}", headers=headers)
    assert r.status_code == 200, r.json
    return c, r.json


def test_the_board_with_me_is_four_statements_whatever_the_village_size(client, db, auth, tenant, statements):
    village, elsewhere = factories.VillageFactory(tenant_id=tenant.id), factories.VillageFactory(tenant_id=tenant.id)
    me = factories.HouseholdUserFactory(tenant=tenant, household=factories.HouseholdFactory(tenant=tenant, village=village))
    deposit(db, tenant.id, me.household_id, local(2026, 3, 17), [kg("ALU_CAN", 1000)])  # 10 points
    _households(db, tenant, village, 6, 2000)  # above me: I am not on the first page
    _households(db, tenant, elsewhere, 3, 5000)
    h = auth(me)
    _board(client, h, statements)
    few, small = _board(client, h, statements)
    assert small["total"] == 7 and small["me"]["rank"] == 7 and len(small["items"]) == 5

    _households(db, tenant, village, 30, 3000)  # the village grows five-fold, the tenant too
    _households(db, tenant, elsewhere, 30, 3000)
    many, big = _board(client, h, statements)
    assert big["total"] == 37 and big["me"]["rank"] == 37
    assert few.n == many.n <= 4, (few, many)
    later, page7 = _board(client, h, statements, page=7)  # a later page also counts where its ranks start
    assert [row["rank"] for row in page7["items"]] == [31] * 5 and page7["me"]["rank"] == 37
    assert later.n == few.n, later
