"""Refurbishment: what volunteers do at the bench.

Versioned checklists per category, refurbishment runs and their steps, parts
replaced, bench probing of the hardware (pyudev, smartctl), data erasure evidence,
and the outcomes refurbished, parts or recycled.

Writes: `device.refurbishment_started`, `device.refurbished`, `device.dismantled`,
`device.recycled`, `device.returned`, `run.step_recorded`, `device.part_replaced`,
`device.probed`, `device.updated` (specs a snapshot fills), `device.flagged`,
`device.flag_resolved`, `checklist.published`.
Reads: `device.labelled`, `device.returned`.
"""
