"""speed: a price version per tenant (cached price books), tickets by tenant and date

Revision ID: 0006c
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = "0006c"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("price_version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                   server_default="0", nullable=False))
    op.create_index("ix_tickets_tenant_collected", "collection_tickets", ["tenant_id", "collected_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_tenant_collected", table_name="collection_tickets")
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("price_version")
