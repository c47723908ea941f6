"""Rank semantics on boards of their own data: ties, pages and "me" agree with RANK(); a member who moves village."""

from __future__ import annotations

import datetime as dt

from tests import factories
from tests.game.helpers import deposit, kg, local

TODAY = dt.date(2026, 3, 18)


def test_pages_and_my_rank_agree_with_rank_semantics_whatever_the_ties(db, tenant):
    """RANK() as an oracle in Python: ties share a rank, the next rank skips; every page and "me" agree."""
    import random as _random

    from recycle.game import boards as _boards
    from recycle.game.models import HouseholdPoints as _HP

    rng = _random.Random(7)
    homes = [factories.HouseholdFactory(tenant=tenant) for _ in range(23)]
    values = {h.id: rng.choice([0, 5, 5, 9, 12, 12, 12, 40]) for h in homes}
    for h in homes:
        db.add(_HP(tenant_id=tenant.id, household_id=h.id, lifetime=values[h.id], balance=0, weight_g=0))
    db.flush()
    ranked = sorted((v, hid) for hid, v in values.items() if v > 0)
    ranked.sort(key=lambda x: (-x[0], x[1]))
    oracle = {hid: 1 + sum(1 for v2, _ in ranked if v2 > v) for v, hid in ranked}
    today = dt.date.today()
    for me in (ranked[0][1], ranked[-1][1], ranked[len(ranked) // 2][1]):
        seen = []
        for page in (1, 2, 3):
            b = _boards.households_board(db, tenant.id, "points", "all", today, me=me, page=page, per_page=5)
            assert b.total == len(ranked)
            seen += [(r.rank, r.value) for r in b.items]
            assert b.me is not None and (b.me.rank, b.me.value) == (oracle[me], values[me])
        assert seen == [(oracle[hid], v) for v, hid in ranked][:15]


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
