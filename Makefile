# The two commands a new user types: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# What `make` installs: every runtime and dev dependency pinned with hashes (ADR 017).
# requirements.lock is the runtime part alone, which the Docker image installs.
LOCK   := requirements-dev.lock
# `make lock` keeps the pins it can; `make lock LOCK_ARGS=--upgrade` moves every one to the
# newest release within pyproject's ranges, `LOCK_ARGS='-P fastapi'` only the one named.
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

.PHONY: help run test lint fmt install lock bench clean

## install: the virtualenv (.venv) with every pinned dependency, hash-checked
install: $(STAMP)

# Installs exactly the lock (hash-checked, nothing resolved), then the project itself without
# its dependencies; renewed only when pyproject.toml or the lock changes.
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## lock: regenerate requirements.lock and requirements-dev.lock from pyproject.toml
lock: $(STAMP)
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements.lock -o $(LOCK) pyproject.toml

## run: install, migrate, load the demo data and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/supervision migrate
	$(BIN)/supervision demo
	$(BIN)/supervision serve

## test: every tier (unit, property, integration, e2e) against real PostgreSQL
test: $(STAMP)
	$(BIN)/python -m pytest

## lint: ruff (lint and format check), mypy and import-linter, as the commits must pass
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## fmt: format the code and apply ruff's safe fixes
fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the benchmarks of bench/run_all.py (not part of the tests; docs/performance.md)
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## clean: remove the virtualenv and build and test leftovers (not the data in ./var)
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis

## help: list these targets, from their `## target: …` lines
help:
	@awk '/^## [a-z]+: / { name = substr($$2, 1, length($$2) - 1); sub(/^## [a-z]+: /, ""); \
		printf "  make %-8s %s\n", name, $$0 }' $(MAKEFILE_LIST)
