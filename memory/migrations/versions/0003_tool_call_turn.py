"""tool_calls.turn_key: the turn a call belongs to, as tool_selections already have

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: calls recorded before this revision keep no turn, and tool
    # selection matches them to a turn by time as it did (memory/tool_outcomes.py).
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turn_key", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.drop_column("turn_key")
