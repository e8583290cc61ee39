"""Grading: a grade for each refurbished device, its reasons, and its solidarity price.

The rules (`rules.py`, a versioned JSON document evaluated by pure functions) read the
facts the bench measured (`facts.py`) and the zones a volunteer judged; the price grid
(`pricing.py`, versioned, within the legal caps) prices the grade. `service.py` applies
a grading: refurbished → graded → available once the data is erased (`jobs.py` catches
up on erasures that pass later).

Writes: `device.graded`, `device.grade_refused`, `device.made_available`,
`device.withdrawn` (re-grading an available device), `grading.rules_published`,
`pricing.grid_published`.
Reads: `device.refurbished` (its run), `run.step_recorded`, `device.probed` (`measured`),
`device.erasure_recorded`, `device.erasure_reverified`, and db.media's standings.
"""
