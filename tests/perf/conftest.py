"""Statement counting: deterministic where timings are not. `statements()` counts what reaches the driver.

Transaction control (SAVEPOINT, RELEASE, ROLLBACK TO, BEGIN) is counted apart in `tx`: the test harness
turns each request's BEGIN/COMMIT into a SAVEPOINT pair, which production does not send. Nested
savepoints a service takes are round trips too, so tests bound `tx` separately.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

_TX = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


class Counter:
    def __init__(self) -> None:
        self.sql: list[str] = []
        self.tx = 0

    @property
    def n(self) -> int:
        return len(self.sql)

    def __repr__(self) -> str:
        return f"{self.n} statements:\n" + "\n".join(s[:160] for s in self.sql)


@pytest.fixture
def statements(engine: Any):  # noqa: ANN201
    """`with statements() as c: ...` then `c.n` (savepoint SQL counts too: it is a round trip)."""

    @contextmanager
    def count() -> Iterator[Counter]:
        c = Counter()

        def on_execute(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            if statement.lstrip().upper().startswith(_TX):
                c.tx += 1
            else:
                c.sql.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            yield c
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)

    return count
