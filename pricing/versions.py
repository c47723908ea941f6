"""Which price version each tenant is at, known in the worker without a query (PostgreSQL LISTEN/NOTIFY).

Every phone polls the public board once a minute; answering its 304 from the version used to cost a
pooled session: a pre-ping, BEGIN, one SELECT and ROLLBACK (four round trips), more than the rest of
the request put together. A time-to-live cache would be cheaper but wrong: a price change must show
on the next poll. So the version is pushed instead: every price write sends `NOTIFY price_version,
'<tenant id>:<version>'` in its own transaction (`pricing.book._bump_on_flush`), which PostgreSQL
delivers to every listener when, and only if, that transaction commits, in commit order. Each worker
process keeps one autocommit connection that LISTENs (`PriceVersions`); a lookup first reads what
has arrived on its socket (one non-blocking recv, no round trip), then answers from memory.

What it knows is only trusted while the listening connection is up: a tenant not yet seen, or any
doubt (the connection dropped, was terminated, the worker forked), is a plain query on the same
connection, after LISTEN is (re)established, so no change between the two can be missed. A change is
visible to a worker as soon as PostgreSQL has delivered the notification, which it starts at commit,
before the writer even gets its COMMIT answer; TCP keepalives bound how long a connection that died
without a word (a dropped network path) can pass for alive.
"""

from __future__ import annotations

import os
import threading
from typing import Any

CHANNEL = "price_version"

_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
_LOOKUP = "SELECT id, price_version FROM tenants WHERE slug = %s"


def payload(tenant_id: int, version: int) -> str:
    return f"{tenant_id}:{version}"


class PriceVersions:
    """slug -> (tenant id, price version) for one worker process, kept current by LISTEN."""

    def __init__(self, conninfo: str, connect_kwargs: dict[str, Any] | None = None) -> None:
        self.conninfo = conninfo
        self.connect_kwargs = dict(connect_kwargs or {})
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = 0
        self._ids: dict[str, int] = {}  # slug -> tenant id
        self._versions: dict[int, int] = {}  # tenant id -> version, as the last notification or query said
        self._heard = 0  # notifications applied, to tell whether one arrived during a query
        self._doubted = False

    @classmethod
    def for_engine(cls, engine: Any) -> PriceVersions:
        """The same server, user and options as the engine's pool, for a connection of its own."""
        _, cparams = engine.dialect.create_connect_args(engine.url)
        cparams = dict(cparams)
        conninfo = cparams.pop("conninfo", "") or ""
        return cls(conninfo, cparams)

    def lookup(self, slug: str) -> tuple[int, int] | None:
        """(tenant id, price version) as committed now, or None for no such tenant."""
        with self._lock:
            try:
                return self._lookup(slug)
            except Exception:
                self._drop()  # anything odd: forget all, reconnect on the next call (or now, once)
                try:
                    return self._lookup(slug)
                except Exception:
                    self._drop()
                    raise

    def _lookup(self, slug: str) -> tuple[int, int] | None:
        conn = self._connection()
        self._drain(conn)
        tid = self._ids.get(slug)
        if tid is not None and tid in self._versions:
            return tid, self._versions[tid]
        heard = self._heard
        row = conn.execute(_LOOKUP, (slug,), prepare=True).fetchone()
        if row is None:
            return None
        tid, version = int(row[0]), int(row[1] or 0)
        if self._heard == heard:  # no notification came in meanwhile that this row might be older than
            self._ids[slug] = tid
            self._versions[tid] = version
        return tid, version

    def _connection(self) -> Any:
        if self._conn is not None and self._pid == os.getpid() and not self._conn.closed:
            return self._conn
        import psycopg

        if self._pid != os.getpid():
            self._conn = None  # the parent's socket: never use or close it in a forked child
        self._forget()
        kwargs = {**_KEEPALIVES, **self.connect_kwargs, "autocommit": True}
        conn = psycopg.connect(self.conninfo, **kwargs)
        conn.add_notify_handler(lambda n: self._apply(n.payload))
        # an idle connection only hears a notice when it is being ended ("terminating connection due to
        # administrator command"); the socket closes just after, which the next read would see
        conn.add_notice_handler(self._doubt)
        conn.execute(f"LISTEN {CHANNEL}")  # before any version is read, so none can slip between
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _drain(self, conn: Any) -> None:
        """What arrived on the socket since the last look: one non-blocking read, no round trip."""
        pgconn = conn.pgconn
        pgconn.consume_input()
        while (n := pgconn.notifies()) is not None:
            self._apply(n.extra.decode())
        if self._doubted or conn.broken or conn.closed:
            raise ConnectionError("the price version listener was cut off")

    def _apply(self, text: str) -> None:
        try:
            tid, version = (int(x) for x in text.split(":", 1))
        except ValueError:
            return
        self._versions[tid] = version
        self._heard += 1

    def _doubt(self, _diagnostic: Any) -> None:
        self._doubted = True

    def _forget(self) -> None:
        self._doubted = False
        self._ids.clear()
        self._versions.clear()
        self._heard += 1

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._forget()
        if conn is not None and self._pid == os.getpid():
            try:
                conn.close()
            except Exception:  # noqa: BLE001, S110 - it is being thrown away
                pass

    def close(self) -> None:
        with self._lock:
            self._drop()
