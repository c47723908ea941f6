"""One tenant for the benches, set-based (generate_series): villages, households with balance rows and ledger
accounts, a collector and a staff user, three materials priced since last year."""

from __future__ import annotations

from bench.common import run_sql

EMPTY_STATS = '{"n": 0, "w": 0, "m": {}, "c": {}, "cd": {}, "ls": 0, "b": []}'

SEED = [
    "INSERT INTO tenants (slug, name_th, name_en, timezone, settings, next_member_no, price_version, created_at) "
    "VALUES ('bench', 'ทดสอบ', 'Bench', 'Asia/Bangkok', '{}', :n + 1, 1, now())",
    "INSERT INTO villages (tenant_id, moo, name_th, name_en) SELECT 1, g, 'บ้าน ' || g, 'Village ' || g "
    "FROM generate_series(1, :villages) g",
    "INSERT INTO users (tenant_id, phone, password_hash, role, name, active, token_generation, created_at) VALUES "
    "(1, '0800000001', 'x', 'collector', 'Collector', true, 0, now()), (1, '0800000002', 'x', 'staff', 'Staff', true, 0, now())",
    "INSERT INTO households (tenant_id, member_no, name, village_id, address, leaderboard_opt_in, qr_version, active, created_at) "
    "SELECT 1, g, 'member ' || g, 1 + g % :villages, '', g % 3 = 0, 1, true, now() FROM generate_series(1, :n) g",
    "INSERT INTO ledger_accounts (tenant_id, code, kind) VALUES (1, 'purchases', 'expense')",
    "INSERT INTO ledger_accounts (tenant_id, code, kind, household_id) "
    "SELECT 1, 'household:' || id, 'liability', id FROM households",
    "INSERT INTO household_points (tenant_id, household_id, village_id, balance, lifetime, weight_g, stats, updated_at) "
    f"SELECT 1, id, village_id, 0, 0, 0, '{EMPTY_STATS}', now() FROM households",
    "INSERT INTO materials (tenant_id, code, name_th, name_en, category, unit, co2e_g_per_unit, co2e_source, active, sort_order, created_at) "
    "VALUES (1, 'PET_CLEAR', 'ขวดใส', 'Clear PET', 'recyclable', 'kg', 1146, '', true, 1, now()), "
    "(1, 'ALU_CAN', 'กระป๋อง', 'Cans', 'recyclable', 'kg', 10064, '', true, 2, now()), "
    "(1, 'CARDBOARD', 'กล่อง', 'Cardboard', 'recyclable', 'kg', 3100, '', true, 3, now())",
    "INSERT INTO grades (tenant_id, material_id, code, description_th, description_en, active) "
    "SELECT 1, id, 'A', '', '', true FROM materials",
    "INSERT INTO prices (tenant_id, grade_id, buy_price_satang, ref_sale_price_satang, effective_from, loss_confirmed, source, created_at) "
    "SELECT 1, id, 300 + 900 * id, 9000, now() - interval '400 days', false, 'seed', now() FROM grades",
    "ANALYZE",
]


def seed(engine, households: int, villages: int = 5) -> None:  # noqa: ANN001
    run_sql(engine, SEED, n=households, villages=villages)


def token(database_url: str, role: str = "collector") -> str:
    """An access token the benched server accepts (same secret), for the seeded user of `role`."""
    from sqlalchemy import select

    from api import create_app
    from api.auth import issue_tokens
    from bench.common import bench_env
    from recycle.models import User
    from recycle.settings import Settings

    settings = Settings.from_env(bench_env(database_url))
    app = create_app({"SETTINGS": settings})
    with app.app_context():
        factory = app.extensions["thangngoen.sessions"]
        with factory() as session:
            user = session.scalar(select(User).where(User.role == role))
            return issue_tokens(user)["access_token"]
