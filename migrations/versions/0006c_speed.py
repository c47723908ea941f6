"""speed: a price version per tenant (cached price books), tickets by tenant and date, kept game counters

Revision ID: 0006c
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006c"
down_revision = "0005"
branch_labels = None
depends_on = None
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("price_version", BIG, server_default="0", nullable=False))
    op.create_index("ix_tickets_tenant_collected", "collection_tickets", ["tenant_id", "collected_at"])
    # Game counters: households' stats are built from history on their next deposit or void (NULL until then);
    # period counters are rebuilt with them; a challenge's running total is computed here once.
    with op.batch_alter_table("household_points") as batch:
        batch.add_column(sa.Column("stats", sa.JSON(), nullable=True))
    with op.batch_alter_table("game_period_totals") as batch:
        for name in ("deposits", "raw_points", "capped_points", "streak_points"):
            batch.add_column(sa.Column(name, BIG, server_default="0", nullable=False))
    op.create_index("ix_game_period_totals_household", "game_period_totals", ["tenant_id", "household_id", "period", "start"])
    with op.batch_alter_table("challenges") as batch:
        batch.add_column(sa.Column("progress_g", BIG, server_default="0", nullable=False))
    op.execute("""
        UPDATE challenges SET progress_g = COALESCE((
            SELECT SUM(l.weight_g) FROM game_deposit_lines l
            JOIN game_deposits d ON d.id = l.deposit_id
            JOIN households h ON h.id = d.household_id
            WHERE d.tenant_id = challenges.tenant_id AND d.status = 'active'
              AND d.local_date >= challenges.start_date AND d.local_date <= challenges.end_date
              AND (challenges.material_code IS NULL OR l.material_code = challenges.material_code)
              AND (challenges.village_id IS NULL OR h.village_id = challenges.village_id)), 0)
    """)


def downgrade() -> None:
    with op.batch_alter_table("challenges") as batch:
        batch.drop_column("progress_g")
    op.drop_index("ix_game_period_totals_household", table_name="game_period_totals")
    with op.batch_alter_table("game_period_totals") as batch:
        for name in ("deposits", "raw_points", "capped_points", "streak_points"):
            batch.drop_column(name)
    with op.batch_alter_table("household_points") as batch:
        batch.drop_column("stats")
    op.drop_index("ix_tickets_tenant_collected", table_name="collection_tickets")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("price_version")
