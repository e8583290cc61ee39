# Remise: `make run` to try it, `make test` to check it. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run demo-logins test lint install messages bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The first run prints the demo logins and their API tokens; later runs say how to
# see the logins again (`make demo-logins`).
run: $(STAMP)
	$(BIN)/remise db upgrade
	$(BIN)/remise demo
	$(BIN)/remise serve --host $(HOST) --port $(PORT)

demo-logins: $(STAMP)
	$(BIN)/remise demo --logins

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy db
	$(BIN)/lint-imports

messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o remise/locale/messages.pot --no-location --sort-output --omit-header --ignore-dirs ".venv tests bench" .
	$(BIN)/pybabel update -i remise/locale/messages.pot -d remise/locale --no-fuzzy-matching --ignore-obsolete

# Every benchmark, a module of the bench package (tests/test_bench.py checks this list).
BENCHMARKS := ledger intake_import label_drawing pages http erasure device_grading claims dashboard

bench: $(STAMP)
	set -e; for name in $(BENCHMARKS); do $(BIN)/python -m bench.$$name; done

# A tenth of every size: CI runs it so that no benchmark rots unnoticed.
bench-quick: $(STAMP)
	set -e; for name in $(BENCHMARKS); do $(BIN)/python -m bench.$$name --quick; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
