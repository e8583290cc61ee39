"""The shared ground every stage stands on.

`db/` holds the engine and sessions (`engine.py`), the shared tables (`models.py`),
the append-only, hash-chained ledger (`ledger.py`, `canonical.py`), the device life
cycle (`lifecycle.py`), the event names (`events.py`), device codes (`codes.py`),
device look-ups (`devices.py`), projections rebuilt from the ledger (`replay.py`),
and the error kinds (`errors.py`). Migrations live in `remise/migrations`, beside every
stage's tables.

It imports nothing of ours: stages and the `remise` service import it, never the
other way round.
"""
