# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: install system-deps demo studio test lint typecheck arch unit mutate clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# A fresh demo store each time: production `demo` dated today, served on http://127.0.0.1:8000
# (sign-in people and PINs are printed). The drills' demo replay is `showclear demo`.
demo: install
	rm -rf demo.db demo.db-wal demo.db-shm demo.db.keys
	$(BIN)/showclear serve --db demo.db --demo

# The whole picture: a local PostgreSQL (installed by system-deps), the studio server with its
# dashboard on http://127.0.0.1:8100/studio/, and two set nodes syncing to it (scripts/studio.py).
# Ctrl-C stops everything. `make demo` needs none of it.
studio: install system-deps
	$(BIN)/python scripts/studio.py

# bench/ holds scripts and results; lint it only when it is there.
LINT_PATHS = src tests scripts $(wildcard bench)

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: install
	$(BIN)/mypy --strict src

# The architecture's import contracts (.importlinter): layers, a pure core, adapters reached only
# through the composition root, independent route and command modules, no cycles.
arch: install
	$(BIN)/lint-imports

system-deps:
	bash scripts/install-system-deps.sh

unit: install system-deps
	$(BIN)/pytest -q -n 2

test: lint typecheck arch unit

# Mutation testing of the rules, effects, watchdogs and the ledger's checks (docs/testing.md).
# Slow, so not part of `make test`. The modules are [tool.mutmut] only_mutate in pyproject.toml;
# `make mutate MODULES=showclear.ledger.note` runs one. Report: out/mutation/report.md.
mutate: install
	$(BIN)/python scripts/mutate.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
