"""login failures: wrong passwords, counted to slow down guessing

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_at", "login_failure", ["at"])
    op.create_index("ix_login_failure_who", "login_failure", ["username", "address", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_who", table_name="login_failure")
    op.drop_index("ix_login_failure_at", table_name="login_failure")
    op.drop_table("login_failure")
