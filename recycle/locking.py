"""Row locks for status transitions: read the row under lock, then decide.

Two staff acting on one ticket, payout or pickup at the same moment must not both act on the status
they saw before the other committed. `get_for_update` takes the row lock (SELECT … FOR UPDATE OF the
row only, never a joined eager load) and *re-reads* the row, overwriting whatever the session already
held: without `populate_existing` SQLAlchemy would hand back the stale object from its identity map.

PostgreSQL queues the second transaction on the lock and gives it the committed row. SQLite has no
row locks; the embedded default opens every transaction with BEGIN IMMEDIATE, so writers are serial.
"""

from __future__ import annotations

import zlib
from typing import TypeVar

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

T = TypeVar("T")


def get_for_update(session: Session, model: type[T], id_: int, tenant_id: int) -> T | None:
    """The tenant's row, locked until commit and fresh from the database; None if there is none."""
    stmt = (
        select(model)
        .where(model.id == id_, model.tenant_id == tenant_id)  # type: ignore[attr-defined]
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).unique().one_or_none()


def lock_many(session: Session, model: type[T], ids: list[int], tenant_id: int) -> dict[int, T]:
    """Several rows locked in id order (two planners locking overlapping sets queue instead of deadlocking)."""
    stmt = (
        select(model)
        .where(model.id.in_(ids), model.tenant_id == tenant_id)  # type: ignore[attr-defined]
        .order_by(model.id)
        .with_for_update(of=model)  # type: ignore[attr-defined]
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in session.scalars(stmt).unique()}  # type: ignore[attr-defined]


def for_update(stmt: Select, model: type) -> Select:
    """Lock the rows a visibility-filtered select returns (only `model`'s table) and re-read them fresh."""
    return stmt.with_for_update(of=model).execution_options(populate_existing=True)


def serialise(session: Session, name: str, key: int) -> None:
    """Queue transactions doing `name` for `key` when there is no row to lock (a budget, a counter read
    then acted on): a PostgreSQL advisory lock held until commit. SQLite writers are serial already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": zlib.crc32(name.encode()) & 0x7FFFFFFF, "key": key}
        )
