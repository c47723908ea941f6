"""Settlement speed on PostgreSQL against its fair lower bound, at 10,000 and 100,000 households.

For each size, 250,000 weigh-in tickets with their ledger transactions and postings (500,000) are
generated set-based. Then, interleaved, three times each (median):
  bound: INSERT … SELECT … GROUP BY over exactly what a run reads (the households' postings joined to
         their transactions up to the cutoff) into `bench_lower_bound`, a copy of `payouts` with the
         same constraints, indexes and foreign keys;
  run:   settlements.compute (delete + INSERT … SELECT with the deductions + the totals), as the task does,
         committed.
Prints both and their ratio; the goal is at most 2x. (The old baseline summed 1,000,000 ticket lines,
which a run never reads, into an unlogged table without constraints.)

usage: python bench/settlement.py --database-url postgresql://postgres@127.0.0.1:5432/h_speed_bench
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.common import args, fresh_database, run_sql  # noqa: E402
from bench.seed import seed  # noqa: E402
from enterprise import settlements  # noqa: E402
from enterprise.settlement_models import SettlementRun  # noqa: E402
from recycle.db import make_session_factory  # noqa: E402

TICKETS = 250_000
LEDGER = [
    "INSERT INTO collection_tickets (tenant_id, client_id, payload_hash, household_id, channel, entered_by_user_id, "
    "collected_at, priced_at, received_at, weight_g, total_satang, co2e_g, status) "
    "SELECT 1, md5(t::text)::uuid::text, md5(t::text), 1 + (t * 7919) % :n, 'round', 1, "
    "now() - (t % 360) * interval '1 day', now() - (t % 360) * interval '1 day', now(), 4000, 1000 + t % 9000, 0, 'active' "
    "FROM generate_series(1, :t) t",
    "INSERT INTO ledger_transactions (tenant_id, idempotency_key, kind, memo, ref_type, ref_id, occurred_at, created_at) "
    "SELECT 1, 'ticket:' || client_id, 'weigh_in', '', 'ticket', id, collected_at, now() FROM collection_tickets",
    "INSERT INTO ledger_postings (tenant_id, transaction_id, account_id, household_id, amount_satang) "
    "SELECT 1, x.id, a.id, a.household_id, CASE WHEN a.household_id IS NULL THEN c.total_satang ELSE -c.total_satang END "
    "FROM ledger_transactions x JOIN collection_tickets c ON c.id = x.ref_id "
    "JOIN ledger_accounts a ON a.tenant_id = 1 AND (a.code = 'purchases' OR a.household_id = c.household_id)",
    "UPDATE collection_tickets c SET ledger_transaction_id = x.id FROM ledger_transactions x WHERE x.ref_id = c.id",
    # the bound's table: payouts' columns, checks, defaults and indexes, and the same foreign keys
    "CREATE TABLE bench_lower_bound (LIKE payouts INCLUDING ALL)",
    "ALTER TABLE bench_lower_bound ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id), "
    "ADD FOREIGN KEY (run_id) REFERENCES settlement_runs (id), ADD FOREIGN KEY (household_id) REFERENCES households (id), "
    "ADD FOREIGN KEY (reissued_from_id) REFERENCES payouts (id), ADD FOREIGN KEY (paid_by_user_id) REFERENCES users (id), "
    "ADD FOREIGN KEY (paid_transaction_id) REFERENCES ledger_transactions (id)",
    "ANALYZE",
]
BOUND = (
    "INSERT INTO bench_lower_bound (tenant_id, run_id, household_id, gross_satang, welfare_satang, savings_satang, "
    "net_satang, status, method, reissue_no) "
    "SELECT 1, :run, p.household_id, -sum(p.amount_satang)::bigint, 0, 0, -sum(p.amount_satang)::bigint, 'computed', "
    "'cash', 0 FROM ledger_postings p JOIN ledger_transactions x ON x.id = p.transaction_id "
    "WHERE p.tenant_id = 1 AND p.household_id IS NOT NULL AND x.occurred_at <= :cutoff "
    "GROUP BY p.household_id HAVING sum(p.amount_satang) <> 0"
)


def measure(url: str, households: int, rounds: int) -> tuple[float, float, int]:
    engine = fresh_database(url)
    t0 = time.perf_counter()
    seed(engine, households)
    run_sql(engine, LEDGER, n=households, t=TICKETS)
    with engine.connect() as conn:
        postings = conn.execute(text("SELECT count(*) FROM ledger_postings")).scalar()
    print(
        f"{households:,} households, {TICKETS:,} tickets, {postings:,} ledger postings generated in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    factory = make_session_factory(engine)
    cutoff = dt.datetime.now(dt.UTC)
    bound, runs, payouts = [], [], 0
    for _ in range(rounds):
        with factory() as session:  # a run row per round: the bound references one too (its foreign key)
            run = SettlementRun(
                tenant_id=1,
                period_end=dt.date.today(),
                status="computing",
                prepared_by_user_id=2,
                cutoff_at=cutoff,
                welfare_bp=200,
                minimum_payout_satang=2000,
            )
            session.add(run)
            session.commit()
            run_id = run.id
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM bench_lower_bound"))
        with engine.begin() as conn:
            start = time.perf_counter()
            conn.execute(text(BOUND), {"run": run_id, "cutoff": cutoff})
        bound.append(time.perf_counter() - start)
        with factory() as session:
            start = time.perf_counter()
            done = settlements.compute(session, 1, run_id)
            session.commit()
            runs.append(time.perf_counter() - start)
            payouts = done.households
            done.status = "cancelled"
            session.commit()
    engine.dispose()
    return statistics.median(bound), statistics.median(runs), payouts


def main() -> None:
    a = args(__doc__, sizes="10000,100000")
    for n in (int(x) for x in a.sizes.split(",")):
        b, r, payouts = measure(a.database_url, n, max(3, a.rounds))
        print(
            f"  bound INSERT … SELECT … GROUP BY (same constraints): {b * 1000:8.1f} ms   "
            f"settlement run ({payouts:,} payouts): {r * 1000:8.1f} ms   ratio {r / b:.2f}x (goal ≤ 2x)"
        )


if __name__ == "__main__":
    main()
