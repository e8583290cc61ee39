"""intake: import records, idempotency, batch closing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="idempotency_key_per_user"),
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "import_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("already_present", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("refused_csv", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_record_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_import_record_file_sha256"), ["file_sha256"], unique=False
        )

    # Serials are matched without regard to case; without this index each look-up
    # during an import would scan every device.
    op.create_index("ix_device_serial_upper", "device", [sa.text("upper(serial)")])

    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_device_serial_upper", table_name="device")
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.drop_column("created_by")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("import_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_record_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_import_record_batch_id"))

    op.drop_table("import_record")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_created_at"))

    op.drop_table("idempotency_record")
