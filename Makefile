# The README's two commands live here: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench bench-wakeups faults install services browser check lint typecheck imports clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e '.[dev,postgres,redis,bench]'
	touch $(STAMP)

install: $(STAMP)

## Embedded default: SQLite file in ./data, in-process state; no servers needed.
## Seeds a demo account on first start, prints its API token and the admin page's URL,
## serves on :8000 (another port: make run PORT=8080).
run: install
	$(BIN)/autoassign serve --demo --port $(PORT)

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

## Debian's Chromium, which the browser tests drive through Playwright (installed from
## Debian's packages when missing; `playwright install` is never used).
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: install services browser check
	$(BIN)/pytest

## Throughput, both comparison baselines (the reference port and a per-row engine),
## floor, ceiling, the latency curve with the CPU per create, growth, memory and a profile
## (under 15 min on 2 cores); prints the tables and writes docs/benchmarks.md. Not part
## of `make test`. Each run has its own databases (autoassign_bench_<run id>_*), Redis
## keys (prefix aabench:<run id>, database 12) and free ports; override with
## AUTOASSIGN_BENCH_PG_ADMIN_URL, _REDIS_URL, _RUN_ID, _API_PORT, _RECEIVER_PORT.
bench: install services
	PYTHONPATH=. $(BIN)/python -m bench

## The latency curve alone (2 to 4 min): create → assignment webhook through the HTTP
## API at 10, 50, 100, 200 and 400 creates/s (10 s each) from a separate load-generator
## process, on SQLite and on PostgreSQL + Redis (stopping after a rate that falls far
## behind: the higher ones are reported "not run"). The CPU per create of every process on
## the path (API, worker, PostgreSQL backends, Redis, from /proc) is measured in the same
## phases, so there is no separate bench-cpu. Prints the tables, writes nothing;
## e.g. make bench-latency ARGS="--backend postgres --rates 50,100 --seconds 15".
.PHONY: bench-latency
bench-latency: install services
	PYTHONPATH=. $(BIN)/python -m bench.latency $(ARGS)

## Fault injection (issue 10): its own PostgreSQL and Redis servers, workers and an API,
## killed, stopped, flushed and restarted; invariants checked in SQL after each scenario.
## Prints, per fault, the runs and the worst time-to-recover, and writes them into
## docs/faults.md. `make test` runs the short profile of the same tests.
faults: install services
	AUTOASSIGN_TEST_FAULTS=full $(BIN)/pytest -m faults tests/faults

## How soon a window opening is followed by its assignment (100 cases per back end,
## about 1 min); the periodic sweep is set to an hour, so only exact wake-ups count.
bench-wakeups: install services
	PYTHONPATH=. $(BIN)/python -m bench.wakeups

## The simulator against Erlang C and Erlang A (docs/simulator.md; about half an hour on
## 2 cores): every case, written into the doc's validation table. Not part of `make test`.
simulate-validate: install
	$(BIN)/python -m autoassign.simulation.validation --workers 2 --write docs/simulator.md

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis
