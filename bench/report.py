"""The machine, the versions, and the results: a Rich table on screen and
``docs/benchmarks.md`` on disk."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version

import psycopg
import redis
from rich.console import Console
from rich.table import Table

from bench.backends import PG_ADMIN, REDIS_URL
from bench.latency import Latency
from bench.suite import Growth, Plan, Throughput

TARGET_BASELINE = 50.0
TARGET_CEILING = 0.5
TARGET_P99_MS = 25.0
TARGET_GROWTH = 0.20


@dataclass
class Results:
    plan: Plan
    throughput: list[Throughput] = field(default_factory=list)
    #: backend → ceiling rows/s
    ceiling: dict[str, float] = field(default_factory=dict)
    #: order → (baseline assignments/s, keys in its Redis at the end)
    baseline: dict[str, tuple[float, int]] = field(default_factory=dict)
    latency: dict[str, Latency] = field(default_factory=dict)
    growth: list[Growth] = field(default_factory=list)
    bulk_100: Throughput | None = None
    profile_text: str = ""
    minutes: float = 0.0


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(PG_ADMIN) as db:
        row = db.execute("SHOW server_version").fetchone()
        pg = str(row[0]) if row else "?"
    with redis.Redis.from_url(REDIS_URL) as r:
        redis_version = str(r.info("server")["redis_version"])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "?",
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{memory:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "redis": redis_version,
        "libraries": ", ".join(
            f"{name} {version(name)}"
            for name in (
                "sqlalchemy",
                "psycopg",
                "aiosqlite",
                "redis",
                "procrastinate",
                "fastapi",
                "uvicorn",
            )
        ),
    }


def _ratio(value: float, target: float, *, at_least: bool = True) -> str:
    ok = value >= target if at_least else value <= target
    return f"{value:,.2f} ({'meets' if ok else 'below'} target {target:g})"


def rows(results: Results) -> list[tuple[str, str, str]]:
    """(measurement, value, note) for the table and the summary."""
    out: list[tuple[str, str, str]] = []
    for t in results.throughput:
        runs = ", ".join(f"{r.rate:,.0f}" for r in t.runs)
        out.append(
            (
                f"throughput {t.backend}, {t.order}",
                f"{t.median_rate:,.0f} assignments/s",
                f"{t.assigned:,} assigned; runs {runs}",
            )
        )
    for order, (rate, keys) in results.baseline.items():
        ours = next(
            (
                t.median_rate
                for t in results.throughput
                if "PostgreSQL" in t.backend and t.order == order
            ),
            None,
        )
        if ours is not None:
            out.append(
                (
                    f"ours ÷ baseline, PostgreSQL + Redis, {order}",
                    _ratio(ours / rate, TARGET_BASELINE),
                    f"baseline {rate:,.1f} assignments/s over {results.plan.baseline_seconds:g} s "
                    f"({keys:,} keys in its Redis at the end)",
                )
            )
    for backend, rate in results.ceiling.items():
        best = max((t.median_rate for t in results.throughput if t.backend == backend), default=0.0)
        out.append(
            (
                f"ours ÷ ceiling, {backend}",
                _ratio(best / rate, TARGET_CEILING),
                f"ceiling {rate:,.0f} rows/s; ours, best order, {best:,.0f}/s",
            )
        )
    for backend, lat in results.latency.items():
        out.append(
            (
                f"latency p50 / p95 / p99, {backend}",
                f"{lat.p50_ms:,.1f} / {lat.p95_ms:,.1f} / {lat.p99_ms:,.1f} ms",
                f"{lat.assigned:,} of {lat.sent:,} assigned at {lat.achieved_rate:,.0f}/s "
                f"offered {results.plan.latency_rate}/s; max {lat.max_ms:,.0f} ms; "
                f"{lat.failed_requests} failed requests; "
                f"p99 {'meets' if lat.p99_ms <= TARGET_P99_MS else 'misses'} {TARGET_P99_MS:g} ms",
            )
        )
    if results.growth:
        base = results.growth[0].us_per_assignment
        for g in results.growth:
            change = g.us_per_assignment / base - 1
            out.append(
                (
                    f"growth: {g.label}",
                    f"{g.us_per_assignment:,.0f} µs/assignment",
                    f"{g.us_per_assignment / base:.2f}x the smallest "
                    f"({'within' if abs(change) <= TARGET_GROWTH else 'outside'} ±20%); "
                    f"{g.assigned:,} assigned",
                )
            )
    if results.throughput:
        rss = max(t.peak_rss_mb for t in results.throughput)
        out.append(("worker peak RSS during (1)", f"{rss:,.0f} MB", "max over all runs"))
    if results.bulk_100 is not None:
        out.append(
            (
                f"batch size 100 instead of {results.plan.bulk_limit}, {results.bulk_100.backend}",
                f"{results.bulk_100.median_rate:,.0f} assignments/s",
                "round_robin",
            )
        )
    return out


def print_table(results: Results, console: Console) -> None:
    table = Table(title="autoassign benchmarks")
    table.add_column("measurement")
    table.add_column("value", justify="right")
    table.add_column("note")
    for name, value, note in rows(results):
        table.add_row(name, value, note)
    console.print(table)


def markdown(results: Results) -> str:
    info = machine()
    spec = results.plan.spec
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Numbers are from",
        "one run on the machine below, which is shared and noisy: compare ratios taken in",
        "the same run rather than absolute numbers across runs.",
        "",
        "## Machine and versions",
        "",
        *[f"- **{k}**: {v}" for k, v in info.items()],
        "",
        "## Data set",
        "",
        f"- {spec.inboxes} inboxes, {spec.agents:,} agents ({spec.online_agents:,} online), each "
        f"agent a member of {spec.memberships_per_agent} inboxes "
        f"({spec.agents * spec.memberships_per_agent // spec.inboxes} members per inbox).",
        f"- {spec.conversations:,} open, unassigned conversations spread evenly over the inboxes.",
        f"- A policy per inbox: fair distribution {spec.fair_limit} per {spec.fair_window} s; a "
        f"capacity policy for every agent: {spec.capacity} open conversations per inbox. The "
        "limits bind, so not every conversation can be assigned.",
        f"- Batch size (`AUTOASSIGN_BULK_LIMIT`) {results.plan.bulk_limit}; "
        f"{results.plan.runs} runs per number, median reported; each run starts from a fresh "
        "copy of the data (`CREATE DATABASE … TEMPLATE` or a file copy) and an empty Redis "
        "database, statistics gathered with `ANALYZE` after loading.",
        "",
        "## Results",
        "",
        "| measurement | value | note |",
        "|---|---:|---|",
        *[f"| {n} | {v} | {note} |" for n, v, note in rows(results)],
        "",
        "## How each number is taken",
        "",
        "1. **Throughput**: `bench/worker.py` in its own process takes the job path a worker "
        "takes: the sweep queues every inbox, the job queue (in-process on SQLite, Procrastinate "
        "on PostgreSQL) runs them until none is left. Assignments ÷ wall time from the sweep to "
        "the empty queue.",
        "2. **Baseline**: `bench/baseline.py`, a port of the reference's per-conversation cost "
        "shape (see its docstring), on the same data and the same Redis server, time-boxed to "
        f"{results.plan.baseline_seconds:g} s per run because a full run would take hours. Its "
        "cost per assignment grows with the keys it has written (each rate-limit check SCANs "
        "the whole keyspace), so a short run flatters it.",
        "3. **Ceiling**: `bench/ceiling.py`, one guarded `UPDATE … FROM unnest(…)` (SQLite: "
        "`json_each`) assigning the same number of rows per inbox round robin, with no policy "
        "logic; only the statement and its commit are timed.",
        f"4. **Latency**: `bench/latency.py` serves the API (`autoassign serve`, plus "
        f"`autoassign worker` on PostgreSQL) and creates conversations at "
        f"{results.plan.latency_rate}/s for {results.plan.latency_seconds:g} s (open loop), "
        "timing each from just before its request to the arrival of its `assignee_changed` "
        "webhook in the bench process. The load generator shares the machine's cores.",
        f"5. **Growth**: the same work at every size (one batch of {results.plan.growth_batch} "
        "per inbox, inbox after inbox, no job queue), so only the table size or the keyspace "
        "changes.",
        "6. **Memory**: peak RSS (`ru_maxrss`) of the worker process during (1).",
        "",
        "## Hot path (pyinstrument, PostgreSQL + Redis, round robin)",
        "",
        "A separate profiled run of (1); the tree shows where a worker's time goes.",
        "",
        "```",
        results.profile_text.rstrip(),
        "```",
        "",
        f"The whole bench took {results.minutes:.1f} minutes.",
        "",
    ]
    return "\n".join(lines)
