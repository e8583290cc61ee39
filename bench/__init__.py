"""Benchmarks, each a module run with `python -m bench.NAME` from the project root
(`make bench`, or `make bench-quick` for a tenth of every size, as CI runs them).

Run as modules, they never put `bench/` first on `sys.path`; and no file here is named
like one of Remise's packages (`tests/test_bench.py` checks), so not even a benchmark
run as a script can hide `intake` or `labels` from the code it measures.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

MIB = 1024 * 1024


def timed(work: Callable[[], object]) -> float:
    """Seconds `work()` took."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` runs of `work()`, in seconds: the least disturbed by others."""
    return min(timed(work) for _ in range(runs))


def peak_mib(work: Callable[[], object]) -> float:
    """The peak of Python allocations (tracemalloc) while `work()` runs, in MiB; garbage
    of what ran before is collected first, so that none is freed while this is traced."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()
