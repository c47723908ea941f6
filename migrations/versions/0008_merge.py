"""one head again: the speed branch (0006c) and everything merged at 0007r

Revision ID: 0008
Revises: 0006c, 0007r
Create Date: 2026-11-25 02:45:00
"""

revision = "0008"
down_revision = ("0006c", "0007r")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
