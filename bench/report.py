"""The machine, the versions, and the results: a Rich table on screen and
``docs/benchmarks.md`` on disk."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psycopg
import redis
from rich.console import Console
from rich.table import Table

from bench import cpu
from bench.config import RunConfig
from bench.latency import API, CURVE_HEADER, WORKER, Curve, curve_rows
from bench.suite import Growth, PerRow, Plan, Throughput

TARGET_BASELINE = 50.0
TARGET_PERROW_ONE = 1.5
TARGET_PERROW_BULK = 20.0
TARGET_CEILING = 0.5
TARGET_FLOOR = 0.9
TARGET_P50_MS = 5.0
TARGET_P99_MS = 25.0
#: CPU ms per create → assigned, all processes together, per back end
TARGET_CPU_MS = {"sqlite": 3.0, "postgres": 5.0}
TARGET_GROWTH = 0.20


@dataclass
class Results:
    plan: Plan
    config: RunConfig
    throughput: list[Throughput] = field(default_factory=list)
    #: backend → ceiling rows/s
    ceiling: dict[str, float] = field(default_factory=dict)
    #: backend → floor rows/s
    floor: dict[str, float] = field(default_factory=dict)
    #: order → (baseline assignments/s, keys in its Redis at the end)
    baseline: dict[str, tuple[float, int]] = field(default_factory=dict)
    perrow: PerRow | None = None
    curves: list[Curve] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)
    bulk_100: Throughput | None = None
    profile_text: str = ""
    minutes: float = 0.0
    #: phase → seconds it took (the 15-minute budget of ``make bench``)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    #: phase → the error that stopped it (its numbers are missing from the report)
    failed: dict[str, str] = field(default_factory=dict)


def _commit(root: Path = Path(__file__).resolve().parent.parent) -> str:
    """The checked-out commit, read from ``.git`` (no git process)."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head[:7]
        ref = head[5:]
        common = git / "commondir"
        base = (git / common.read_text(encoding="utf-8").strip()) if common.is_file() else git
        for place in (git, base):
            if (place / ref).is_file():
                return (place / ref).read_text(encoding="utf-8").strip()[:7]
        for line in (base / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(f" {ref}"):
                return line.split(" ", 1)[0][:7]
    except (OSError, IndexError):
        pass
    return ""


def machine(config: RunConfig) -> dict[str, str]:
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
    with psycopg.connect(config.pg_admin) as db:
        row = db.execute("SHOW server_version").fetchone()
        pg = str(row[0]) if row else "?"
    with redis.Redis.from_url(config.redis_url) as r:
        redis_version = str(r.info("server")["redis_version"])
    commit = _commit()
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


def _within(value: float, target: float) -> str:
    return "meets" if value <= target else "misses"


def _best(results: Results, backend: str) -> float:
    return max((t.median_rate for t in results.throughput if t.backend == backend), default=0.0)


def _runs(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


def _perrow_rows(results: Results) -> list[tuple[str, str, str]]:
    pr = results.perrow
    if pr is None:
        return []
    seconds = results.plan.perrow_seconds
    ours_one, theirs_one = PerRow.median(pr.ours_one), PerRow.median(pr.theirs_one)
    ours_bulk, theirs_bulk = PerRow.median(pr.ours_bulk), PerRow.median(pr.theirs_bulk)
    job = next(
        (
            t.median_rate
            for t in results.throughput
            if "PostgreSQL" in t.backend and t.order == pr.order
        ),
        None,
    )
    job_note = f"; ours by the job path (1) {job:,.0f}/s = {job / theirs_bulk:,.1f}x" if job else ""
    return [
        (
            f"ours ÷ per-row engine, batch size 1, PostgreSQL + Redis, {pr.order}",
            _ratio(ours_one / theirs_one, TARGET_PERROW_ONE),
            f"ours {ours_one:,.0f}/s (runs {_runs(pr.ours_one)}), per-row "
            f"{theirs_one:,.0f}/s (runs {_runs(pr.theirs_one)}); {seconds:g} s per run",
        ),
        (
            f"ours ÷ per-row engine, bulk (batches of {pr.bulk}), PostgreSQL + Redis, {pr.order}",
            _ratio(ours_bulk / theirs_bulk, TARGET_PERROW_BULK),
            f"ours {ours_bulk:,.0f}/s (runs {_runs(pr.ours_bulk)}), per-row "
            f"{theirs_bulk:,.0f}/s (runs {_runs(pr.theirs_bulk)}); {seconds:g} s per run"
            f"{job_note}",
        ),
    ]


def _latency_rows(results: Results) -> list[tuple[str, str, str]]:
    out = []
    rate = results.plan.latency.cpu_rate
    for curve in results.curves:
        sat = curve.saturation
        where = (
            f"saturation point {sat.offered}/s ({'; '.join(sat.saturated)})"
            if sat
            else f"no saturation up to {max(p.offered for p in curve.phases)}/s"
        )
        p = curve.at(rate)
        if p is not None:
            out.append(
                (
                    f"latency p50 / p99 at {rate}/s, {curve.backend}",
                    f"{p.p50_ms:,.1f} / {p.p99_ms:,.1f} ms",
                    f"create → webhook; p50 {_within(p.p50_ms, TARGET_P50_MS)} "
                    f"{TARGET_P50_MS:g} ms, p99 {_within(p.p99_ms, TARGET_P99_MS)} "
                    f"{TARGET_P99_MS:g} ms; {where}; highest rate sustained "
                    f"{curve.sustained or 0}/s",
                )
            )
        elif curve.skipped:
            out.append(
                (
                    f"latency p50 / p99 at {rate}/s, {curve.backend}",
                    "not run",
                    f"{where}: the curve stopped there",
                )
            )
        steady = curve.steady(rate)
        if curve.cpu_measured and steady is not None:
            total = steady.cpu_ms_per_create(curve.groups)
            target = TARGET_CPU_MS[curve.key]
            parts = ", ".join(f"{g} {steady.group_ms_per_create(g):.2f}" for g in curve.groups)
            why = "" if steady.offered == rate else f" ({rate}/s did not keep up)"
            out.append(
                (
                    f"CPU per create → assigned at {steady.offered}/s, {curve.backend}",
                    f"{total:,.2f} ms ({_within(total, target)} target {target:g})",
                    parts + why,
                )
            )
    return out


def rows(results: Results) -> list[tuple[str, str, str]]:
    """(measurement, value, note) for the table and the summary."""
    out: list[tuple[str, str, str]] = []
    for t in results.throughput:
        out.append(
            (
                f"throughput {t.backend}, {t.order}",
                f"{t.median_rate:,.0f} assignments/s",
                f"{t.assigned:,} assigned; runs {_runs([r.rate for r in t.runs])}",
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
                    f"ours ÷ reference baseline, PostgreSQL + Redis, {order}",
                    _ratio(ours / rate, TARGET_BASELINE),
                    f"baseline {rate:,.1f} assignments/s over {results.plan.baseline_seconds:g} s "
                    f"({keys:,} keys in its Redis at the end)",
                )
            )
    out.extend(_perrow_rows(results))
    for backend, rate in results.floor.items():
        best = _best(results, backend)
        out.append(
            (
                f"ours ÷ floor, {backend}",
                _ratio(best / rate, TARGET_FLOOR),
                f"floor {rate:,.0f} rows/s; ours, best order, {best:,.0f}/s",
            )
        )
    for backend, rate in results.ceiling.items():
        best = _best(results, backend)
        out.append(
            (
                f"ours ÷ ceiling, {backend}",
                _ratio(best / rate, TARGET_CEILING),
                f"ceiling {rate:,.0f} rows/s; ours, best order, {best:,.0f}/s",
            )
        )
    out.extend(_latency_rows(results))
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


_GROUP_LABELS = {
    API: "API server (`autoassign serve`)",
    WORKER: "worker (`autoassign worker`)",
    cpu.PG_BACKENDS: "PostgreSQL backends of the bench's database",
    cpu.PG_SHARED: "PostgreSQL postmaster and auxiliaries (shared)",
    cpu.REDIS: "Redis (redis-server, shared)",
}


def _cell(value: float, digits: int = 2) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def cpu_table(curves: list[Curve], rate: int) -> list[str]:
    """Markdown: CPU ms per create → assigned at ``rate``, one column per back end."""
    shown = [(c, p) for c in curves if c.cpu_measured and (p := c.steady(rate)) is not None]
    if not shown:
        return ["No CPU measurement (no /proc, or no rate that kept up)."]
    header = "| process | " + " | ".join(f"{c.backend} at {p.offered}/s" for c, p in shown) + " |"
    lines = [header, "|---|" + "---:|" * len(shown)]
    groups = list(dict.fromkeys(g for c, _ in shown for g in c.groups))

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for g in groups:
        row(
            _GROUP_LABELS.get(g, g),
            [_cell(p.group_ms_per_create(g)) if g in c.groups else "n/a" for c, p in shown],
        )
    row("**total (counted)**", [f"**{_cell(p.cpu_ms_per_create(c.groups))}**" for c, p in shown])
    row("target", [f"≤ {TARGET_CPU_MS[c.key]:g}" for c, _ in shown])
    row(
        "idle, ms per second (all counted processes)",
        [_cell(sum(c.idle.get(g, 0.0) for g in c.groups) * 1000, 0) for c, _ in shown],
    )
    row(
        "not counted: load generator",
        [_cell(p.generator_cpu * 1000 / max(1, p.assigned)) for _, p in shown],
    )
    row(
        "not counted: bench process (webhook receiver, sampler)",
        [_cell(p.bench_cpu * 1000 / max(1, p.assigned)) for _, p in shown],
    )
    row(
        "conversations assigned in the window / window seconds",
        [f"{p.assigned:,} / {p.window_seconds:.1f}" for _, p in shown],
    )
    row(
        "connections opened to the database / backends the sampler saw born",
        [
            f"{p.sessions} / {p.backends_born}" if p.sessions is not None else "n/a"
            for _, p in shown
        ],
    )
    return lines


def _curve_section(curve: Curve) -> list[str]:
    sat = curve.saturation
    lines = [
        f"### {curve.backend}",
        "",
        "| " + " | ".join(CURVE_HEADER) + " |",
        "|" + "---:|" * len(CURVE_HEADER),
        *["| " + " | ".join(cells) + " |" for cells in curve_rows(curve)],
        "",
        (
            f"Saturation point: **{sat.offered}/s** ({'; '.join(sat.saturated)}); "
            if sat
            else "Saturation point: none up to the highest rate; "
        )
        + f"highest rate sustained: **{curve.sustained or 0}/s**.",
        "",
    ]
    return lines


def latency_sections(results: Results) -> list[str]:
    if not results.curves:
        return []
    lp = results.plan.latency
    lines = [
        "## Latency curve: create → assigned",
        "",
        f"Each rate for {lp.seconds:g} s, open loop, from a load generator in its own "
        "process; the latency runs from sending the create request to the arrival of its "
        "`assignee_changed` webhook. *committed* is the same span by the database's "
        "clock (creation → assignment row), so the rest is the webhook's delivery. "
        "*sent at* is the rate the generator achieved; *generator lag* how late it sent "
        f"(large: the generator itself was starved of CPU). A rate is saturated when fewer "
        f"than 99% of the sent are assigned within {lp.drain:g} s of the last request, "
        "more than 1% fail, the generator falls below 95% of the offered rate, or p99 "
        "exceeds 1 s; the curve stops after a rate that is overloaded (fewer than half "
        "assigned in time, or more than 10% failed). Failures: *HTTP errors* are answers "
        f"other than 2xx, *timeouts* requests with no whole answer within "
        f"{lp.timeout:g} s. Targets at 100/s: p50 ≤ {TARGET_P50_MS:g} ms, p99 ≤ "
        f"{TARGET_P99_MS:g} ms.",
        "",
    ]
    for curve in results.curves:
        lines.extend(_curve_section(curve))
    lines += [
        "## CPU per create → assigned, by process",
        "",
        "CPU time (utime + stime from `/proc/<pid>/stat`) of every process on the path, "
        "from the first request of the phase to its last webhook, divided by the "
        f"conversations assigned in that window, in ms; at {lp.cpu_rate}/s, or at the "
        "highest lower rate that kept up when that one did not (a saturated phase's "
        "backlog spills past its window). The *shared* rows are servers other tenants of "
        "this machine use too (their work shows up there). Every rate's total is in the "
        "curve's *CPU ms / create* column. Targets: ≤ 5 ms on PostgreSQL + Redis, ≤ 3 ms "
        "embedded.",
        "",
        *cpu_table(results.curves, lp.cpu_rate),
        "",
    ]
    return lines


def print_table(results: Results, console: Console) -> None:
    table = Table(title="autoassign benchmarks")
    table.add_column("measurement")
    table.add_column("value", justify="right")
    table.add_column("note")
    for name, value, note in rows(results):
        table.add_row(name, value, note)
    console.print(table)


def markdown(results: Results) -> str:
    info = machine(results.config)
    spec = results.plan.spec
    plan = results.plan
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
        f"- Batch size (`AUTOASSIGN_BULK_LIMIT`) {plan.bulk_limit}; "
        f"{plan.runs} runs per number, median reported; each run starts from a fresh "
        "copy of the data (`CREATE DATABASE … TEMPLATE` or a file copy) and none of the "
        "run's Redis keys, statistics gathered with `ANALYZE` after loading.",
        "- Every run has its own databases (`autoassign_bench_<run id>_…`), Redis keys "
        "(prefix `aabench:<run id>`, database 12 by default) and ports; see `bench/config.py`.",
        "",
        "## Results",
        "",
        "| measurement | value | note |",
        "|---|---:|---|",
        *[f"| {n} | {v} | {note} |" for n, v, note in rows(results)],
        "",
        *latency_sections(results),
        "## How each number is taken",
        "",
        "1. **Throughput**: `bench/worker.py` in its own process takes the job path a worker "
        "takes: the sweep queues every inbox, the job queue (in-process on SQLite, Procrastinate "
        "on PostgreSQL) runs them until none is left. Assignments ÷ wall time from the sweep to "
        "the empty queue.",
        "2. **Reference baseline**: `bench/baseline.py`, a port of the reference's "
        "per-conversation cost shape (see its docstring), on the same data and the same Redis "
        f"server, time-boxed to {plan.baseline_seconds:g} s per run because a full run would "
        "take hours. Its cost per assignment grows with the keys it has written (each "
        "rate-limit check SCANs the whole keyspace), so a short run flatters it.",
        "3. **Per-row engine** (a second comparison baseline): `bench/perrow.py`, a "
        "well-written per-conversation engine: per conversation one SQL query (members with "
        "open load and capacity), one Redis pipeline (window counts, rotation), one "
        "claim-and-record statement (guarded UPDATE + INSERT into assignments) and one Redis "
        "write. It and ours (`bench/worker.py --per-batch N`: our batch, `run_batch(…, "
        "limit=N)`, no job queue) run the same loop — a batch per inbox in turn until a pass "
        f"assigns nothing — for {plan.perrow_seconds:g} s per run on a fresh copy, with "
        f"batches of 1 and of {plan.bulk_limit}.",
        "4. **Ceiling**: `bench/ceiling.py`, one guarded `UPDATE … FROM unnest(…)` (SQLite: "
        "`json_each`) assigning the same number of rows per inbox round robin, with no policy "
        "logic; only the statement and its commit are timed.",
        "5. **Floor**: `bench/floor.py`, per inbox batch of the same size: lock the inbox "
        "row, select the candidates, claim and record them with our own claim statement "
        "(`adapters/sql/claim.py`), commit; through the same async SQLAlchemy stack, no "
        "policy logic, the same rows per inbox as ours assigned. The whole loop is timed.",
        "6. **Latency and CPU**: `bench/latency.py` serves the API (`autoassign serve`, "
        "plus `autoassign worker` on PostgreSQL; the product's default settings), warms up, "
        f"measures {plan.latency.idle:g} s idle, then offers each rate for "
        f"{plan.latency.seconds:g} s from `bench/loadgen.py` (its own process, HTTP/1.1 "
        "keep-alive over asyncio, open loop); a webhook receiver in the bench process notes "
        "each arrival. `bench/cpu.py` samples `/proc` every 20 ms; a process born and gone "
        "between two samples is missed (compare connections opened with backends seen).",
        f"7. **Growth**: the same work at every size (one batch of {plan.growth_batch} "
        "per inbox, inbox after inbox, no job queue), so only the table size or the keyspace "
        "changes.",
        "8. **Memory**: peak RSS (`ru_maxrss`) of the worker process during (1).",
        "",
    ]
    if results.profile_text:
        lines += [
            "## Hot path (pyinstrument, PostgreSQL + Redis, round robin)",
            "",
            "A separate profiled run of (1); the tree shows where a worker's time goes.",
            "",
            "```",
            results.profile_text.rstrip(),
            "```",
            "",
        ]
    spent = ", ".join(f"{name} {sec:.0f} s" for name, sec in results.phase_seconds.items())
    if results.failed:
        lines += ["## Phases that failed", ""]
        lines += [
            f"- **{name}**: " + error.replace("\n", " ").replace("`", "'").replace("|", "/")
            for name, error in results.failed.items()
        ]
        lines += [""]
    lines += [
        f"The whole bench took {results.minutes:.1f} minutes" + (f" ({spent})." if spent else "."),
        "",
    ]
    return "\n".join(lines)
