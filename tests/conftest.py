"""Fixtures: one migrated database per run; each test inside a transaction rolled back at the end.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set. Sessions join the test's connection with
`join_transaction_mode="create_savepoint"`, so the app's commits release savepoints and nothing leaks.
A module with costly shared data builds it once in `module_connection`'s transaction and runs each test in
a SAVEPOINT of it (`savepoint_connection`; tests/game/test_leaderboards.py's town).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api import create_app
from api.bootstrap import bootstrap
from migrations import upgrade
from recycle.db import Base, make_engine, make_session_factory
from recycle.security import use_hasher
from recycle.settings import Settings
from tests import factories, props  # noqa: F401 - loads the Hypothesis profile

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
SECRET = "test-secret-key-not-for-production-0123456789"
CARD_SECRET_KEY = "1:test-card-key-not-for-production-abcdefghijklmnop"


def _card_keys():  # noqa: ANN202
    from recycle.qrtoken import CardKeys

    return CardKeys.parse(CARD_SECRET_KEY, legacy=SECRET)


CARD_SECRET = _card_keys()  # the keys printed cards are signed with in tests

use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres` tests need PostgreSQL's locking (SQLite serialises writers); `worker` tests a real worker."""
    for item in items:
        if "postgres" in item.keywords and not TEST_DATABASE_URL:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL (CI does)"))
        if "worker" in item.keywords and not TEST_REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="needs a real Celery worker: set TEST_REDIS_URL (CI does)"))


@pytest.fixture(scope="session", autouse=True)
def wired_events() -> None:
    """Domain tests call the services directly: wire the event table as every entry point does."""
    bootstrap()


def _url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return Settings.from_env({"DATABASE_URL": TEST_DATABASE_URL}, check=False).database_url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _url(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture(scope="module")
def module_connection(engine: Engine) -> Iterator[Any]:
    """For a module whose shared data is built once (by a module-scoped fixture writing through this connection):
    one transaction for the whole module, rolled back at its end. Such a module overrides `connection` with
    `savepoint_connection`, so each of its tests still starts from that data and leaves nothing behind."""
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def savepoint_connection(module_connection: Any) -> Iterator[Any]:
    """The module's connection inside a SAVEPOINT rolled back after the test (sessions nest theirs inside it)."""
    savepoint = module_connection.begin_nested()
    yield module_connection
    if savepoint.is_active:
        savepoint.rollback()


def module_session(module_connection: Any) -> Session:
    """A session for a module-scoped fixture; its `commit()` keeps the data in the module's transaction."""
    session = make_session_factory(module_connection, join_transaction_mode="create_savepoint")()
    factories.bind(session)
    return session


@pytest.fixture
def session_factory(connection: Any):  # noqa: ANN201
    return make_session_factory(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def db(session_factory: Any) -> Iterator[Session]:
    session = session_factory()
    factories.bind(session)
    yield session
    session.close()


def settings_for_tests(**over: Any) -> Settings:
    values = dict(database_url="sqlite://", secret_key=SECRET, broker_url=None, embedded=False, card_secret_key=CARD_SECRET_KEY)
    values.update(over)
    return Settings(**values)


def make_app(session_factory: Any = None, **config: Any) -> Flask:
    base = {
        "TESTING": True,
        "SETTINGS": settings_for_tests(),
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",
    }
    if session_factory is not None:
        base["SESSION_FACTORY"] = session_factory
    base.update(config)
    return create_app(base)


@pytest.fixture
def app(session_factory: Any, db: Session) -> Flask:
    return make_app(session_factory)


@pytest.fixture
def client(app: Flask):  # noqa: ANN201
    return app.test_client()


@pytest.fixture
def tenant(db: Session):  # noqa: ANN201
    return factories.TenantFactory()


@pytest.fixture
def auth(app: Flask):  # noqa: ANN201
    """auth(user) -> headers with a fresh access token for that user."""
    from api.auth import issue_tokens

    def headers(user: Any) -> dict[str, str]:
        with app.app_context():
            return {"Authorization": f"Bearer {issue_tokens(user)['access_token']}"}

    return headers


@pytest.fixture
def staff(tenant: Any):  # noqa: ANN201
    return factories.UserFactory(tenant=tenant, role="staff")


@pytest.fixture
def admin(tenant: Any):  # noqa: ANN201
    return factories.UserFactory(tenant=tenant, role="admin")


@pytest.fixture
def collector(tenant: Any):  # noqa: ANN201
    return factories.UserFactory(tenant=tenant, role="collector")


@pytest.fixture
def member(tenant: Any):  # noqa: ANN201
    """A household with its own login."""
    return factories.HouseholdUserFactory(tenant=tenant)


def truncate_all(engine: Engine) -> None:
    """For tests that must really commit (threads, a real worker): wipe what they wrote."""
    import time

    from sqlalchemy.exc import OperationalError

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    for attempt in range(5):  # a worker finishing a task may hold locks for a moment
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
                else:
                    for name in tables:
                        conn.execute(text(f"DELETE FROM {name}"))
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(1)


@pytest.fixture(scope="session")
def worker(database_url: str, engine: Engine) -> Iterator[dict[str, str] | None]:
    """A real `celery -A wsgi worker` on Redis when TEST_REDIS_URL is set; None means tasks run inline."""
    if not TEST_REDIS_URL:
        yield None
        return
    import subprocess
    import sys
    import time

    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": TEST_REDIS_URL,
        "CELERY_RESULT_BACKEND": TEST_REDIS_URL,
        "SECRET_KEY": SECRET,
        "CARD_SECRET_KEY": CARD_SECRET_KEY,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wsgi",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            "thangngoen",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 60
    for line in proc.stdout:  # wait for "ready"
        if "ready." in line:
            break
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("celery worker did not start: " + line)
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep the pipe drained
    yield {"broker": TEST_REDIS_URL}
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def committed_app(engine: Engine, worker: Any) -> Iterator[Flask]:
    """An app on the real engine whose commits are real (threads, a worker process see them); wiped after."""
    extra: dict[str, Any] = {"ENGINE": engine}
    settings = settings_for_tests(database_url=engine.url.render_as_string(hide_password=False))
    if worker:
        settings = settings_for_tests(
            database_url=settings.database_url, broker_url=TEST_REDIS_URL, result_backend=TEST_REDIS_URL
        )
    app = make_app(None, SETTINGS=settings, **extra)
    yield app
    truncate_all(engine)


@pytest.fixture
def catalog(db: Session, tenant: Any) -> dict[str, Any]:
    """A small catalog priced since 10 days ago: PET (A, B), aluminium cans, returnable bottles by piece, batteries."""
    import datetime as dt

    from recycle.db import utcnow

    since = utcnow() - dt.timedelta(days=10)

    def add(*a: Any, **kw: Any) -> Any:
        return factories.add_material(*a, since=since, **kw)

    return {
        "PET_CLEAR": add(db, tenant, "PET_CLEAR", grades=("A", "B"), buy=900, sale=1150, co2e=1146),
        "ALU_CAN": add(db, tenant, "ALU_CAN", buy=4000, sale=4600, co2e=10064),
        "BOTTLE": add(db, tenant, "BOTTLE", unit="piece", buy=30, sale=45, co2e=0),
        "BATTERY": add(db, tenant, "BATTERY", category="hazardous", buy=0, sale=0, co2e=0),
    }
