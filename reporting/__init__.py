"""Reporting: what the coordinators and donors read across the whole pipeline.

The coordinator dashboard (`/dashboard`), the inventory search (`/devices`) and the
donors' impact reports (`/reports/donors/{id}`). It sits above the stages, as the
assembly does: it reads the shared tables and the stages' tables (`*.models`), and
never changes a device. Its own tables are the per-day counts of the pipeline's
flows (kept from the ledger by `reporting.jobs`) and the versions of the impact
factors.

Writes: no ledger event. Reads: `device.received`, `device.refurbished`,
`device.handed_over`, `device.dismantled`, `device.recycled` (the flow counts).
"""
