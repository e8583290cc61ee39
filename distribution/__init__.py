"""Distribution: partner structures, the catalogue they browse, claims and handover.

A structure sees the devices on offer and its own, never another structure's; two
structures can never hold the same device (the life cycle's guarded move).

Writes: `structure.created`, `device.reserved`, `device.released`,
`device.handed_over`, `device.returned`.
Reads: devices in `available` (from the shared tables, never from grading).
"""
