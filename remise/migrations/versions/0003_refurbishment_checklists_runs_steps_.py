"""refurbishment: checklists, runs, steps, parts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checklist_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("category", "version", name="checklist_version"),
    )
    with op.batch_alter_table("checklist_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_template_category"), ["category"], unique=False
        )

    op.create_table(
        "refurbishment_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_detail", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("finished_at", sa.String(length=32), nullable=True),
        sa.Column("finished_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["checklist_template.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("refurbishment_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refurbishment_run_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refurbishment_run_open"), ["open"], unique=False)

    op.create_table(
        "harvested_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_device_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("in_stock", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["refurbishment_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("harvested_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvested_part_in_stock"), ["in_stock"], unique=False)
        batch_op.create_index(batch_op.f("ix_harvested_part_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_harvested_part_source_device_id"), ["source_device_id"], unique=False
        )

    op.create_table(
        "part_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=20), nullable=False),
        sa.Column("removed", sa.String(length=200), nullable=True),
        sa.Column("fitted", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
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
    with op.batch_alter_table("part_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_change_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_part_change_run_id"), ["run_id"], unique=False)

    op.create_table(
        "run_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["refurbishment_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "key", name="run_step_once"),
    )
    with op.batch_alter_table("run_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_step_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("run_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_step_run_id"))

    op.drop_table("run_step")
    with op.batch_alter_table("part_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_change_run_id"))
        batch_op.drop_index(batch_op.f("ix_part_change_device_id"))

    op.drop_table("part_change")
    with op.batch_alter_table("harvested_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvested_part_source_device_id"))
        batch_op.drop_index(batch_op.f("ix_harvested_part_kind"))
        batch_op.drop_index(batch_op.f("ix_harvested_part_in_stock"))

    op.drop_table("harvested_part")
    with op.batch_alter_table("refurbishment_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refurbishment_run_open"))
        batch_op.drop_index(batch_op.f("ix_refurbishment_run_device_id"))

    op.drop_table("refurbishment_run")
    with op.batch_alter_table("checklist_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_template_category"))

    op.drop_table("checklist_template")
