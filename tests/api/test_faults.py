"""Faults every endpoint shares (issue 10, findings 8 and 9): a wrong method on an id-0 URL, a database
that is gone, a transaction the database aborted as a deadlock victim. SQLite is enough for all of them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from pickup import tickets
from pickup.models import CollectionTicket
from recycle import ledger
from recycle.db import make_engine
from recycle.ledger import LedgerTransaction
from recycle.models import AuditEntry
from tests.conftest import make_app
from tests.ledger_checks import assert_tickets_sound
from tests.pickup.ticket_helpers import ticket

PROBLEM = "application/problem+json"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", "/api/v1/payouts/0/mark-paid"),
        ("POST", "/api/v1/collections/0"),
        ("DELETE", "/api/v1/collections/0/void"),
        ("GET", "/api/v1/pickups/0/cancel"),
    ],
)
def test_a_wrong_method_on_an_id_zero_url_is_a_405_problem(client, method, url):
    r = client.open(url, method=method)
    assert r.status_code == 405 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:200]
    assert r.json["status"] == 405 and r.headers["Allow"]


def test_no_route_with_an_id_answers_a_wrong_method_or_a_zero_id_with_a_500(app, client):
    """Every `<int:…>` route of the URL map, with 0, -1 and a huge id, under every method it does not take."""
    seen = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for bad in ("0", "-1", str(2**63)):
            url = re.sub(r"<int:[^>]+>", bad, rule.rule)
            url = re.sub(r"<[^>]+>", "x", url)
            for method in METHODS:
                if method in rule.methods:
                    continue
                r = client.open(url, method=method)
                seen += 1
                assert r.status_code in (404, 405) and r.mimetype == PROBLEM, (method, url, r.status_code)
    assert seen > 100


def _login_body(tenant) -> dict:  # noqa: ANN001
    return {"tenant": tenant.slug, "phone": "0812345678", "password": "whatever-123"}


def test_an_unreachable_database_is_a_503_with_retry_after(tmp_path, app, tenant, staff):
    """The database file's folder is gone (PostgreSQL down behaves alike: OperationalError on connect)."""
    from api.auth import issue_tokens

    with app.app_context():
        token = issue_tokens(staff)["access_token"]
    broken = make_app(None, ENGINE=make_engine(f"sqlite:///{tmp_path}/gone/nothing/here.sqlite3"))
    client = broken.test_client()
    for r in (
        client.post("/api/v1/auth/login", json=_login_body(tenant)),
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
        client.post("/api/v1/collections/1/void", headers={"Authorization": f"Bearer {token}"}, json={"reason": "x"}),
    ):
        assert r.status_code == 503 and r.mimetype == PROBLEM, (r.status_code, r.get_data(as_text=True)[:300])
        assert int(r.headers["Retry-After"]) > 0
        assert r.json["type"].endswith("/database_unavailable")


@pytest.mark.parametrize(
    "fault",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"), connection_invalidated=True),
        PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00"),
    ],
    ids=["connection-lost", "pool-timeout"],
)
def test_a_connection_lost_in_the_middle_of_a_request_is_a_503(client, auth, staff, monkeypatch, fault):
    real = Session.execute

    def lost(self, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise fault

    headers = auth(staff)
    monkeypatch.setattr(Session, "execute", lost)
    try:
        r = client.get("/api/v1/collections", headers=headers)
    finally:
        monkeypatch.setattr(Session, "execute", real)
    assert r.status_code == 503 and r.mimetype == PROBLEM and r.headers["Retry-After"]
    assert "server closed" not in r.get_data(as_text=True)


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg puts on DeadlockDetected


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE collection_tickets ...", {}, _Deadlock("deadlock detected"))


def _active_ticket(client, auth, collector, member) -> int:  # noqa: ANN001
    r = client.post("/api/v1/collections", headers=auth(collector), json=ticket(household_id=member.household_id))
    assert r.status_code == 201
    return r.json["id"]


def _voids(db: Session, ticket_id: int) -> tuple[int, int]:
    audits = db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ticket.void", AuditEntry.target_id == ticket_id)
    )
    reversals = db.scalar(select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == "reversal"))
    return audits, reversals


def test_a_deadlock_victim_is_rolled_back_and_run_once_more(
    client, db, auth, tenant, catalog, collector, staff, member, monkeypatch
):
    """The first attempt voids (money reversed, audit written) and is then chosen as the deadlock victim:
    all of it is rolled back, the view runs again in a fresh session, and the member sees one void."""
    tid = _active_ticket(client, auth, collector, member)
    real, calls = tickets.void, []

    def victim_once(session, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(1)
        result = real(session, *a, **kw)
        if len(calls) == 1:
            session.flush()
            raise _deadlock()
        return result

    monkeypatch.setattr(tickets, "void", victim_once)
    r = client.post(f"/api/v1/collections/{tid}/void", headers=auth(staff), json={"reason": "weighed twice"})
    assert r.status_code == 200 and r.json["status"] == "voided", r.json
    assert len(calls) == 2
    db.expire_all()
    assert _voids(db, tid) == (1, 1)
    assert ledger.household_balance(db, tenant.id, member.household_id) == 0
    assert_tickets_sound(db, tenant.id)


def test_a_second_deadlock_is_a_503_and_nothing_is_saved(
    client, db, auth, tenant, catalog, collector, staff, member, monkeypatch
):
    tid = _active_ticket(client, auth, collector, member)
    real, calls = tickets.void, []

    def always_victim(session, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(1)
        real(session, *a, **kw)
        session.flush()
        raise _deadlock()

    monkeypatch.setattr(tickets, "void", always_victim)
    r = client.post(f"/api/v1/collections/{tid}/void", headers=auth(staff), json={"reason": "weighed twice"})
    assert r.status_code == 503 and r.mimetype == PROBLEM and r.headers["Retry-After"]
    assert len(calls) == 2  # one retry, not a loop
    db.expire_all()
    assert db.get(CollectionTicket, tid).status == "active" and _voids(db, tid) == (0, 0)


def test_other_database_errors_are_not_retried(client, auth, collector, staff, member, catalog, monkeypatch):
    tid = _active_ticket(client, auth, collector, member)
    calls = []

    class _Unique(Exception):
        sqlstate = "23505"

    def clash(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        raise IntegrityError("INSERT ...", {}, _Unique("duplicate key"))

    monkeypatch.setattr(tickets, "void", clash)
    r = client.post(f"/api/v1/collections/{tid}/void", headers=auth(staff), json={"reason": "x"})
    assert r.status_code == 500 and r.mimetype == PROBLEM and len(calls) == 1
