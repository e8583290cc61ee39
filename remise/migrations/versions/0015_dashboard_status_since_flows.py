"""dashboard and inventory: when each device reached its status, flows per day, indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:29:57.435149
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The events that move a device (db.lifecycle.TRANSITIONS, and its registration), as
# they were when this migration was written.
MOVES = (
    "device.received",
    "device.labelled",
    "device.refurbishment_started",
    "device.refurbished",
    "device.reopened",
    "device.graded",
    "device.made_available",
    "device.withdrawn",
    "device.reserved",
    "device.released",
    "device.handed_over",
    "device.returned",
    "device.dismantled",
    "device.recycled",
    "device.lost",
)
FLOWS = {
    "device.received": "received",
    "device.refurbished": "refurbished",
    "device.handed_over": "handed_over",
    "device.dismantled": "parts",
    "device.recycled": "recycled",
}


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "flow_day",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("flow", sa.String(length=20), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False, server_default="0"),
        sa.CheckConstraint(f"flow IN ({_quoted(sorted(set(FLOWS.values())))})", name="flow_known"),
        sa.PrimaryKeyConstraint("day", "flow"),
    )
    op.add_column("device", sa.Column("status_since", sa.String(length=32), nullable=True))
    op.create_index("ix_device_backlog", "device", ["status", "status_since"], unique=False)
    op.create_index("ix_device_stock", "device", ["status", "category", "grade"], unique=False)
    # The dashboard's other panels, each read from an index at a million devices.
    op.create_index("ix_device_batch_category", "device", ["batch_id", "category"])
    op.create_index("ix_device_location", "device", ["location", "id"])
    op.create_index(
        "ix_erasure_record_newest", "erasure_record", ["medium_id", "id", "passed", "level"]
    )
    op.create_index(
        "ix_storage_medium_device", "storage_medium", ["device_id", "id", "replaces_id"]
    )
    overridden = sa.text("override_reason IS NOT NULL")
    op.create_index(
        "ix_grade_decision_override",
        "grade_decision",
        ["id"],
        postgresql_where=overridden,
        sqlite_where=overridden,
    )
    op.create_index(
        "ix_claim_item_period",
        "claim_item",
        ["reserved_at", "structure_id", "category", "state", "counts_in_quota"],
    )
    # What the ledger already says: each device's last move, and the flows so far (the
    # job `reporting.flows` counts from here on).
    op.execute(
        "UPDATE device SET status_since = (SELECT max(e.at) FROM ledger_event e "
        f"WHERE e.device_id = device.id AND e.type IN ({_quoted(MOVES)}))"
    )
    flow = "CASE type " + " ".join(f"WHEN '{t}' THEN '{f}'" for t, f in FLOWS.items()) + " END"
    op.execute(
        f"INSERT INTO flow_day (day, flow, devices) SELECT substr(at, 1, 10), {flow}, count(*) "
        f"FROM ledger_event WHERE type IN ({_quoted(list(FLOWS))}) "
        f"GROUP BY substr(at, 1, 10), {flow}"
    )
    op.execute(
        "INSERT INTO job_cursor (name, seq) SELECT 'reporting.flows', coalesce(max(seq), 0) "
        "FROM ledger_event"
    )


def downgrade() -> None:
    op.execute("DELETE FROM job_cursor WHERE name = 'reporting.flows'")
    op.drop_index("ix_claim_item_period", table_name="claim_item")
    op.drop_index("ix_grade_decision_override", table_name="grade_decision")
    op.drop_index("ix_storage_medium_device", table_name="storage_medium")
    op.drop_index("ix_erasure_record_newest", table_name="erasure_record")
    op.drop_index("ix_device_location", table_name="device")
    op.drop_index("ix_device_batch_category", table_name="device")
    op.drop_index("ix_device_stock", table_name="device")
    op.drop_index("ix_device_backlog", table_name="device")
    # Not a batch (a copy of the table): SQLite's copy would lose the expression indexes
    # it cannot reflect; both databases drop an unindexed column in place.
    op.execute("ALTER TABLE device DROP COLUMN status_since")
    op.drop_table("flow_day")
