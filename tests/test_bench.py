"""The benchmarks stay runnable: no file of bench/ hides a package, and `make bench`
and `make bench-quick` (which CI runs) name every one of them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.rstrip("*") for pattern in include} | {"tests", "bench"}


def _benchmarks() -> set[str]:
    return {path.stem for path in (ROOT / "bench").glob("*.py") if path.stem != "__init__"}


def test_no_benchmark_is_named_like_a_package() -> None:
    # Run as a script, bench/NAME.py puts bench/ first on sys.path: a file named like a
    # package would hide it from the code being measured (make bench crashed so).
    assert _benchmarks(), "no benchmark found"
    assert not _benchmarks() & _packages()


def test_make_runs_every_benchmark_and_ci_runs_them_quick() -> None:
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^BENCHMARKS := (.+)$", makefile, re.MULTILINE)
    assert listed is not None
    assert set(listed.group(1).split()) == _benchmarks()
    assert "bench.$$name --quick" in makefile
    assert re.search(r"^make bench-quick$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)


def test_every_benchmark_has_a_quick_mode() -> None:
    for name in _benchmarks():
        source = (ROOT / "bench" / f"{name}.py").read_text()
        assert '"--quick"' in source, f"bench/{name}.py has no --quick"
