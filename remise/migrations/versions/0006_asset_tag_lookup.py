"""asset tags looked up in any case, by index: a scan no longer reads every device

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_device_asset_tag_upper", "device", [sa.text("upper(asset_tag)")])


def downgrade() -> None:
    op.drop_index("ix_device_asset_tag_upper", table_name="device")
