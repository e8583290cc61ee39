"""Grading: a grade for each refurbished device, and its solidarity price.

Grade thresholds and price tables are data with pure rules (`rules.py`), applied
to what the refurbishment run measured.

Writes: `device.graded`, `device.made_available`, `device.withdrawn`.
Reads: `device.refurbished`.
"""
