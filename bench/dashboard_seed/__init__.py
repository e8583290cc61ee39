"""The national network that `bench.dashboard` reads: planned in Python, written in bulk.

`plan` draws the network (donors, batches, structures, every device's path through the
pipeline with the time of each move, the claims); `workshop` derives what the bench
recorded of each device (runs, snapshots, media, erasures, flags, grade decisions)
from the device's id alone, so that its tables and the ledger agree without keeping
those rows in memory; `history` streams the ledger in time order; `load` writes it
all (PostgreSQL: COPY, secondary indexes and foreign keys rebuilt after; SQLite:
executemany), then counts `flow_day` from the ledger as migration 0015 does.

A package rather than modules beside the benchmarks, because every module of `bench/`
is a benchmark that `make bench` runs (`tests/test_bench.py`).
"""
