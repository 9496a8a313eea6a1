# The README's two commands live here: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench install services check lint typecheck imports clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e '.[dev,postgres,redis,bench]'
	touch $(STAMP)

install: $(STAMP)

## Embedded default: SQLite file in ./data, in-process state; no servers needed.
## Seeds a demo account on first start, prints its API token, serves on :8000.
run: install
	$(BIN)/autoassign serve --demo

## PostgreSQL and Redis on 127.0.0.1, started (or installed) if they are not running.
services:
	bash scripts/services.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

check: lint typecheck imports

test: install services check
	$(BIN)/pytest

## Throughput, baseline, ceiling, latency, growth, memory and a profile (about 12 min on
## 2 cores); prints a table and writes docs/benchmarks.md. Not part of `make test`.
bench: install services
	PYTHONPATH=. $(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis
