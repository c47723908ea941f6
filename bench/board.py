"""The public price board under gunicorn (4 sync workers) against a bare Flask endpoint returning the same bytes.

Interleaved rounds on 127.0.0.1:
  GET /api/v1/public/{tenant}/prices (200)                    vs  GET /bare/board (bench/raw_app.py)   goal ≥ 0.8
  the same with If-None-Match (304)                            vs  the same bare endpoint

usage: python bench/board.py --database-url postgresql://postgres@127.0.0.1:5432/h_speed_bench
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Client, Server, args, fresh_database, interleaved, loop  # noqa: E402
from bench.seed import seed  # noqa: E402

PATH = "/api/v1/public/bench/prices"


def main() -> None:
    a = args(__doc__)
    engine = fresh_database(a.database_url)
    seed(engine, 100)
    with Server("wsgi:app", 18631, a.database_url) as ours:
        status, body, resp = Client(ours.port).call("GET", PATH)
        assert status == 200, body
        etag = resp.getheader("ETag")
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            f.write(body)
        os.environ["BENCH_BOARD_FILE"] = f.name
        with Server("bench.raw_app:app", 18632, a.database_url) as bare:

            def full(c, i):  # noqa: ANN001, ANN202
                status, _, _ = c.call("GET", PATH)
                assert status == 200

            def cached(c, i):  # noqa: ANN001, ANN202
                status, _, _ = c.call("GET", PATH, headers={"If-None-Match": etag})
                assert status == 304

            def raw(c, i):  # noqa: ANN001, ANN202
                status, _, _ = c.call("GET", "/bare/board")
                assert status == 200

            for fn, port in ((full, ours.port), (cached, ours.port), (raw, bare.port)):
                loop(port, fn, 1.0)
            r200, rb = interleaved(a.rounds, lambda: loop(ours.port, full, a.seconds), lambda: loop(bare.port, raw, a.seconds))
            r304, rb2 = interleaved(a.rounds, lambda: loop(ours.port, cached, a.seconds), lambda: loop(bare.port, raw, a.seconds))
        os.unlink(f.name)
    print(f"board 200  ours {r200:7.1f} req/s   bare {rb:7.1f} req/s   ratio {r200 / rb:.2f} (goal ≥ 0.8)")
    print(
        f"board 304  ours {r304:7.1f} req/s   bare {rb2:7.1f} req/s   ratio {r304 / rb2:.2f}; 304 is {r304 / r200:.2f}x the 200"
    )


if __name__ == "__main__":
    main()
