"""One assignment run in its own process, so that its peak resident memory is the
worker's alone. Reads the back end from AUTOASSIGN_* variables; prints one JSON line.

- default: the job path a worker takes. The sweep queues every inbox and the job queue
  (in-process, or Procrastinate on PostgreSQL) runs them until no job is left.
- ``--fixed N``: one batch of N per inbox, inbox after inbox, without the job queue; the
  same work whatever the table size, for the growth measurements.
- ``--per-batch N --seconds S``: batches of N, one per inbox in turn, without the job
  queue, until a whole pass assigns nothing or S seconds have passed: the loop the
  per-row engine (``bench/perrow.py``) runs, for comparing the two like for like.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

import sqlalchemy as sa

from autoassign import bootstrap
from autoassign.adapters.sql import tables as t
from autoassign.config import Settings
from autoassign.services import runs


async def _passes(
    engine: bootstrap.Engine, inbox_ids: list[int], batch: int, seconds: float
) -> None:
    deadline = time.perf_counter() + seconds
    progress = True
    while progress and time.perf_counter() < deadline:
        progress = False
        for inbox_id in inbox_ids:
            result = await runs.run_batch(engine.deps, inbox_id, limit=batch)
            progress = progress or result.assigned > 0
            if time.perf_counter() >= deadline:
                break


async def run(
    fixed: int | None, profile: bool, per_batch: int | None = None, seconds: float = 0.0
) -> tuple[dict[str, float], str]:
    engine = bootstrap.build(Settings())
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
    try:
        if per_batch is None:  # the loop needs no job queue (the embedded one would sweep)
            await engine.jobs.start()
        inbox_ids = await runs.sweepable_inbox_ids(engine.deps)
        if profiler is not None:
            profiler.start()
        started = time.perf_counter()
        if per_batch is not None:
            await _passes(engine, inbox_ids, per_batch, seconds)
        elif fixed is None:
            await engine.jobs.sweep_now()
            await engine.jobs.drain(grace=900)
        else:
            for inbox_id in inbox_ids:
                await runs.run_batch(engine.deps, inbox_id, limit=fixed)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
        async with engine.sql.connect() as db:
            assigned = await db.scalar(sa.select(sa.func.count()).select_from(t.assignments))
    finally:
        await engine.aclose()
    text = profiler.output_text(unicode=False, color=False) if profiler is not None else ""
    return {
        "assigned": float(assigned or 0),
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }, text


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--fixed", type=int, default=None)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--per-batch", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=3600.0)
    args = parser.parse_args()
    numbers, profile = asyncio.run(
        run(args.fixed, args.profile is not None, args.per_batch, args.seconds)
    )
    if args.profile is not None:
        args.profile.write_text(profile, encoding="utf-8")
    print(json.dumps(numbers))


if __name__ == "__main__":
    main()
