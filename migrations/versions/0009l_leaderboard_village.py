"""leaderboard: the household's village copied onto the game's kept rows, indexed for a village's board

Revision ID: 0009l
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009l"
down_revision = "0008"
branch_labels = None
depends_on = None
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AUTOVACUUM = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02"
KEPT = {
    "household_points": [
        ("lifetime", ["tenant_id", "village_id", "lifetime"]),
        ("weight", ["tenant_id", "village_id", "weight_g"]),
    ],
    "game_period_totals": [
        ("points", ["tenant_id", "period", "start", "village_id", "points"]),
        ("weight", ["tenant_id", "period", "start", "village_id", "weight_g"]),
    ],
}


def upgrade() -> None:
    # A village's board counted by joining the whole tenant's totals to the village's households (about 50 ms a
    # count at 100k households); with the village on the kept rows it is one index range (recycle.game.boards).
    for table, indexes in KEPT.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("village_id", BIG, nullable=True))
        op.execute(f"UPDATE {table} SET village_id = (SELECT h.village_id FROM households h WHERE h.id = {table}.household_id)")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("village_id", existing_type=BIG, nullable=False)
            batch.create_foreign_key(f"fk_{table}_village_id_villages", "villages", ["village_id"], ["id"])
        for suffix, columns in indexes:
            op.create_index(f"ix_{table}_village_{suffix}", table, columns)
    if op.get_bind().dialect.name == "postgresql":
        # Those counts are index-only scans, which need the visibility map current: vacuum these busy tables once 2%
        # of their rows changed, not the default 20% (weeks apart once a few years of periods have piled up).
        for table in KEPT:
            op.execute(f"ALTER TABLE {table} SET ({AUTOVACUUM})")
    op.create_index(
        "ix_households_tenant_gone",
        "households",
        ["tenant_id", "village_id"],
        postgresql_where=sa.text("active IS false"),
        sqlite_where=sa.text("active IS 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_households_tenant_gone", table_name="households")
    if op.get_bind().dialect.name == "postgresql":
        for table in KEPT:
            op.execute(f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)")
    for table, indexes in KEPT.items():
        for suffix, _ in indexes:
            op.drop_index(f"ix_{table}_village_{suffix}", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_village_id_villages", type_="foreignkey")
            batch.drop_column("village_id")
