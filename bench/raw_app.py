"""The baselines the benches compare against, served by gunicorn like the real app:

- POST /raw/collections: a hand-written weigh-in doing the same inserts as ours in raw SQL (ticket, its lines,
  the ledger transaction and postings, the game's deposit, lines, entries, period totals and balance row), with
  prices read once at start-up. Eleven statements and a COMMIT.
- GET /bare/board/<n>: a bare Flask endpoint returning fixed bytes of `n` (the price board's body), no database.
- GET /households/<id>: a primary-key read of one household, as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import psycopg
from flask import Flask, Response, request

app = Flask(__name__)
_conn = None
_prices: dict[str, tuple[int, int, int]] = {}
BOARD = os.environ.get("BENCH_BOARD_FILE")


def conn() -> psycopg.Connection:
    global _conn
    if _conn is None or _conn.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _conn = psycopg.connect(url)
        with _conn.cursor() as cur:
            cur.execute(
                "SELECT m.code, g.id, m.id, p.id, p.buy_price_satang FROM prices p JOIN grades g ON g.id = p.grade_id "
                "JOIN materials m ON m.id = g.material_id"
            )
            for code, gid, mid, pid, buy in cur.fetchall():
                _prices[code] = (gid, mid, pid, buy)
        _conn.commit()
    return _conn


@app.post("/raw/collections")
def raw_collection():
    body = request.get_json()
    c = conn()
    now = dt.datetime.now(dt.UTC)
    hid = int(body["household_id"])
    lines = []
    for ln in body["lines"]:
        gid, mid, pid, buy = _prices[ln["material_code"]]
        qty = ln.get("weight_g") or ln.get("quantity")
        amount = (qty * buy + 500) // 1000 if ln.get("weight_g") else qty * buy
        lines.append((mid, gid, pid, ln["material_code"], qty, buy, amount))
    total = sum(x[6] for x in lines)
    weight = sum(x[4] for x in lines)
    with c.cursor() as cur:
        cur.execute(
            "INSERT INTO collection_tickets (tenant_id, client_id, payload_hash, household_id, channel, entered_by_user_id, "
            "collected_at, priced_at, received_at, weight_g, total_satang, co2e_g, status) VALUES "
            "(1, %s, 'x', %s, 'round', 1, %s, %s, %s, %s, %s, 0, 'active') RETURNING id",
            (body["client_id"], hid, now, now, now, weight, total),
        )
        tid = cur.fetchone()[0]
        cur.executemany(
            "INSERT INTO ticket_lines (tenant_id, ticket_id, line_no, material_id, grade_id, price_id, material_code, "
            "grade, unit, weight_g, unit_price_satang, amount_satang, co2e_g) VALUES "
            "(1, %s, %s, %s, %s, %s, %s, 'A', 'kg', %s, %s, %s, 0)",
            [(tid, i + 1, *x) for i, x in enumerate(lines)],
        )
        cur.execute(
            "INSERT INTO ledger_transactions (tenant_id, idempotency_key, kind, memo, ref_type, ref_id, occurred_at, "
            "created_at) VALUES (1, %s, 'weigh_in', '', 'ticket', %s, %s, %s) RETURNING id",
            ("ticket:" + body["client_id"], tid, now, now),
        )
        txn = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO ledger_postings (tenant_id, transaction_id, account_id, household_id, amount_satang) "
            "SELECT 1, %s, a.id, a.household_id, CASE WHEN a.household_id IS NULL THEN %s ELSE %s END "
            "FROM ledger_accounts a WHERE a.tenant_id = 1 AND a.code IN ('purchases', %s)",
            (txn, total, -total, f"household:{hid}"),
        )
        cur.execute("UPDATE collection_tickets SET ledger_transaction_id = %s WHERE id = %s", (txn, tid))
        cur.execute(
            "INSERT INTO game_deposits (tenant_id, household_id, ticket_id, occurred_at, local_date, weight_g, "
            "raw_points, status) VALUES (1, %s, %s, %s, %s, %s, 10, 'active') RETURNING id",
            (hid, tid, now, now.date(), weight),
        )
        dep = cur.fetchone()[0]
        cur.executemany(
            "INSERT INTO game_deposit_lines (tenant_id, deposit_id, material_code, category, grade, weight_g, "
            "co2e_g, points) VALUES (1, %s, %s, 'recyclable', 'A', %s, 0, 3)",
            [(dep, x[3], x[4]) for x in lines],
        )
        cur.execute(
            "INSERT INTO points_entries (tenant_id, household_id, idempotency_key, kind, points, local_date, "
            "ref_type, ref_id, memo, created_at) VALUES (1, %s, %s, 'deposit', 10, %s, 'ticket', %s, '', %s)",
            (hid, f"ticket:{tid}", now.date(), tid, now),
        )
        cur.execute(
            "INSERT INTO game_period_totals (tenant_id, household_id, village_id, period, start, points, weight_g) "
            "SELECT 1, h.id, h.village_id, p.period, p.start, 10, %s FROM households h, "
            "(VALUES ('week', %s::date), ('month', %s::date), ('year', %s::date)) AS p(period, start) WHERE h.id = %s "
            "ON CONFLICT (tenant_id, period, start, household_id) DO UPDATE SET "
            "points = game_period_totals.points + 10, weight_g = game_period_totals.weight_g + excluded.weight_g",
            (weight, now.date(), now.date().replace(day=1), now.date().replace(month=1, day=1), hid),
        )
        cur.execute(
            "UPDATE household_points SET balance = balance + 10, lifetime = lifetime + 10, "
            "weight_g = weight_g + %s WHERE tenant_id = 1 AND household_id = %s",
            (weight, hid),
        )
    c.commit()
    return Response(json.dumps({"id": tid, "total_satang": total}), status=201, mimetype="application/json")


_board = None


@app.get("/bare/board")
def bare_board():
    global _board
    if _board is None:
        with open(BOARD, "rb") as f:
            _board = f.read()
    return Response(_board, mimetype="application/json")


@app.get("/households/<int:hid>")
def household(hid: int):
    c = conn()
    with c.cursor() as cur:
        cur.execute("SELECT id, member_no, name, village_id FROM households WHERE id = %s", (hid,))
        row = cur.fetchone()
    c.commit()
    return Response(
        json.dumps({"id": row[0], "member_no": row[1], "name": row[2], "village_id": row[3]}), mimetype="application/json"
    )


__all__ = ["app", "uuid"]
