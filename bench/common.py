"""Shared by the benches: a fresh PostgreSQL database seeded with generate_series, gunicorn on 127.0.0.1,
and bounded request loops measured interleaved with their baseline (A, B, A, B…), so both see the same
machine load. Only loopback addresses are ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-not-for-production-0123456789"
CARD_SECRET_KEY = "1:bench-card-key-not-for-production-0123456789ab"
# production settings need shared rate-limit storage (the app refuses per-process memory outside the embedded default)
RATELIMIT_STORAGE_URI = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def bench_env(database_url: str) -> dict[str, str]:
    """What a production node gets, for the app under test and for the seeding code alike."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "CARD_SECRET_KEY": CARD_SECRET_KEY,
        "RATELIMIT_STORAGE_URI": RATELIMIT_STORAGE_URI,
    }


DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/h_speed_bench"


def args(doc: str, **extra: Any) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL database this bench may drop and rebuild")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds per side")
    p.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    for name, default in extra.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return p.parse_args()


def fresh_database(url: str):  # noqa: ANN201 - an Engine
    """Drop and recreate the database named in `url`, migrate it, return an engine on it."""
    from migrations import upgrade
    from recycle.db import make_engine

    url = str(make_url(url).set(drivername="postgresql+psycopg"))
    admin = make_engine(str(make_url(url).set(database="postgres")), isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    upgrade(url)
    return make_engine(url)


def run_sql(engine, statements: list[str], **params: Any) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql), params)


class Server:
    """gunicorn on 127.0.0.1:port with `workers` sync workers; stopped (its whole process group) on exit."""

    def __init__(self, target: str, port: int, database_url: str, workers: int = 4) -> None:
        env = dict(
            os.environ,
            **bench_env(database_url),
            PYTHONPATH=str(ROOT),
            THANGNGOEN_INSTANCE=str(ROOT / "instance-bench"),
            LOG_LEVEL="WARNING",
        )
        env.pop("CELERY_BROKER_URL", None)
        self.port = port
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--chdir",
                str(ROOT),
                target,
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # the app logs every request at INFO
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/nope")
                c.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn {target} did not start on port {port}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class Client:
    """A keep-alive HTTP client to 127.0.0.1 (one per thread)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None) -> tuple[int, bytes, Any]:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json", **(headers or {})} if data else dict(headers or {})
        self.conn.request(method, path, body=data, headers=h)
        r = self.conn.getresponse()
        return r.status, r.read(), r


def loop(port: int, make_request: Callable[[Client, int], None], seconds: float, threads: int = 4) -> float:
    """Requests per second over `seconds` (bounded: each thread stops at the deadline)."""
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def worker(_: int) -> int:
        c, n = Client(port), 0
        while time.perf_counter() < deadline:
            make_request(c, next(counter))
            n += 1
        return n

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        done = sum(pool.map(worker, range(threads)))
    return done / (time.perf_counter() - start)


def interleaved(rounds: int, ours: Callable[[], float], baseline: Callable[[], float]) -> tuple[float, float]:
    """Medians of `rounds` alternating measurements (throughput: higher is better)."""
    a, b = [], []
    for _ in range(rounds):
        a.append(ours())
        b.append(baseline())
    return statistics.median(a), statistics.median(b)
