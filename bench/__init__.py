"""Benchmarks, each a module run with `python -m bench.NAME` from the project root
(`make bench`, or `make bench-quick` for a tenth of every size, as CI runs them).

Run as modules, they never put `bench/` first on `sys.path`; and no file here is named
like one of Remise's packages (`tests/test_bench.py` checks), so not even a benchmark
run as a script can hide `intake` or `labels` from the code it measures.
"""
