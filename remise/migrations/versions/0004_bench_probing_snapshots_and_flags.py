"""bench probing: snapshots and flags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.String(length=32), nullable=False),
        sa.Column("taken_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["refurbishment_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("device_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_snapshot_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "device_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("expected", sa.String(length=200), nullable=False),
        sa.Column("found", sa.String(length=200), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.String(length=32), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["refurbishment_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["device_snapshot.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("device_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_flag_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_flag_open"), ["open"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_flag_open"))
        batch_op.drop_index(batch_op.f("ix_device_flag_device_id"))

    op.drop_table("device_flag")
    with op.batch_alter_table("device_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_snapshot_device_id"))

    op.drop_table("device_snapshot")
