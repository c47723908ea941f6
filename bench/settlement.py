"""Settlement speed on PostgreSQL: a full run against its lower bound, measured in the same process.

10,000 households, 250,000 weigh-in tickets of 4 lines (1,000,000 ticket lines) and their ledger
postings are generated in SQL. Then, three times each (median):
  baseline: the single INSERT ... SELECT ... GROUP BY that sums every household's ticket lines;
  run:      settlements.compute (delete + INSERT ... SELECT over the ledger + totals), as the task does.
Prints both and their ratio; the goal is at most 2x.

usage: python bench/settlement.py [postgresql://postgres@127.0.0.1:5432/tn_bench]   (the database is rebuilt)
"""
from __future__ import annotations

import datetime as dt
import statistics
import sys
import time

from sqlalchemy import text
from sqlalchemy.engine import make_url

from enterprise import settlements
from enterprise.settlement_models import SettlementRun
from migrations import upgrade
from recycle.db import make_engine, make_session_factory

HOUSEHOLDS, TICKETS, LINES_PER_TICKET = 10_000, 250_000, 4

SEED = [
    "INSERT INTO tenants (id, slug, name_th, name_en, timezone, settings, next_member_no, created_at) "
    "VALUES (1, 'bench', 'ทดสอบ', 'Bench', 'Asia/Bangkok', '{}', :n + 1, now())",
    "INSERT INTO villages (id, tenant_id, moo, name_th, name_en) VALUES (1, 1, 1, 'บ้าน', 'Village')",
    "INSERT INTO users (id, tenant_id, phone, password_hash, role, name, active, token_generation, created_at) "
    "VALUES (1, 1, '0800000001', 'x', 'staff', 'Bench', true, 0, now())",
    "INSERT INTO households (id, tenant_id, member_no, name, village_id, address, leaderboard_opt_in, qr_version, active, created_at) "
    "SELECT g, 1, g, 'member ' || g, 1, '', false, 1, true, now() FROM generate_series(1, :n) g",
    "INSERT INTO ledger_accounts (id, tenant_id, code, kind, household_id) "
    "SELECT g, 1, 'household:' || g, 'liability', g FROM generate_series(1, :n) g",
    "INSERT INTO ledger_accounts (id, tenant_id, code, kind) VALUES (:n + 1, 1, 'purchases', 'expense')",
    "INSERT INTO materials (id, tenant_id, code, name_th, name_en, category, unit, co2e_g_per_unit, co2e_source, active, sort_order, created_at) "
    "SELECT g, 1, 'M' || g, 'M' || g, 'M' || g, 'recyclable', 'kg', 1000, '', true, g, now() FROM generate_series(1, 4) g",
    "INSERT INTO grades (id, tenant_id, material_id, code, description_th, description_en, active) "
    "SELECT g, 1, g, 'A', '', '', true FROM generate_series(1, 4) g",
    "INSERT INTO prices (id, tenant_id, grade_id, buy_price_satang, ref_sale_price_satang, effective_from, loss_confirmed, source, created_at) "
    "SELECT g, 1, g, 500 + 700 * g, 5000, now() - interval '400 days', false, 'seed', now() FROM generate_series(1, 4) g",
    # tickets over the last year, each for a household, 4 lines of 100 g .. 10 kg
    "INSERT INTO collection_tickets (id, tenant_id, client_id, payload_hash, household_id, channel, entered_by_user_id, "
    "collected_at, priced_at, received_at, weight_g, total_satang, co2e_g, status) "
    "SELECT t, 1, md5(t::text)::uuid::text, md5(t::text), 1 + (t * 7919) % :n, 'round', 1, "
    "now() - (t % 360) * interval '1 day', now() - (t % 360) * interval '1 day', now(), 0, 0, 0, 'active' "
    "FROM generate_series(1, :t) t",
    "INSERT INTO ticket_lines (tenant_id, ticket_id, line_no, material_id, grade_id, price_id, material_code, grade, unit, "
    "weight_g, unit_price_satang, amount_satang, co2e_g) "
    "SELECT 1, t, g, g, g, g, 'M' || g, 'A', 'kg', w, 500 + 700 * g, ((w * (500 + 700 * g)) + 500) / 1000, w "
    "FROM (SELECT t, g, 100 + ((t * 31 + g * 17) % 9901) AS w FROM generate_series(1, :t) t, generate_series(1, 4) g) x",
    "UPDATE collection_tickets c SET weight_g = s.w, total_satang = s.a, co2e_g = s.w "
    "FROM (SELECT ticket_id, sum(weight_g) w, sum(amount_satang) a FROM ticket_lines GROUP BY ticket_id) s WHERE s.ticket_id = c.id",
    "INSERT INTO ledger_transactions (id, tenant_id, idempotency_key, kind, memo, ref_type, ref_id, occurred_at, created_at) "
    "SELECT id, 1, 'ticket:' || client_id, 'weigh_in', '', 'ticket', id, collected_at, now() FROM collection_tickets",
    "INSERT INTO ledger_postings (tenant_id, transaction_id, account_id, household_id, amount_satang) "
    "SELECT 1, id, :n + 1, NULL, total_satang FROM collection_tickets UNION ALL "
    "SELECT 1, id, household_id, household_id, -total_satang FROM collection_tickets",
    "UPDATE collection_tickets SET ledger_transaction_id = id",
    "ANALYZE",
]
BASELINE = ("INSERT INTO bench_lower_bound (household_id, total_satang) "
            "SELECT t.household_id, sum(l.amount_satang) FROM ticket_lines l "
            "JOIN collection_tickets t ON t.id = l.ticket_id WHERE t.tenant_id = 1 AND t.status = 'active' "
            "GROUP BY t.household_id")


def main(url: str) -> None:
    url = str(make_url(url).set(drivername="postgresql+psycopg"))
    admin = make_engine(str(make_url(url).set(database="postgres")), isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sql in SEED:
            conn.execute(text(sql), {"n": HOUSEHOLDS, "t": TICKETS})
        conn.execute(text("CREATE UNLOGGED TABLE bench_lower_bound (household_id bigint, total_satang bigint)"))
    with engine.connect() as conn:
        lines = conn.execute(text("SELECT count(*) FROM ticket_lines")).scalar()
        postings = conn.execute(text("SELECT count(*) FROM ledger_postings")).scalar()
    print(f"generated {HOUSEHOLDS:,} households, {TICKETS:,} tickets, {lines:,} ticket lines, "
          f"{postings:,} ledger postings in {time.perf_counter() - t0:.1f} s")

    factory = make_session_factory(engine)
    baseline, runs, payouts = [], [], None
    for i in range(3):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE bench_lower_bound"))
            start = time.perf_counter()
            conn.execute(text(BASELINE))
            baseline.append(time.perf_counter() - start)
        with factory() as session:
            run = SettlementRun(tenant_id=1, period_end=dt.date.today(), status="computing", prepared_by_user_id=1,
                                cutoff_at=dt.datetime.now(dt.timezone.utc), welfare_bp=200, minimum_payout_satang=2000)
            session.add(run)
            session.flush()
            start = time.perf_counter()
            done = settlements.compute(session, 1, run.id)
            session.commit()
            runs.append(time.perf_counter() - start)
            payouts = done.households
            run.status = "cancelled"
            session.commit()
    b, r = statistics.median(baseline), statistics.median(runs)
    print(f"baseline INSERT ... SELECT ... GROUP BY over ticket lines: {b * 1000:8.1f} ms (median of 3)")
    print(f"settlement run (compute, {payouts:,} payouts):             {r * 1000:8.1f} ms (median of 3)")
    print(f"ratio run / baseline: {r / b:.2f}x (goal: at most 2x)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/tn_bench")
