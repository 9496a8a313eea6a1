"""``python -m bench``: run every measurement, print the table, write docs/benchmarks.md."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from bench import latency, report, suite
from bench.backends import all_backends
from bench.config import RunConfig

app = typer.Typer(add_completion=False)
console = Console()


def _trim_profile(text: str, lines: int = 70, width: int = 130) -> str:
    body = text.splitlines()
    start = next((i for i, line in enumerate(body) if line.startswith("Profile at")), 0)
    return "\n".join(line[:width] for line in body[start : start + lines])


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="A small smoke run of every phase.")] = False,
    output: Annotated[Path, typer.Option(help="Where to write the report.")] = Path(
        "docs/benchmarks.md"
    ),
) -> None:
    """Throughput, both baselines, floor, ceiling, the latency curve with the CPU per
    create, growth and memory; see docs/benchmarks.md."""
    plan = suite.Plan.quick() if quick else suite.Plan()
    config = RunConfig.from_env()
    console.print(
        f"bench run {config.run_id}: databases autoassign_bench_{config.run_id}_…, Redis keys "
        f"{config.redis_prefix}:… in {config.redis_url}"
    )
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="autoassign-bench-"))
    sqlite, postgres = all_backends(workdir, config)
    results = report.Results(plan, config)
    steps = 2 * len(suite.ORDERS) * plan.runs + len(plan.growth_sizes) + 12
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("benchmarks", total=steps)

            def tick() -> None:
                progress.advance(task)

            @contextmanager
            def phase(name: str) -> Iterator[None]:
                """Time a phase; a failure is reported and the next phase runs (the
                tree is shared: a half-made change elsewhere must not lose the rest)."""
                progress.update(task, description=name)
                began = time.perf_counter()
                try:
                    yield
                except Exception as exc:
                    results.failed[name] = f"{type(exc).__name__}: {exc}"[-600:]
                    progress.console.print(f"{name} failed: {exc!s:.2000}", markup=False)
                spent = time.perf_counter() - began
                results.phase_seconds[name] = spent
                progress.console.print(f"{name}: {spent:.0f} s")

            for backend in (sqlite, postgres):
                for order in suite.ORDERS:
                    with phase(f"throughput {backend.name} {order}"):
                        results.throughput.append(suite.throughput(backend, plan, order, tick))
                best = max(
                    (t for t in results.throughput if t.backend == backend.name),
                    key=lambda t: t.median_rate,
                    default=None,
                )
                if best is not None:
                    with phase(f"ceiling {backend.name}"):
                        results.ceiling[backend.name] = suite.ceiling_rate(
                            backend, plan, best.per_inbox
                        )
                        tick()
                    with phase(f"floor {backend.name}"):
                        results.floor[backend.name] = suite.floor_rate(
                            backend, plan, best.per_inbox
                        )
                        tick()
            for order in suite.ORDERS:
                with phase(f"reference baseline {order}"):
                    results.baseline[order] = suite.baseline_rate(postgres, plan, order)
                    tick()
            with phase("per-row engine and ours, batch 1 and bulk"):
                results.perrow = suite.perrow_comparison(postgres, plan)
                tick()
            with phase("batch size 100"):
                small = suite.Plan(runs=1, spec=plan.spec, bulk_limit=100)
                results.bulk_100 = suite.throughput(postgres, small, "round_robin", lambda: None)
                tick()
            for backend in (sqlite, postgres):
                with phase(f"latency curve and CPU {backend.name}"):
                    results.curves.append(suite.latency_curve(backend, plan))
                    tick()
            with phase("growth"):
                results.growth = suite.growth(postgres, plan, tick)
            with phase("profile"):
                profile_path = workdir / "profile.txt"
                suite.profile(postgres, plan, profile_path)
                results.profile_text = _trim_profile(profile_path.read_text())
                tick()
        for name, error in results.failed.items():
            console.print(f"failed {name}: {error}", markup=False)
    finally:
        sqlite.drop_all()
        postgres.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    results.minutes = (time.perf_counter() - started) / 60
    report.print_table(results, console)
    latency.print_curves(results.curves, console)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.markdown(results), encoding="utf-8")
    console.print(f"wrote {output} ({results.minutes:.1f} min)")


if __name__ == "__main__":
    app()
