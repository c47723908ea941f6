"""Boards of their own data: a member who moves village."""

from __future__ import annotations

import datetime as dt

from tests import factories
from tests.game.helpers import deposit, kg, local

TODAY = dt.date(2026, 3, 18)


def test_a_member_who_moves_village_is_ranked_in_the_new_village(db, tenant, staff):
    """Boards rank a village on the game's own copy of each household's village: a move must carry it."""
    from recycle import members
    from recycle.game import boards as _boards
    from recycle.principal import Principal

    north, south = (factories.VillageFactory(tenant_id=tenant.id) for _ in range(2))
    stay = factories.HouseholdFactory(tenant=tenant, village=north)
    mover = factories.HouseholdFactory(tenant=tenant, village=north, leaderboard_opt_in=True)
    deposit(db, tenant.id, stay.id, local(2026, 3, 16), [kg("ALU_CAN", 1000)])
    deposit(db, tenant.id, mover.id, local(2026, 3, 17), [kg("ALU_CAN", 3000)])

    def board(village, period):  # noqa: ANN001, ANN202
        b = _boards.households_board(db, tenant.id, "points", period, TODAY, village_id=village.id, me=mover.id)
        return [(r.rank, r.value, r.household_id) for r in b.items], b.total, b.me and (b.me.rank, b.me.value)

    assert board(north, "month") == ([(1, 30, mover.id), (2, 10, None)], 2, (1, 30))
    change = members.ProfileChange(name=mover.name, village_id=south.id, leaderboard_opt_in=True)
    members.update_profile(db, Principal(staff.id, tenant.id, "staff"), mover.id, change)
    for period in ("week", "month", "year", "all"):
        assert board(north, period) == ([(1, 10, None)], 1, None), period
        assert board(south, period) == ([(1, 30, mover.id)], 1, (1, 30)), period
    deposit(db, tenant.id, mover.id, local(2026, 3, 18), [kg("ALU_CAN", 1000)])  # kept rows made after the move too
    assert board(south, "month") == ([(1, 40, mover.id)], 1, (1, 40))
    assert board(north, "week") == ([(1, 10, None)], 1, None)
