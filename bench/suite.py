"""The measurements of ``make bench``, one function per question the report answers."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import redis
import sqlalchemy as sa

from autoassign.adapters.sql.engine import make_sync_engine
from bench import baseline, ceiling, floor, latency, perrow
from bench.backends import Backend
from bench.config import count_keys, delete_keys
from bench.dataset import Spec

ORDERS = ("round_robin", "balanced")


@dataclass(frozen=True, slots=True)
class Plan:
    """How much of everything to run; ``quick`` is a smoke run of every phase."""

    runs: int = 3
    spec: Spec = field(default_factory=Spec)
    bulk_limit: int = 500
    baseline_seconds: float = 10.0
    #: time box of each per-row comparison run (ours and the per-row engine alike)
    perrow_seconds: float = 3.0
    latency: latency.LatencyPlan = field(default_factory=latency.LatencyPlan)
    growth_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    growth_batch: int = 100
    unrelated_keys: int = 1_000_000

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            runs=1,
            spec=Spec(conversations=5_000),
            baseline_seconds=2.0,
            perrow_seconds=1.5,
            latency=latency.LatencyPlan.quick(),
            growth_sizes=(2_000, 5_000),
            growth_batch=10,
            unrelated_keys=20_000,
        )


@dataclass(frozen=True, slots=True)
class Run:
    assigned: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.assigned / self.seconds


@dataclass(frozen=True, slots=True)
class Throughput:
    backend: str
    order: str
    runs: list[Run]
    per_inbox: dict[int, int]

    @property
    def median_rate(self) -> float:
        return statistics.median(r.rate for r in self.runs)

    @property
    def assigned(self) -> int:
        return self.runs[0].assigned

    @property
    def peak_rss_mb(self) -> float:
        return max(r.peak_rss_mb for r in self.runs)


def run_worker(
    backend: Backend, url: str, bulk_limit: int, *args: str, extra: dict[str, str] | None = None
) -> Run:
    env = {
        **os.environ,
        **backend.env(url),
        "AUTOASSIGN_BULK_LIMIT": str(bulk_limit),
        **(extra or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench worker failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(int(out["assigned"]), float(out["seconds"]), float(out["peak_rss_mb"]))


def assignments_per_inbox(url: str) -> dict[int, int]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(
                sa.text("SELECT inbox_id, count(*) FROM assignments GROUP BY inbox_id")
            )
            return {int(i): int(n) for i, n in rows}
    finally:
        engine.dispose()


def throughput(backend: Backend, plan: Plan, order: str, tick: Callable[[], None]) -> Throughput:
    """(1) Bulk assignment of the standard data set by the job path, median of runs."""
    runs: list[Run] = []
    per_inbox: dict[int, int] = {}
    for _ in range(plan.runs):
        with backend.fresh(plan.spec, order) as url:
            runs.append(run_worker(backend, url, plan.bulk_limit))
            per_inbox = assignments_per_inbox(url)
        tick()
    return Throughput(backend.name, order, runs, per_inbox)


def ceiling_rate(backend: Backend, plan: Plan, per_inbox: dict[int, int]) -> float:
    """(4) The same number of rows per inbox by one guarded batched UPDATE."""
    rates = []
    for _ in range(plan.runs):
        with backend.fresh(plan.spec, "round_robin") as url:
            rows, seconds = ceiling.run(url, per_inbox)
            rates.append(rows / seconds)
    return statistics.median(rates)


def floor_rate(backend: Backend, plan: Plan, per_inbox: dict[int, int]) -> float:
    """(5) The same rows per inbox, in batches of the same size, with a batch's SQL alone."""
    rates = []
    for _ in range(plan.runs):
        with backend.fresh(plan.spec, "round_robin") as url:
            rows, seconds = floor.run(url, per_inbox, plan.bulk_limit)
            rates.append(rows / seconds)
    return statistics.median(rates)


def _baseline_prefix(backend: Backend) -> str:
    # under the run's prefix: Backend.fresh and drop_all delete these keys too
    return f"{backend.config.redis_prefix}:ref"


def baseline_rate(backend: Backend, plan: Plan, order: str) -> tuple[float, int]:
    """(2) The reference's per-conversation cost shape, time-boxed; (median rate, keys at
    the end of the last run)."""
    assert backend.redis_url is not None
    rates = []
    keys = 0
    prefix = _baseline_prefix(backend)
    for _ in range(plan.runs):
        with backend.fresh(plan.spec, order) as url:
            port = baseline.Baseline(url, backend.redis_url, prefix)
            try:
                port.seed_presence()
                started = time.perf_counter()
                assigned = port.run(plan.baseline_seconds)
                rates.append(assigned / (time.perf_counter() - started))
                keys = count_keys(backend.redis_url, prefix)
                delete_keys(backend.redis_url, prefix)
            finally:
                port.close()
    return statistics.median(rates), keys


@dataclass(frozen=True, slots=True)
class PerRow:
    """(3) Ours and the per-row engine, the same loop, batch size 1 and in bulk: the
    assignments/s of every run."""

    order: str
    bulk: int
    ours_one: list[float]
    theirs_one: list[float]
    ours_bulk: list[float]
    theirs_bulk: list[float]

    @staticmethod
    def median(rates: list[float]) -> float:
        return statistics.median(rates) if rates else float("nan")


def perrow_comparison(backend: Backend, plan: Plan, order: str = "round_robin") -> PerRow:
    """(3) Each engine runs batch after batch, one inbox in turn, for the same time box
    on a fresh copy: batches of 1, then batches of ``plan.bulk_limit``."""
    assert backend.redis_url is not None
    out = PerRow(order, plan.bulk_limit, [], [], [], [])
    for batch, ours, theirs in (
        (1, out.ours_one, out.theirs_one),
        (plan.bulk_limit, out.ours_bulk, out.theirs_bulk),
    ):
        for _ in range(plan.runs):
            with backend.fresh(plan.spec, order) as url:
                args = ("--per-batch", str(batch), "--seconds", str(plan.perrow_seconds))
                run = run_worker(backend, url, plan.bulk_limit, *args)
                ours.append(run.rate)
            with backend.fresh(plan.spec, order) as url:
                engine = perrow.PerRowEngine(url, backend.redis_url, backend.config.redis_prefix)
                try:
                    assigned, seconds = engine.run(batch, plan.perrow_seconds)
                finally:
                    engine.close()
                theirs.append(assigned / seconds)
    return out


def latency_curve(backend: Backend, plan: Plan) -> latency.Curve:
    """(6) Create → assignment webhook through the HTTP API at each rate, with the CPU of
    every process on the path."""
    return latency.run(backend, backend.config, plan.latency)


@dataclass(frozen=True, slots=True)
class Growth:
    label: str
    conversations: int
    us_per_assignment: float
    assigned: int


def add_unrelated_keys(backend: Backend, count: int) -> None:
    """Keys autoassign never reads, as other tenants of a shared Redis would leave (under
    the run's prefix, so that the run deletes them)."""
    assert backend.redis_url is not None
    prefix = f"{backend.config.redis_prefix}:other"
    with redis.Redis.from_url(backend.redis_url) as r:
        chunk = 10_000
        for start in range(0, count, chunk):
            pairs = {f"{prefix}:{i}": "x" for i in range(start, min(count, start + chunk))}
            r.mset(pairs)


def growth(backend: Backend, plan: Plan, tick: Callable[[], None]) -> list[Growth]:
    """(7) Time per assignment for the same work (one batch per inbox) as the table
    grows, and with unrelated keys in Redis."""
    cases: list[tuple[str, int, int]] = [(f"{n:,} conversations", n, 0) for n in plan.growth_sizes]
    middle = plan.growth_sizes[min(1, len(plan.growth_sizes) - 1)]
    cases.append(
        (
            f"{middle:,} conversations + {plan.unrelated_keys:,} Redis keys",
            middle,
            plan.unrelated_keys,
        )
    )
    results = []
    for label, size, keys in cases:
        spec = replace(plan.spec, conversations=size)
        costs = []
        assigned = 0
        for _ in range(plan.runs):
            with backend.fresh(spec, "round_robin") as url:
                if keys:
                    add_unrelated_keys(backend, keys)
                run = run_worker(backend, url, plan.bulk_limit, "--fixed", str(plan.growth_batch))
                costs.append(run.seconds / run.assigned * 1e6)
                assigned = run.assigned
        results.append(Growth(label, size, statistics.median(costs), assigned))
        tick()
    return results


def profile(backend: Backend, plan: Plan, path: Path) -> Run:
    """The hot path under pyinstrument (a separate, slower run; not used for numbers)."""
    with backend.fresh(plan.spec, "round_robin") as url:
        return run_worker(backend, url, plan.bulk_limit, "--profile", str(path))
