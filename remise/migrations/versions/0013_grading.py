"""grading: rules and grid versions, grade decisions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grading_rules_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version", name="grading_rules_version_once"),
    )
    op.create_table(
        "pricing_grid_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.String(length=10), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version", name="pricing_grid_version_once"),
    )
    with op.batch_alter_table("pricing_grid_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pricing_grid_version_effective_from"), ["effective_from"], unique=False
        )

    op.create_table(
        "grade_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("computed_grade", sa.String(length=2), nullable=True),
        sa.Column("grade", sa.String(length=2), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("os", sa.String(length=12), nullable=True),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("grid_version", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grade_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grade_decision_device_id"), ["device_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("grade_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grade_decision_device_id"))

    op.drop_table("grade_decision")
    with op.batch_alter_table("pricing_grid_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pricing_grid_version_effective_from"))

    op.drop_table("pricing_grid_version")
    op.drop_table("grading_rules_version")
