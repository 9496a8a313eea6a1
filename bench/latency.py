"""Create → assigned through the real HTTP API: the latency curve, and the CPU it costs.

The bench serves the API (``autoassign serve``, plus ``autoassign worker`` on
PostgreSQL) on a fresh database with one webhook, subscribed to ``assignee_changed``,
pointing at a receiver in this process. Then, for each offered rate, a load generator in
a process of its own (``bench/loadgen.py``, open loop) creates conversations for
``seconds`` while a :class:`~bench.cpu.Sampler` reads the CPU time of every process on
the path; the phase ends when every created conversation's webhook has arrived (or
``drain`` seconds after the last request). So the latency covers the API, the commit,
the trigger, the job, the batch and the signed webhook delivery, and the CPU is that of
all of it, divided by the conversations assigned.

``python -m bench.latency`` (``make bench-latency``) runs the curve alone on both back
ends and prints it; ``python -m bench`` runs it as one phase of the whole bench.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console

from autoassign.adapters.sql import tables as t
from autoassign.adapters.sql.engine import make_sync_engine
from autoassign.services.accounts import token_hash
from bench import cpu
from bench.backends import Backend, PostgresBackend, all_backends
from bench.config import RunConfig
from bench.dataset import ACCOUNT_ID, Spec
from bench.loadgen import read_response

TOKEN = "bench-latency-token"
ROOT = Path(__file__).resolve().parent.parent
API = "API server"
WORKER = "worker"

#: a phase is saturated when any of these holds
SATURATED_ASSIGNED = 0.99  # fewer of the sent assigned within the drain time
SATURATED_FAILED = 0.01  # more of the sent failed (HTTP error, connection error, timeout)
SATURATED_RATE = 0.95  # the generator sent at less than this share of the offered rate
SATURATED_P99_MS = 1_000.0  # p99 above this
#: a phase this far behind ends the curve: the higher rates are not run (they would only
#: pile onto its backlog, and cost minutes of the bench's budget)
OVERLOADED_ASSIGNED = 0.5  # fewer of the sent assigned within the drain time
OVERLOADED_FAILED = 0.1  # more of the sent failed


@dataclass(frozen=True, slots=True)
class LatencyPlan:
    rates: tuple[int, ...] = (10, 50, 100, 200, 400)
    #: seconds of load per rate
    seconds: float = 10.0
    #: most seconds to wait, after the last request, for the last webhooks
    drain: float = 4.0
    #: seconds without load, to measure what the processes burn idle
    idle: float = 3.0
    #: seconds of load at 20/s before the first phase (pools, caches, prepared statements)
    warmup: float = 2.0
    #: client timeout per request
    timeout: float = 5.0
    #: the rate whose CPU per create is the headline number
    cpu_rate: int = 100
    spec: Spec = field(default_factory=lambda: Spec(conversations=0))

    @classmethod
    def quick(cls) -> LatencyPlan:
        return cls(rates=(10, 50), seconds=2.0, drain=3.0, idle=1.0, warmup=1.0, cpu_rate=50)


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (nan when empty)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass(frozen=True, slots=True)
class Phase:
    offered: int
    #: seconds the generator took to send them all
    seconds: float
    sent: int
    created: int
    http_errors: int
    errors: int
    timeouts: int
    #: created conversations whose webhook arrived within the drain time
    assigned: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    response_p50_ms: float
    response_p99_ms: float
    #: create → assignment committed, from the database's timestamps (``assignments.
    #: assigned_at`` minus ``conversations.created_at``): the webhook's share is the rest
    committed_p50_ms: float
    committed_p99_ms: float
    #: how late the generator sent its requests (p99): large means the generator starved
    lag_p99_ms: float
    #: CPU seconds per group over the window (start of load → last webhook)
    cpu: dict[str, float]
    window_seconds: float
    #: connections the bench's database saw in the window, and backends the sampler saw born
    sessions: int | None
    backends_born: int
    generator_cpu: float
    bench_cpu: float

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def failed(self) -> int:
        return self.http_errors + self.errors + self.timeouts

    def cpu_ms_per_create(self, groups: tuple[str, ...]) -> float:
        if not self.assigned:
            return float("nan")
        return sum(self.cpu.get(g, 0.0) for g in groups) * 1000 / self.assigned

    def group_ms_per_create(self, group: str) -> float:
        return self.cpu.get(group, 0.0) * 1000 / self.assigned if self.assigned else float("nan")

    @property
    def overloaded(self) -> bool:
        """So far behind that the curve stops here."""
        return (
            self.assigned < OVERLOADED_ASSIGNED * self.sent
            or self.failed > OVERLOADED_FAILED * self.sent
        )

    @property
    def saturated(self) -> list[str]:
        """Why this phase counts as saturated (empty: it kept up)."""
        why = []
        if self.assigned < SATURATED_ASSIGNED * self.sent:
            why.append(f"{self.assigned:,} of {self.sent:,} assigned in time")
        if self.failed > SATURATED_FAILED * self.sent:
            why.append(f"{self.failed:,} failed")
        if self.achieved_rate < SATURATED_RATE * self.offered:
            why.append(f"sent at {self.achieved_rate:,.0f}/s")
        if not self.p99_ms <= SATURATED_P99_MS:
            why.append(f"p99 {self.p99_ms:,.0f} ms")
        return why


@dataclass
class Curve:
    backend: str
    #: "sqlite" or "postgres"
    key: str
    #: the groups whose CPU counts, in report order
    groups: tuple[str, ...]
    phases: list[Phase] = field(default_factory=list)
    #: CPU seconds per second with no load, per group
    idle: dict[str, float] = field(default_factory=dict)
    cpu_measured: bool = True
    #: offered rates not run because a lower one was overloaded
    skipped: list[int] = field(default_factory=list)

    @property
    def saturation(self) -> Phase | None:
        """The first (lowest) rate that saturated, if any."""
        return next((p for p in self.phases if p.saturated), None)

    @property
    def sustained(self) -> int | None:
        """The highest rate below the saturation point."""
        limit = self.saturation
        kept = [p.offered for p in self.phases if limit is None or p.offered < limit.offered]
        return max(kept) if kept else None

    def at(self, rate: int) -> Phase | None:
        return next((p for p in self.phases if p.offered == rate), None)

    def steady(self, rate: int) -> Phase | None:
        """The phase at ``rate`` if it kept up; else the highest lower rate that did (the
        CPU per create is only meaningful under a load the system sustains)."""
        kept = [p for p in self.phases if not p.saturated and p.offered <= rate]
        return max(kept, key=lambda p: p.offered, default=None)


def prepare(url: str, receiver_port: int) -> None:
    """An API token and a webhook pointing at the receiver, written straight to SQL."""
    engine = make_sync_engine(url)
    stamp = datetime.now(UTC)
    try:
        with engine.begin() as db:
            db.execute(
                t.api_tokens.insert(),
                {
                    "account_id": ACCOUNT_ID,
                    "name": "bench",
                    "token_hash": token_hash(TOKEN),
                    "created_at": stamp,
                },
            )
            db.execute(
                t.webhooks.insert(),
                {
                    "account_id": ACCOUNT_ID,
                    "url": f"http://127.0.0.1:{receiver_port}/hook",
                    "subscriptions": ["assignee_changed"],
                    "secret": "bench",
                    "created_at": stamp,
                },
            )
    finally:
        engine.dispose()


class Receiver:
    """The webhook receiver: HTTP/1.1 with keep-alive over asyncio streams; notes when
    each conversation's first ``assignee_changed`` arrived (``time.monotonic()``)."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.server: asyncio.Server | None = None
        self._pending: set[int] = set()
        self._all_in = asyncio.Event()

    async def wait_for(self, ids: set[int], deadline: float) -> None:
        """Until every id in ``ids`` has arrived, or ``deadline`` (``time.monotonic()``)."""
        self._pending = {c for c in ids if c not in self.arrived}
        self._all_in.clear()
        if self._pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_in.wait(), max(0.0, deadline - time.monotonic()))
        self._pending = set()

    async def start(self, port: int) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                now = time.monotonic()
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    event = json.loads(body)
                    if event["event"] == "assignee_changed":
                        cid = int(event["conversation_id"])
                        self.arrived.setdefault(cid, now)
                        if cid in self._pending:
                            self._pending.discard(cid)
                            if not self._pending:
                                self._all_in.set()
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 5)


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """An ``autoassign`` command; its log lines go to ``log`` (read when it fails)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "autoassign"), *args],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _get(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        status, _body, _keep = await read_response(reader)
        return status
    finally:
        writer.close()


async def _wait_ready(
    port: int, processes: list[subprocess.Popen[bytes]], logs: list[Path]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise RuntimeError(f"{process.args!r} exited:\n{tail}")
        with contextlib.suppress(OSError, ValueError, asyncio.IncompleteReadError):
            if await _get(port, "/readyz") == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError("the API did not become ready")


class Session:
    """One back end's servers, receiver and sampler, for a series of phases."""

    def __init__(
        self,
        backend: Backend,
        url: str,
        config: RunConfig,
        plan: LatencyPlan,
        workdir: Path,
    ) -> None:
        self.backend = backend
        self.url = url
        self.config = config
        self.plan = plan
        self.workdir = workdir
        self.api_port, self.receiver_port = config.ports()
        self.receiver = Receiver()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.database = backend.database_name(url) if isinstance(backend, PostgresBackend) else None
        self.sampler: cpu.Sampler | None = None

    def groups(self) -> tuple[str, ...]:
        if self.database is None:
            return (API,)
        groups = [API, WORKER, cpu.PG_BACKENDS, cpu.PG_SHARED]
        if self.backend.redis_url:
            groups.append(cpu.REDIS)
        return tuple(groups)

    def _env(self) -> dict[str, str]:
        return {
            **self.backend.env(self.url),
            "AUTOASSIGN_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        }

    async def start(self) -> None:
        prepare(self.url, self.receiver_port)
        await self.receiver.start(self.receiver_port)
        env = self._env()
        logs = [self.workdir / "serve.log"]
        self.processes.append(_start(["serve", "--port", str(self.api_port)], env, logs[0]))
        if not self.backend.embedded:
            logs.append(self.workdir / "worker.log")
            self.processes.append(_start(["worker"], env, logs[1]))
        await _wait_ready(self.api_port, self.processes, logs)
        if cpu.available():
            pids = {API: [self.processes[0].pid]}
            if len(self.processes) > 1:
                pids[WORKER] = [p.pid for p in self.processes[1:]]
            postmaster = None
            if self.database is not None:
                postmaster = cpu.postmaster_pid(self.config.pg_admin)
            redis_pid = cpu.redis_pid(self.backend.redis_url) if self.backend.redis_url else None
            discover = cpu.Discover(
                pids=pids, postmaster=postmaster, database=self.database, redis_pid=redis_pid
            )
            self.sampler = cpu.Sampler(discover)

    async def stop(self) -> None:
        for process in self.processes:
            _stop(process)
        await self.receiver.stop()

    async def idle(self, seconds: float) -> dict[str, float]:
        if self.sampler is None:
            return {}
        self.sampler.start()
        await asyncio.sleep(seconds)
        window = self.sampler.stop()
        return {g: s / window.seconds for g, s in window.cpu.items()}

    def _sessions(self) -> int | None:
        if self.database is None:
            return None
        return cpu.pg_sessions(self.config.pg_admin, self.database)

    async def phase(self, rate: int, seconds: float, drain: float) -> Phase:
        out = self.workdir / f"load-{rate}-{time.monotonic_ns()}.json"
        sessions_before = self._sessions()
        start_at = time.monotonic() + 1.0  # the generator's start-up is not measured
        generator = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.loadgen",
            "--port",
            str(self.api_port),
            "--token",
            TOKEN,
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
            "--inboxes",
            str(self.plan.spec.inboxes),
            "--start-at",
            repr(start_at),
            "--timeout",
            str(self.plan.timeout),
            "--out",
            str(out),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        if self.sampler is not None:
            self.sampler.start()
        bench_before = time.process_time()
        if await generator.wait() != 0:
            raise RuntimeError("the load generator failed")
        load = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
        records: list[list[float | int | str | None]] = load["records"]
        created = {int(str(r[4])): float(str(r[1])) for r in records if r[4] is not None}
        await self.receiver.wait_for(set(created), float(load["finished_sending"]) + drain)
        arrived = self.receiver.arrived
        window = self.sampler.stop() if self.sampler is not None else cpu.Window(0.0)
        bench_cpu = time.process_time() - bench_before
        sessions_after = self._sessions()
        latencies = sorted((arrived[c] - at) * 1000 for c, at in created.items() if c in arrived)
        responses = sorted(
            (float(str(r[2])) - float(str(r[1]))) * 1000 for r in records if r[4] is not None
        )
        committed = _committed_latencies(self.url, list(created))
        lags = sorted((float(str(r[1])) - float(str(r[0]))) * 1000 for r in records)
        first_due = min((float(str(r[0])) for r in records), default=0.0)
        return Phase(
            offered=rate,
            seconds=max(1e-9, float(load["finished_sending"]) - first_due),
            sent=len(records),
            created=len(created),
            http_errors=sum(1 for r in records if r[5] == "http"),
            errors=sum(1 for r in records if r[5] == "error"),
            timeouts=sum(1 for r in records if r[5] == "timeout"),
            assigned=len(latencies),
            p50_ms=percentile(latencies, 0.50),
            p95_ms=percentile(latencies, 0.95),
            p99_ms=percentile(latencies, 0.99),
            max_ms=latencies[-1] if latencies else float("nan"),
            response_p50_ms=percentile(responses, 0.50),
            response_p99_ms=percentile(responses, 0.99),
            committed_p50_ms=percentile(committed, 0.50),
            committed_p99_ms=percentile(committed, 0.99),
            lag_p99_ms=percentile(lags, 0.99),
            cpu=dict(window.cpu),
            window_seconds=window.seconds,
            sessions=(
                sessions_after - sessions_before
                if sessions_after is not None and sessions_before is not None
                else None
            ),
            backends_born=window.born.get(cpu.PG_BACKENDS, 0),
            generator_cpu=float(load["cpu_seconds"]),
            bench_cpu=bench_cpu,
        )


def _committed_latencies(url: str, ids: list[int]) -> list[float]:
    """Milliseconds from each conversation's creation to its first assignment's commit
    time (both stamped by the servers' clocks), ascending."""
    if not ids:
        return []
    c, a = t.conversations.c, t.assignments.c
    engine = make_sync_engine(url)
    try:
        with engine.connect() as db:
            db.execution_options(sqlite_begin="DEFERRED")  # a reader: no write lock
            found = db.execute(
                sa.select(c.id, c.created_at, sa.func.min(a.assigned_at))
                .join(t.assignments, a.conversation_id == c.id)
                .where(c.id.in_(ids))
                .group_by(c.id, c.created_at)
            ).all()
    finally:
        engine.dispose()
    return sorted((at - created).total_seconds() * 1000 for _cid, created, at in found)


async def _curve(
    backend: Backend, url: str, config: RunConfig, plan: LatencyPlan, workdir: Path
) -> Curve:
    session = Session(backend, url, config, plan, workdir)
    try:
        await session.start()
        curve = Curve(
            backend.name, backend.key, session.groups(), cpu_measured=session.sampler is not None
        )
        if plan.warmup > 0:
            await session.phase(20, plan.warmup, plan.drain)
        curve.idle = await session.idle(plan.idle)
        for i, rate in enumerate(plan.rates):
            phase = await session.phase(rate, plan.seconds, plan.drain)
            curve.phases.append(phase)
            if phase.overloaded:
                curve.skipped = list(plan.rates[i + 1 :])
                break
        return curve
    finally:
        await session.stop()


def run(backend: Backend, config: RunConfig, plan: LatencyPlan) -> Curve:
    """The whole curve on one back end, on a fresh empty data set."""
    with (
        backend.fresh(plan.spec, "round_robin") as url,
        tempfile.TemporaryDirectory(prefix="autoassign-bench-load-") as tmp,
    ):
        return asyncio.run(_curve(backend, url, config, plan, Path(tmp)))


def _fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"  # nan → dash


def curve_rows(curve: Curve) -> Iterator[list[str]]:
    """One row per rate: the curve table's cells."""
    for p in curve.phases:
        yield [
            f"{p.offered}/s",
            f"{p.achieved_rate:,.0f}/s",
            f"{p.created:,} / {p.sent:,}",
            f"{p.http_errors} / {p.errors} / {p.timeouts}",
            f"{p.assigned:,}",
            _fmt(p.p50_ms),
            _fmt(p.p95_ms),
            _fmt(p.p99_ms),
            _fmt(p.max_ms, 0),
            f"{_fmt(p.committed_p50_ms)} / {_fmt(p.committed_p99_ms)}",
            _fmt(p.response_p50_ms),
            _fmt(p.lag_p99_ms),
            _fmt(p.cpu_ms_per_create(curve.groups), 2) if curve.cpu_measured else "n/a",
            "; ".join(p.saturated) or "no",
        ]
    for rate in curve.skipped:
        yield [f"{rate}/s", *["not run"] * (len(CURVE_HEADER) - 2), "(a lower rate overloaded)"]


CURVE_HEADER = [
    "offered",
    "sent at",
    "created / sent",
    "HTTP errors / conn. errors / timeouts",
    "assigned",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "committed p50 / p99 ms",
    "response p50 ms",
    "generator lag p99 ms",
    "CPU ms / create",
    "saturated",
]


def print_curves(curves: list[Curve], console: Console) -> None:
    from rich.table import Table

    for curve in curves:
        table = Table(title=f"create → assigned, {curve.backend}")
        for name in CURVE_HEADER:
            table.add_column(name, justify="right")
        for row in curve_rows(curve):
            table.add_row(*row)
        console.print(table)
        sat = curve.saturation
        idle = ", ".join(f"{g} {ms * 1000:.0f} ms/s" for g, ms in curve.idle.items())
        console.print(f"idle CPU: {idle or 'n/a'}")
        if curve.skipped:
            console.print(f"not run (a lower rate overloaded): {curve.skipped}")
        console.print(
            f"saturation point: {f'{sat.offered}/s' if sat else 'none up to the last rate'}; "
            f"highest rate sustained: {curve.sustained or 0}/s"
        )
        for p in curve.phases:
            parts = ", ".join(
                f"{g} {p.group_ms_per_create(g):.2f}" for g in curve.groups if curve.cpu_measured
            )
            console.print(
                f"  {p.offered}/s CPU ms per create: {parts}; generator "
                f"{p.generator_cpu * 1000 / max(1, p.sent):.2f}; sessions {p.sessions}, "
                f"backends born {p.backends_born}"
            )


app = typer.Typer(add_completion=False)


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="Two short rates, to try it out.")] = False,
    rates: Annotated[str, typer.Option(help="Offered rates, comma-separated.")] = "",
    seconds: Annotated[float, typer.Option(help="Seconds of load per rate.")] = 0.0,
    backend: Annotated[str, typer.Option(help="sqlite, postgres or both.")] = "both",
) -> None:
    """The latency curve and the CPU per create on both back ends, printed (not written)."""
    plan = LatencyPlan.quick() if quick else LatencyPlan()
    if rates:
        plan = replace(plan, rates=tuple(int(r) for r in rates.split(",")))
    if seconds:
        plan = replace(plan, seconds=seconds)
    config = RunConfig.from_env()
    console = Console(width=max(Console().width, 180))
    workdir = Path(tempfile.mkdtemp(prefix="autoassign-bench-"))
    chosen = [b for b in all_backends(workdir, config) if backend in ("both", b.key)]
    curves = []
    try:
        for b in chosen:
            console.print(f"latency curve on {b.name} (run {config.run_id})")
            curves.append(run(b, config, plan))
    finally:
        for b in chosen:
            b.drop_all()
    print_curves(curves, console)


if __name__ == "__main__":
    app()
