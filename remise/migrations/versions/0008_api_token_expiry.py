"""api tokens: an optional expiry, when revoked, when last used

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("apitoken") as table:
        table.add_column(sa.Column("expires_at", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("revoked_at", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("last_used_at", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apitoken") as table:
        table.drop_column("last_used_at")
        table.drop_column("revoked_at")
        table.drop_column("expires_at")
