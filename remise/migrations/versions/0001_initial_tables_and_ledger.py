"""initial tables and ledger

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "donor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donor_name"), ["name"], unique=False)

    op.create_table(
        "job_cursor",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "structure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("pickup_date", sa.Date(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column(
            "declared",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("workshop", sa.String(length=200), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("closing_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"],
            ["donor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "role IN ('coordinator', 'bench', 'workshop', 'structure')", name="role_known"
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_account_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_apitoken_user_id"), ["user_id"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("serial", sa.String(length=120), nullable=True),
        sa.Column("imei", sa.String(length=15), nullable=True),
        sa.Column("asset_tag", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("structure_id", sa.Integer(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "category IN ('laptop', 'desktop', 'smartphone', 'tablet', 'basic_phone', 'other')",
            name="category_known",
        ),
        sa.CheckConstraint(
            "status IN ('received', 'labelled', 'in_refurbishment', 'refurbished', 'graded', 'available', 'reserved', 'handed_over', 'parts', 'recycled', 'lost')",
            name="status_known",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_grade"), ["grade"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_imei"), ["imei"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_serial"), ["serial"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "ledger_event",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("ledger_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_event_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_event_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_event_type"))
        batch_op.drop_index(batch_op.f("ix_ledger_event_device_id"))

    op.drop_table("ledger_event")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_structure_id"))
        batch_op.drop_index(batch_op.f("ix_device_status"))
        batch_op.drop_index(batch_op.f("ix_device_serial"))
        batch_op.drop_index(batch_op.f("ix_device_imei"))
        batch_op.drop_index(batch_op.f("ix_device_grade"))
        batch_op.drop_index(batch_op.f("ix_device_category"))
        batch_op.drop_index(batch_op.f("ix_device_batch_id"))

    op.drop_table("device")
    with op.batch_alter_table("apitoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apitoken_user_id"))

    op.drop_table("apitoken")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_structure_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_donor_id"))

    op.drop_table("batch")
    op.drop_table("structure")
    op.drop_table("job_cursor")
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donor_name"))

    op.drop_table("donor")
