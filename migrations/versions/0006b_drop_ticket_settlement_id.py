"""drop collection_tickets.settlement_id: documented as "set by settlement", never set by anything

A settlement pays a household's balance at its cutoff (docs/DESIGN.md, Settlement); there is no
per-ticket "paid by" link to keep in step with the ledger, so the column could only ever be NULL and
a report trusting it would be wrong. Dropped rather than half-filled. Downgrade puts back the (empty)
column, so nothing is lost either way.

Revision ID: 0006b
Revises: 0005
Create Date: 2026-11-25 01:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006b"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collection_tickets") as batch_op:
        batch_op.drop_column("settlement_id")


def downgrade() -> None:
    with op.batch_alter_table("collection_tickets") as batch_op:
        batch_op.add_column(sa.Column("settlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
