"""distribution: structures grown, catalogue, claims, waitlist, inbox, mail, faults

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 02:58:15.259961
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.String(length=32), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_outbox_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("read_at", sa.String(length=32), nullable=True),
        sa.Column("read_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_message_structure_id"), ["structure_id"], unique=False
        )

    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("ended_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waitlist_entry_structure_id"), ["structure_id"], unique=False
        )
        batch_op.create_index("ix_waitlist_queue", ["state", "category", "id"], unique=False)

    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("reminded_at", sa.String(length=32), nullable=True),
        sa.Column("waitlist_entry_id", sa.Integer(), nullable=True),
        sa.Column("fault_id", sa.Integer(), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("collector", sa.String(length=200), nullable=True),
        sa.Column("handed_over_at", sa.String(length=32), nullable=True),
        sa.Column("handed_over_by", sa.String(length=120), nullable=True),
        sa.Column("ended_at", sa.String(length=32), nullable=True),
        sa.Column("ended_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.ForeignKeyConstraint(
            ["waitlist_entry_id"],
            ["waitlist_entry.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "catalog_item",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("grade_rank", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("ram_gb", sa.Integer(), nullable=True),
        sa.Column("storage_gb", sa.Integer(), nullable=True),
        sa.Column("storage_type", sa.String(length=12), nullable=True),
        sa.Column("screen_in", sa.String(length=8), nullable=True),
        sa.Column("cpu", sa.String(length=200), nullable=True),
        sa.Column("os", sa.String(length=20), nullable=True),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.Column("definition_fr", sa.Text(), nullable=True),
        sa.Column("definition_en", sa.Text(), nullable=True),
        sa.Column("since", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.PrimaryKeyConstraint("device_id"),
    )
    with op.batch_alter_table("catalog_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_browse",
            ["category", "grade_rank", "price_cents", "device_id", "ram_gb", "storage_gb", "os"],
            unique=False,
        )
        batch_op.create_index("ix_catalog_price", ["price_cents"], unique=False)
        batch_op.create_index("ix_catalog_ram", ["ram_gb"], unique=False)
        batch_op.create_index("ix_catalog_storage", ["storage_gb"], unique=False)
        batch_op.create_index(
            "ix_catalog_claim", ["category", "price_cents", "since", "device_id"], unique=False
        )
        batch_op.create_index("ix_catalog_code", ["code"], unique=True)

    op.create_table(
        "claim_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("counts_in_quota", sa.Boolean(), nullable=False),
        sa.Column("reserved_at", sa.String(length=32), nullable=False),
        sa.Column("scanned_at", sa.String(length=32), nullable=True),
        sa.Column("scanned_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claim_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_item_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_item_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            "ix_claim_item_quota",
            ["structure_id", "category", "reserved_at", "state", "counts_in_quota", "claim_id"],
            unique=False,
        )

    op.create_table(
        "fault_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.String(length=32), nullable=False),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=14), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("replacement_claim_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fault_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fault_report_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fault_report_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fault_report_structure_id"), ["structure_id"], unique=False
        )

    with op.batch_alter_table("structure", schema=None) as batch_op:
        # Structures made before approval existed were already partners: active.
        batch_op.add_column(
            sa.Column("status", sa.String(length=12), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("departement", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("public_category", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("public_description", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "quotas",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
        batch_op.add_column(sa.Column("updated_at", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_structure_departement"), ["departement"], unique=False)
        batch_op.create_index(batch_op.f("ix_structure_status"), ["status"], unique=False)
        batch_op.create_check_constraint(
            "status_known", "status IN ('pending', 'active', 'suspended')"
        )
        batch_op.create_check_constraint(
            "public_category_known",
            "public_category IS NULL OR public_category IN "
            "('youth', 'job_seekers', 'seniors', 'refugees', 'housing', 'other')",
        )
    # The catalogue starts with the devices already available (their specs come with
    # their next grading).
    op.execute(
        "INSERT INTO catalog_item (device_id, code, category, brand, model, grade, grade_rank, "
        "price_cents, since) SELECT id, code, category, brand, model, grade, "
        "CASE grade WHEN 'A' THEN 1 WHEN 'B' THEN 2 WHEN 'C' THEN 3 ELSE 9 END, price_cents, "
        "'2026-12-04T00:00:00.000000Z' FROM device WHERE status = 'available'"
    )



def downgrade() -> None:
    with op.batch_alter_table("structure", schema=None) as batch_op:
        batch_op.drop_constraint("public_category_known", type_="check")
        batch_op.drop_constraint("status_known", type_="check")
        batch_op.drop_index(batch_op.f("ix_structure_status"))
        batch_op.drop_index(batch_op.f("ix_structure_departement"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("quotas")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_name")
        batch_op.drop_column("public_description")
        batch_op.drop_column("public_category")
        batch_op.drop_column("departement")
        batch_op.drop_column("postcode")
        batch_op.drop_column("address")
        batch_op.drop_column("status")

    with op.batch_alter_table("fault_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fault_report_structure_id"))
        batch_op.drop_index(batch_op.f("ix_fault_report_state"))
        batch_op.drop_index(batch_op.f("ix_fault_report_device_id"))

    op.drop_table("fault_report")
    with op.batch_alter_table("claim_item", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_item_quota")
        batch_op.drop_index(batch_op.f("ix_claim_item_device_id"))
        batch_op.drop_index(batch_op.f("ix_claim_item_claim_id"))

    op.drop_table("claim_item")
    with op.batch_alter_table("catalog_item", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_code")
        batch_op.drop_index("ix_catalog_claim")
        batch_op.drop_index("ix_catalog_storage")
        batch_op.drop_index("ix_catalog_ram")
        batch_op.drop_index("ix_catalog_price")
        batch_op.drop_index("ix_catalog_browse")

    op.drop_table("catalog_item")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_structure_id"))
        batch_op.drop_index(batch_op.f("ix_claim_state"))
        batch_op.drop_index(batch_op.f("ix_claim_expires_at"))
        batch_op.drop_index(batch_op.f("ix_claim_created_at"))

    op.drop_table("claim")
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_waitlist_queue")
        batch_op.drop_index(batch_op.f("ix_waitlist_entry_structure_id"))

    op.drop_table("waitlist_entry")
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_message_structure_id"))

    op.drop_table("inbox_message")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_sent_at"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_next_attempt_at"))

    op.drop_table("mail_outbox")
