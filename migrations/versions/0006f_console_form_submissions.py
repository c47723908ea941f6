"""console: one-time form tokens (a double-submitted form has one effect); one-time household link codes

Revision ID: 0006f
Revises: 0005
Create Date: 2026-11-25 01:10:07.029460
"""

import sqlalchemy as sa
from alembic import op

import recycle.db

revision = "0006f"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "form_submissions",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("user_id", BIG, nullable=True),
        sa.Column("result", sa.String(length=300), nullable=False),
        sa.Column("created_at", recycle.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_form_submissions_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_form_submissions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submissions")),
        sa.UniqueConstraint("tenant_id", "token", name=op.f("uq_form_submissions_tenant_id_token")),
    )
    op.create_table(
        "household_link_codes",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("household_id", BIG, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", recycle.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", recycle.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", BIG, nullable=True),
        sa.Column("created_at", recycle.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_household_link_codes_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_household_link_codes_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_household_link_codes_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_link_codes")),
        sa.UniqueConstraint("tenant_id", "code_hash", name=op.f("uq_household_link_codes_tenant_id_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("household_link_codes")
    op.drop_table("form_submissions")
