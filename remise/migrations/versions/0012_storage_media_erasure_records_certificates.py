"""data erasure: storage media, erasure records, certificates

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storage_medium",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=12), nullable=False),
        sa.Column("manufacturer", sa.String(length=120), nullable=True),
        sa.Column("model", sa.String(length=120), nullable=True),
        sa.Column("serial", sa.String(length=120), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("storage_medium", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storage_medium_device_id"), ["device_id"])

    op.create_table(
        "erasure_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("medium_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("pattern", sa.String(length=40), nullable=True),
        sa.Column("passes", sa.Integer(), nullable=True),
        sa.Column("tool", sa.String(length=60), nullable=True),
        sa.Column("tool_version", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.String(length=32), nullable=True),
        sa.Column("finished_at", sa.String(length=32), nullable=True),
        sa.Column("verification_method", sa.String(length=10), nullable=False),
        sa.Column("verification_passed", sa.Boolean(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("hidden_areas", sa.Text(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.Column("report_name", sa.String(length=255), nullable=True),
        sa.Column("reverifies_id", sa.Integer(), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.ForeignKeyConstraint(["medium_id"], ["storage_medium.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasure_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_record_device_id"), ["device_id"])
        batch_op.create_index(batch_op.f("ix_erasure_record_medium_id"), ["medium_id"])
        batch_op.create_index(batch_op.f("ix_erasure_record_passed"), ["passed"])
        batch_op.create_index(batch_op.f("ix_erasure_record_recorded_at"), ["recorded_at"])
        batch_op.create_index(batch_op.f("ix_erasure_record_report_sha256"), ["report_sha256"])

    op.create_table(
        "erasure_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"]),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="certificate_code_once"),
    )
    with op.batch_alter_table("erasure_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_certificate_batch_id"), ["batch_id"])
        batch_op.create_index(batch_op.f("ix_erasure_certificate_device_id"), ["device_id"])

    op.create_table(
        "erasure_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("medium_id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reverify_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.String(length=32), nullable=True),
        sa.Column("checked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.ForeignKeyConstraint(["erasure_id"], ["erasure_record.id"]),
        sa.ForeignKeyConstraint(["medium_id"], ["storage_medium.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week", "erasure_id", name="sample_once_a_week"),
    )
    with op.batch_alter_table("erasure_sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_sample_week"), ["week"])
        batch_op.create_index(batch_op.f("ix_erasure_sample_erasure_id"), ["erasure_id"])
        batch_op.create_index(batch_op.f("ix_erasure_sample_state"), ["state"])


def downgrade() -> None:
    op.drop_table("erasure_sample")
    op.drop_table("erasure_certificate")
    op.drop_table("erasure_record")
    op.drop_table("storage_medium")
