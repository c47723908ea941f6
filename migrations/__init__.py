"""Alembic migrations for every package's tables (one history, one metadata), runnable from code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)


def alembic_config(url: str, connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "heads", connection: Any = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)


class DataLossRefused(RuntimeError):
    """A downgrade would drop tables that hold rows; the message lists them."""


def tables_at(revision: str) -> set[str]:
    """The tables the schema has at `revision`, read from a scratch SQLite database migrated to it."""
    import tempfile
    from pathlib import Path

    from sqlalchemy import create_engine, inspect

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}"
        if revision != "base":
            upgrade(url, revision)
        engine = create_engine(url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()


def tables_dropped_with_rows(url: str, revision: str) -> dict[str, bool]:
    """Each table a downgrade to `revision` would drop, and whether it holds any row."""
    from sqlalchemy import create_engine, inspect, select, table

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            now = set(inspect(conn).get_table_names()) - {"alembic_version"}
            dropped = sorted(now - tables_at(revision))
            return {name: conn.execute(select(1).select_from(table(name)).limit(1)).first() is not None for name in dropped}
    finally:
        engine.dispose()


def downgrade(url: str, revision: str, allow_data_loss: bool = False) -> list[str]:
    """Downgrade, refusing when a table that would be dropped holds data (the ledger keeps their transactions,
    so the books would point at rows that no longer exist). Returns the tables dropped."""
    at_risk = tables_dropped_with_rows(url, revision)
    full = [name for name, has_rows in at_risk.items() if has_rows]
    if full and not allow_data_loss:
        raise DataLossRefused(
            f"downgrading to {revision} would drop {len(full)} tables holding data: {', '.join(full)}. "
            "Back up first (thangngoen backup), then pass --i-know-this-drops-data."
        )
    command.downgrade(alembic_config(url), revision)
    return sorted(at_risk)
