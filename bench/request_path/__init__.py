"""The parts of `bench.http` that are not the benchmark itself: the bare FastAPI app
it measures Remise against (`bare`), the two servers as processes (`servers`), and wrk
with its Lua script (`wrk`, `random_paths.lua`).

They live in a package rather than beside the benchmarks, because every module of
`bench/` is a benchmark that `make bench` runs (`tests/test_bench.py`).
"""
