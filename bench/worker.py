"""One assignment run in its own process, so that its peak resident memory is the
worker's alone. Reads the back end from AUTOASSIGN_* variables; prints one JSON line.

- default: the job path a worker takes. The sweep queues every inbox and the job queue
  (in-process, or Procrastinate on PostgreSQL) runs them until no job is left.
- ``--fixed N``: one batch of N per inbox, inbox after inbox, without the job queue; the
  same work whatever the table size, for the growth measurements.
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


async def run(fixed: int | None, profile: bool) -> tuple[dict[str, float], str]:
    engine = bootstrap.build(Settings())
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
    try:
        await engine.jobs.start()
        inbox_ids = await runs.sweepable_inbox_ids(engine.deps)
        if profiler is not None:
            profiler.start()
        started = time.perf_counter()
        if fixed is None:
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
    args = parser.parse_args()
    numbers, profile = asyncio.run(run(args.fixed, args.profile is not None))
    if args.profile is not None:
        args.profile.write_text(profile, encoding="utf-8")
    print(json.dumps(numbers))


if __name__ == "__main__":
    main()
