"""Issue 10, finding 10 and check-ledger: an operator can back up, restore, check the books, and cannot
downgrade away tables that hold data by accident."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from api.cli import cli
from enterprise.ledger_check import check
from migrations import upgrade
from recycle import ledger
from recycle.ledger import LedgerTransaction, Posting
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.enterprise.settle_helpers import credit


def _env(monkeypatch, tmp_path, url):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "ops-test-secret-0123456789abcdef")
    monkeypatch.setenv("CARD_SECRET_KEY", "1:card-test-secret-0123456789abcdefghij")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")  # never reached by these commands
    monkeypatch.setenv("THANGNGOEN_INSTANCE", str(tmp_path))


def _books(url: str) -> list[tuple]:
    """Every ledger transaction and posting, in a comparable form."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            txns = conn.execute(
                select(
                    LedgerTransaction.id,
                    LedgerTransaction.tenant_id,
                    LedgerTransaction.idempotency_key,
                    LedgerTransaction.kind,
                    LedgerTransaction.occurred_at,
                    LedgerTransaction.reverses_id,
                ).order_by(LedgerTransaction.id)
            ).all()
            posts = conn.execute(
                select(Posting.id, Posting.transaction_id, Posting.account_id, Posting.amount_satang).order_by(Posting.id)
            ).all()
        return [tuple(r) for r in txns] + [tuple(r) for r in posts]
    finally:
        engine.dispose()


def _some_books(url: str) -> str:
    """A tenant with two members, credits, a void and a reward row (a table newer than the ledger)."""
    engine = create_engine(url)
    with Session(engine) as s:
        factories.bind(s)
        tenant = factories.TenantFactory()
        homes = [factories.HouseholdFactory(tenant=tenant) for _ in range(2)]
        purchases = ledger.account(s, tenant.id, ledger.PURCHASES)
        txns = []
        for i, h in enumerate(homes):
            payable = ledger.household_account(s, tenant.id, h.id)
            txns.append(
                ledger.post(
                    s,
                    tenant.id,
                    f"manual:{i}",
                    "adjustment",
                    [ledger.Leg(purchases, 1000 * (i + 1)), ledger.Leg(payable, -1000 * (i + 1))],
                )
            )
        ledger.reverse(s, tenant.id, txns[0], "manual-rev:0", "test reversal")
        from recycle.game.models import Reward

        s.add(
            Reward(
                tenant_id=tenant.id, name_th="ถุงผ้า", name_en="Cloth bag", description="", points_cost=100, stock=5, active=True
            )
        )
        s.commit()
        slug = tenant.slug
    engine.dispose()
    return slug


def test_sqlite_backup_restores_an_identical_ledger(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(url)
    _some_books(url)
    _env(monkeypatch, tmp_path, url)
    runner = CliRunner()
    r = runner.invoke(cli, ["backup", str(tmp_path / "b" / "nightly.sqlite3")])
    assert r.exit_code == 0, r.output
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    _env(monkeypatch, tmp_path, fresh)
    assert runner.invoke(cli, ["restore", str(tmp_path / "b" / "nightly.sqlite3")], input="n\n").exit_code != 0  # asks first
    r = runner.invoke(cli, ["restore", "--yes", str(tmp_path / "b" / "nightly.sqlite3")])
    assert r.exit_code == 0, r.output
    assert _books(fresh) == _books(url) and len(_books(url)) == 3 + 6
    bad = tmp_path / "not-a-backup.sqlite3"
    bad.write_text("hello")
    r = runner.invoke(cli, ["restore", "--yes", str(bad)])
    assert r.exit_code != 0 and "not" in r.output and _books(fresh) == _books(url)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
def test_postgresql_backup_restores_an_identical_ledger(tmp_path, monkeypatch, engine):
    from sqlalchemy.engine import make_url

    src = make_url(engine.url.render_as_string(hide_password=False))
    scratch_src = src.set(database=f"{src.database}_bk_{uuid.uuid4().hex[:6]}")
    scratch_dst = src.set(database=f"{src.database}_restore_{uuid.uuid4().hex[:6]}")
    admin = create_engine(src, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for db_url in (scratch_src, scratch_dst):
            conn.execute(text(f'CREATE DATABASE "{db_url.database}"'))
    try:
        live = scratch_src.render_as_string(hide_password=False)
        upgrade(live)
        _some_books(live)
        _env(monkeypatch, tmp_path, live)
        r = CliRunner().invoke(cli, ["backup", str(tmp_path / "nightly.dump")])
        assert r.exit_code == 0, r.output
        restored = scratch_dst.render_as_string(hide_password=False)
        _env(monkeypatch, tmp_path, restored)
        r = CliRunner().invoke(cli, ["restore", "--yes", str(tmp_path / "nightly.dump")])
        assert r.exit_code == 0, r.output
        assert _books(restored) == _books(live) and len(_books(live)) == 9
    finally:
        with admin.connect() as conn:
            for db_url in (scratch_src, scratch_dst):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_url.database}" WITH (FORCE)'))
        admin.dispose()


def test_a_downgrade_that_drops_tables_with_data_is_refused_without_the_flag(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(url)
    _some_books(url)
    _env(monkeypatch, tmp_path, url)
    runner = CliRunner()
    r = runner.invoke(cli, ["db", "downgrade", "0003"])
    assert r.exit_code != 0 and "rewards" in r.output and "--i-know-this-drops-data" in r.output
    assert len(_books(url)) == 9  # nothing happened
    r = runner.invoke(cli, ["db", "downgrade", "0005"])  # drops only the (empty) outbox: fine
    assert r.exit_code == 0 and "outbox_messages" in r.output, r.output
    r = runner.invoke(cli, ["db", "downgrade", "0003", "--i-know-this-drops-data"])
    assert r.exit_code == 0 and "rewards" in r.output, r.output
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0


def test_check_ledger_prints_nothing_for_sound_books_and_each_problem_otherwise(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(url)
    slug = _some_books(url)
    _env(monkeypatch, tmp_path, url)
    runner = CliRunner()
    r = runner.invoke(cli, ["check-ledger"])
    # manual credits with no ticket behind them are exactly what the household check is for
    assert r.exit_code == 1 and "household_balance" in r.output and "ตรวจสมุดบัญชี" in r.output
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_postings"))
        conn.execute(text("DELETE FROM ledger_transactions WHERE reverses_id IS NOT NULL"))
        conn.execute(text("DELETE FROM ledger_transactions"))
    r = runner.invoke(cli, ["check-ledger", "--tenant", slug])
    assert r.exit_code == 0 and "no problems found" in r.output, r.output
    with Session(engine) as s:
        tenant_id = s.scalar(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug})
        acc = ledger.account(s, tenant_id, ledger.CASH)
        txn = LedgerTransaction(tenant_id=tenant_id, idempotency_key="broken", kind="adjustment")
        s.add(txn)
        s.flush()
        s.add(Posting(tenant_id=tenant_id, transaction_id=txn.id, account_id=acc.id, amount_satang=5))
        s.commit()
    engine.dispose()
    r = runner.invoke(cli, ["check-ledger", "--tenant", slug])
    assert r.exit_code == 1 and "unbalanced_transaction" in r.output and "sum to 5 satang" in r.output
    assert runner.invoke(cli, ["check-ledger", "--tenant", "nowhere"]).exit_code != 0


def test_the_check_finds_a_voided_ticket_whose_money_was_never_reversed(client, db, auth, tenant, catalog, collector, staff):
    from pickup.models import CollectionTicket

    hid = factories.HouseholdFactory(tenant=tenant).id
    t = credit(client, auth(collector), hid, 1000)
    credit(client, auth(collector), hid, 500)
    assert check(db, tenant.id) == []
    ticket = db.get(CollectionTicket, t["id"])
    ticket.status = "voided"  # what a lost race did in issue 10: voided, still credited
    db.flush()
    kinds = {(f.kind, f.ref) for f in check(db, tenant.id)}
    assert ("ticket_voided", f"ticket:{t['id']}") in kinds
    assert ("household_balance", f"household:{hid}") in kinds
