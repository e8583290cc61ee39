"""Intake: where a device enters Remise.

Donors, donated batches (declared counts per category), devices received one by one
or in bulk from CSV/XLSX asset lists, reconciliation and donation receipts.

Writes: `device.received` (with who, where, and the import file's SHA-256).
Reads: nothing from other stages.
"""
