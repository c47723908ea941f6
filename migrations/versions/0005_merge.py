"""one head after the game, settlements and stock branches

Revision ID: 0005
Revises: 0004g, 0004p, 0004s
Create Date: 2026-11-24 14:27:02.697080
"""

revision = "0005"
down_revision = ("0004g", "0004p", "0004s")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
