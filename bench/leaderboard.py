"""The village leaderboard of the month with "me", at 100,000 households, against a primary-key read.

Interleaved rounds under gunicorn (4 sync workers) on 127.0.0.1, as a household member:
  GET /api/v1/leaderboards?scope=village&period=month   vs  GET /api/v1/households/{own id}     goal ≥ 0.5

usage: python bench/leaderboard.py --database-url postgresql://postgres@127.0.0.1:5432/h_speed_bench [--vacuum 0]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.common import Client, Server, args, fresh_database, interleaved, loop, run_sql  # noqa: E402
from bench.seed import seed, token  # noqa: E402

PERIODS = [  # every household has this month's (and week's, year's) kept totals; points spread with ties
    "INSERT INTO game_period_totals (tenant_id, household_id, village_id, period, start, points, weight_g) "
    "SELECT 1, id, village_id, p.period, p.start, (id * 7919) % 5000, (id * 104729) % 900000 FROM households, "
    "(VALUES ('month', date_trunc('month', now() AT TIME ZONE 'Asia/Bangkok')::date), "
    "('week', date_trunc('week', now() AT TIME ZONE 'Asia/Bangkok')::date), "
    "('year', date_trunc('year', now() AT TIME ZONE 'Asia/Bangkok')::date)) AS p(period, start)",
    "UPDATE household_points SET lifetime = (household_id * 7919) % 5000, weight_g = (household_id * 104729) % 900000",
    "INSERT INTO users (tenant_id, phone, password_hash, role, name, household_id, active, token_generation, created_at) "
    "VALUES (1, '0800000003', 'x', 'household', 'Member', :me, true, 0, now())",
]
# As autovacuum leaves a live database (and 0009l's settings keep these tables): the visibility map current, so the
# board's counts are index-only scans. A bulk load followed at once by the bench has not been vacuumed yet.
VACUUM = "VACUUM (ANALYZE)"


def main() -> None:
    a = args(__doc__, households=100_000, vacuum=1)
    engine = fresh_database(a.database_url)
    seed(engine, a.households, villages=10)
    me = a.households // 2 + 1  # on the board, about 40% down its village (household n has n * 7919 % 5000 points)
    run_sql(engine, PERIODS, me=me)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(VACUUM if a.vacuum else "ANALYZE"))
    auth = {"Authorization": "Bearer " + token(a.database_url, role="household")}
    with Server("wsgi:app", 18621, a.database_url) as ours:

        def board(c, i):  # noqa: ANN001, ANN202
            status, body, _ = c.call("GET", "/api/v1/leaderboards?scope=village&period=month", headers=auth)
            assert status == 200, body

        def pk(c, i):  # noqa: ANN001, ANN202
            status, body, _ = c.call("GET", f"/api/v1/households/{me}", headers=auth)
            assert status == 200, body

        status, body, _ = Client(ours.port).call("GET", "/api/v1/leaderboards?scope=village&period=month", headers=auth)
        assert status == 200 and json.loads(body)["me"]["rank"] > 1, body  # "me" is ranked below the page
        loop(ours.port, board, 1.0)
        loop(ours.port, pk, 1.0)
        r_board, r_pk = interleaved(a.rounds, lambda: loop(ours.port, board, a.seconds), lambda: loop(ours.port, pk, a.seconds))
        print(
            f"leaderboard ({a.households:,} households)  {r_board:7.1f} req/s   GET /households/{{id}} {r_pk:7.1f} req/s   "
            f"ratio {r_board / r_pk:.2f} (goal ≥ 0.5)"
        )


if __name__ == "__main__":
    main()
