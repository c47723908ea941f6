"""Weigh-in and sync throughput under gunicorn (4 sync workers) against a raw-SQL endpoint doing the same inserts.

Interleaved rounds on 127.0.0.1, medians printed with their ratios:
  POST /api/v1/collections (3 lines)       vs  POST /raw/collections (bench/raw_app.py)      goal ≥ 0.7
  POST /api/v1/collections/sync of 100     vs  100 single POST /api/v1/collections (time)    goal ≤ 0.2x

usage: python bench/weigh_in.py --database-url postgresql://postgres@127.0.0.1:5432/h_speed_bench
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Server, args, fresh_database, interleaved, loop  # noqa: E402
from bench.seed import seed, token  # noqa: E402

HOUSEHOLDS = 2_000
LINES = [
    {"material_code": "PET_CLEAR", "weight_g": 2500},
    {"material_code": "ALU_CAN", "weight_g": 1234},
    {"material_code": "CARDBOARD", "weight_g": 4100},
]


def card(hid: int) -> str:
    """The text of the household's printed card, as the collector's phone scans it (a typed id would be held)."""
    from bench.common import CARD_SECRET_KEY, SECRET
    from recycle.qrtoken import CardKeys, issue

    return issue(CardKeys.parse(CARD_SECRET_KEY, legacy=SECRET), 1, hid, 1)


CARDS: dict[int, str] = {}


def ticket(hid: int, scanned: bool = True) -> dict:
    body = {"client_id": str(uuid.uuid4()), "collected_at": dt.datetime.now(dt.UTC).isoformat(), "lines": LINES}
    if scanned:
        body["qr"] = CARDS.setdefault(hid, card(hid))
    else:
        body["household_id"] = hid  # the raw-SQL baseline takes the id: it checks nothing
    return body


def main() -> None:
    a = args(__doc__)
    engine = fresh_database(a.database_url)
    seed(engine, HOUSEHOLDS)
    with engine.begin() as conn:  # one collector weighs thousands of tickets a day here: lift the per-day hold
        conn.exec_driver_sql(
            "UPDATE tenants SET settings = (coalesce(settings::jsonb, '{}') || "
            "'{\"approval_collector_day_satang\": 1000000000000}'::jsonb)::json WHERE id = 1"
        )
    auth = {"Authorization": "Bearer " + token(a.database_url)}
    with Server("wsgi:app", 18611, a.database_url) as ours, Server("bench.raw_app:app", 18612, a.database_url) as raw:

        def one(c, i):  # noqa: ANN001, ANN202
            status, body, _ = c.call("POST", "/api/v1/collections", ticket(random.randint(1, HOUSEHOLDS)), auth)
            assert status == 201, body

        def bare(c, i):  # noqa: ANN001, ANN202
            status, body, _ = c.call("POST", "/raw/collections", ticket(random.randint(1, HOUSEHOLDS), scanned=False))
            assert status == 201, body

        loop(ours.port, one, 1.0)
        loop(raw.port, bare, 1.0)  # warm both
        r_ours, r_raw = interleaved(a.rounds, lambda: loop(ours.port, one, a.seconds), lambda: loop(raw.port, bare, a.seconds))
        print(f"weigh-in   ours {r_ours:7.1f} req/s   raw SQL {r_raw:7.1f} req/s   ratio {r_ours / r_raw:.2f} (goal ≥ 0.7)")

        def batch_time() -> float:
            from bench.common import Client

            c = Client(ours.port)
            start = time.perf_counter()
            status, body, _ = c.call(
                "POST", "/api/v1/collections/sync", {"items": [ticket(random.randint(1, HOUSEHOLDS)) for _ in range(100)]}, auth
            )
            assert status == 200, body
            return time.perf_counter() - start

        def singles_time() -> float:
            from bench.common import Client

            c = Client(ours.port)
            start = time.perf_counter()
            for _ in range(100):
                status, body, _ = c.call("POST", "/api/v1/collections", ticket(random.randint(1, HOUSEHOLDS)), auth)
                assert status == 201, body
            return time.perf_counter() - start

        batch, singles = interleaved(a.rounds, batch_time, singles_time)
        print(
            f"sync of 100  {batch * 1000:7.1f} ms   100 single POSTs {singles * 1000:7.1f} ms   "
            f"ratio {batch / singles:.2f}x (goal ≤ 0.2x); {100 / batch:.0f} tickets/s vs raw SQL {r_raw:.0f} req/s"
        )


if __name__ == "__main__":
    main()
