"""Labels: device codes made physical, and scans turned back into devices.

Code 128 barcodes, thermal (PNG, ZPL) and A4 sheet (PDF) layouts kept as data,
and scan-to-open resolution of what a USB scanner types (code, serial, IMEI).

Writes: `device.labelled` (received → labelled), `device.label_reprinted`.
Reads: `device.received` (devices waiting for a label).
"""
