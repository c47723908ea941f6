"""Database plumbing: the declarative base, engines and the unit of work.

One transaction per request or task: a UnitOfWork rolls back unless committed, and models never commit.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite stored naive UTC and handed back aware, so code never sees naive times."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # BIGINT everywhere (satang, grams, ids); INTEGER on SQLite so primary keys autoincrement.
    type_annotation_map = {int: BigInteger().with_variant(Integer(), "sqlite"), dt.datetime: UTCDateTime()}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kw: Any) -> Engine:
    """SQLite gets foreign keys, WAL and a busy timeout so the embedded default behaves like a server."""
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # Let SQLAlchemy own BEGIN so SAVEPOINTs work (pysqlite recipe from the SQLAlchemy docs).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and "mode=memory" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: two writers queue (busy timeout) instead of
            # deadlocking on a read-to-write upgrade, which SQLite answers with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kw.setdefault("pool_pre_ping", True)
    return create_engine(url, **kw)


def make_session_factory(bind: Any, **kw: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, **kw)


class UnitOfWork:
    """A session whose work is thrown away unless `commit()` is called (Cosmic Python's unit of work)."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self.session_factory()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


SESSIONS_CONF_KEY = "thangngoen_sessions"


def task_unit_of_work(task: Any) -> UnitOfWork:
    """A Celery task's own transaction, from the session factory the app put in the Celery config."""
    return UnitOfWork(task.app.conf[SESSIONS_CONF_KEY])


def check_in(column: str, values: type[StrEnum] | tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """`CHECK (column in (...))` generated from the enum that the code uses, so the two cannot drift apart."""
    allowed = ",".join(f"'{v}'" for v in (list(values) if not isinstance(values, tuple) else values))
    return CheckConstraint(f"{column} in ({allowed})", name=name or f"{column}_known")


def insert_ignoring_conflicts(session: Session, model: Any, index_elements: list[str]) -> Any:
    """`INSERT ... ON CONFLICT (index_elements) DO NOTHING` in the session's dialect (PostgreSQL or SQLite).

    For rows whose unique key decides "already there": no savepoint, no pre-check query; with `.returning(...)`
    the rows actually inserted come back (none when another transaction or a retry got there first)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).on_conflict_do_nothing(index_elements=index_elements)
