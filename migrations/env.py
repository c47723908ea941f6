"""Alembic environment: the URL comes from the caller (`thangngoen db upgrade`) or DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from migrations.models import metadata
from recycle.db import make_engine
from recycle.settings import Settings

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env(check=False).database_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it (batch mode): with foreign keys enforced, dropping the old copy
            # of a referenced table fails on a database that has data. Off for the migration (outside any
            # transaction, where SQLite honours it), then every reference is checked before we say done.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        _run(conn)
        if sqlite:
            broken = conn.connection.driver_connection.execute("PRAGMA foreign_key_check").fetchall()
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
    engine.dispose()


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        process_revision_directives=config.attributes.get("process_revision_directives"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
