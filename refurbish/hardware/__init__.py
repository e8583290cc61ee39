"""Reading the hardware at the bench: udev (live, umockdev, or an export-db dump) and SMART.

`records` turns each source into the same list of device records, `snapshot` reads
a machine's facts from them, `smart` parses smartctl reports, `summary` shows the
result as a volunteer reads it.
"""
