"""The fault suite's own servers and, per scenario, a fresh database and everything a
scenario starts (workers, an API, an engine), all stopped and removed at the end, also
when the scenario fails (then the processes' last log lines are printed)."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from autoassign.adapters.sql import migrate
from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from tests.faults import profile
from tests.faults.fleet import ApiProcess, Fleet, fault_env
from tests.faults.invariants import Probe
from tests.faults.receiver import WebhookWatch
from tests.faults.results import LOG
from tests.faults.servers import PostgresServer, RedisServer, Workspace

TEMPLATE = "faults_template"
#: ``make faults`` writes docs/faults.md only after a run of all of these
_ALL_SCENARIOS = {
    f"tests/faults/test_faults.py::test_{name}"
    for name in (
        "racing_workers_never_exceed_a_window",
        "workers_killed_at_random_moments",
        "redis_restarted_from_snapshot_and_flushed",
        "postgres_backends_terminated_and_server_stopped",
        "api_killed_right_after_answering_creates",
        "a_wedged_job_unblocks_its_inbox",
    )
}
PREFIX = "faults"


@dataclass
class Servers:
    pg: PostgresServer
    redis: RedisServer
    workspace: Workspace


@pytest.fixture(scope="session")
def fault_servers() -> Iterator[Servers]:
    """A PostgreSQL cluster and a redis-server of this suite's own (free ports, one
    temporary directory), with a migrated template database."""
    workspace = Workspace()
    try:
        pg = PostgresServer(workspace.root / "pg")
        workspace.watch(pg)
        redis = RedisServer(workspace.root / "redis")
        try:
            pg.start()
            redis.start()
            with pg.admin() as admin:
                admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
            migrate.upgrade(pg.url(TEMPLATE))
            yield Servers(pg, redis, workspace)
        finally:
            redis.close()
            pg.close()
    finally:
        workspace.close()


@dataclass
class Stack:
    """One scenario's database, logs and processes."""

    servers: Servers
    database: str
    logs: Path
    fleets: list[Fleet] = field(default_factory=list)
    apis: list[ApiProcess] = field(default_factory=list)
    engines: list[Engine] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    #: the webhook receiver and its marks, once ``harness.watch_webhooks`` set them up
    webhooks: WebhookWatch | None = None
    probe: Probe = field(init=False)

    def __post_init__(self) -> None:
        self.probe = Probe(self.url)

    @property
    def pg(self) -> PostgresServer:
        return self.servers.pg

    @property
    def redis(self) -> RedisServer:
        return self.servers.redis

    @property
    def url(self) -> str:
        return self.pg.url(self.database)

    def env(self, *, with_redis: bool = True, **extra: str) -> dict[str, str]:
        return fault_env(self.url, self.redis.url if with_redis else None, PREFIX, **extra)

    async def engine(self, *, with_redis: bool = True) -> Engine:
        """An engine in the test process: it seeds, creates traffic and defers jobs (the
        workers run them)."""
        settings = Settings(
            database_url=self.url,
            redis_url=self.redis.url if with_redis else None,
            redis_prefix=PREFIX,
            sweep_interval=3600,
            stalled_after=2,
            pool_size=5,
        )
        built = build(settings)
        self.engines.append(built)
        await built.jobs.start()
        return built

    def fleet(self, count: int, *, with_redis: bool = True, **extra: str) -> Fleet:
        made = Fleet(self.env(with_redis=with_redis, **extra), self.logs, count)
        self.fleets.append(made)
        return made

    def api(self, *, with_redis: bool = True) -> ApiProcess:
        made = ApiProcess(self.env(with_redis=with_redis), self.logs)
        self.apis.append(made)
        return made

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run ``closer`` first when the scenario ends (background tasks: traffic...)."""
        self.closers.append(closer)

    async def close(self) -> None:
        for closer in self.closers:
            try:
                await closer()
            except Exception as exc:
                print(f"closing: {exc!r}")
        for api in self.apis:
            api.close()
        for fleet in self.fleets:
            fleet.close()
        if self.webhooks is not None:
            self.webhooks.receiver.close()
        for engine in self.engines:
            try:
                await engine.aclose()
            except Exception as exc:  # a server may have been left down by a failure
                print(f"closing an engine: {exc!r}")
        await self.probe.close()

    def diagnose(self) -> str:
        """Jobs, workers, waiting requests and conversations, for a failure's report."""
        queries = {
            "jobs by task and status": "SELECT task_name, status, count(*) FROM"
            " procrastinate_jobs GROUP BY 1, 2 ORDER BY 1, 2",
            "jobs todo or doing": "SELECT id, task_name, status, lock, args, scheduled_at,"
            " worker_id FROM procrastinate_jobs WHERE status IN ('todo', 'doing') ORDER BY id",
            "workers": "SELECT id, last_heartbeat, now() FROM procrastinate_workers",
            "run requests": "SELECT inbox_id, count(*), min(requested_at) FROM run_requests"
            " GROUP BY 1",
            "open unassigned by inbox": "SELECT inbox_id, count(*), min(created_at) FROM"
            " conversations WHERE status = 'open' AND assignee_id IS NULL GROUP BY 1",
            "last assignment by inbox": "SELECT inbox_id, max(assigned_at) FROM assignments"
            " GROUP BY 1",
            "webhook outbox by status": "SELECT status, count(*), min(created_at),"
            " max(attempts), min(leased_until) FROM webhook_deliveries GROUP BY 1",
            "open load by inbox and agent": "SELECT inbox_id, assignee_id, count(*) FROM"
            " conversations WHERE status = 'open' AND assignee_id IS NOT NULL GROUP BY 1, 2"
            " ORDER BY 1, 2",
            "last jobs by inbox": "SELECT args->>'inbox_id', task_name, status, max(id),"
            " count(*) FROM procrastinate_jobs WHERE args ? 'inbox_id' GROUP BY 1, 2, 3"
            " ORDER BY 1, 2, 3",
        }
        lines: list[str] = []
        try:
            with psycopg.connect(self.url, connect_timeout=3) as conn:
                for title, query in queries.items():
                    lines.append(f"-- {title}")
                    lines.extend(repr(row) for row in conn.execute(query).fetchall()[:40])
        except psycopg.Error as exc:
            lines.append(f"(cannot read the database: {exc})")
        return "\n".join(lines)

    def logs_tail(self) -> str:
        parts = [fleet.logs_tail() for fleet in self.fleets]
        parts += [
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:])
            for path in sorted(self.logs.glob("api-*.log"))
        ]
        return "\n".join(parts)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if getattr(report, "when", None) == "call":
        item.stash[_FAILED] = bool(getattr(report, "failed", False))
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def stack(fault_servers: Servers, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    fault_servers.pg.ensure_running()  # a failed scenario may have left it stopped
    fault_servers.redis.ensure_running()
    fault_servers.redis.flushall()
    name = f"faults_{uuid.uuid4().hex[:10]}"
    with fault_servers.pg.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    logs = fault_servers.workspace.mkdtemp(prefix="logs-")
    made = Stack(fault_servers, name, logs)
    _RAN.add(request.node.nodeid)
    started = time.monotonic()
    try:
        yield made
    finally:
        failed = request.node.stash.get(_FAILED, False)
        if failed:
            fault_servers.pg.ensure_running()
            print(f"\nstate after {request.node.name}:\n{made.diagnose()}")
        await made.close()
        if failed:
            print(f"\nlast log lines of {request.node.name}:\n{made.logs_tail()}")
        LOG.durations[request.node.name] = time.monotonic() - started
        shutil.rmtree(logs, ignore_errors=True)
        fault_servers.pg.ensure_running()
        with fault_servers.pg.admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_SCENARIOS = pytest.StashKey[set[str]]()
#: the scenarios whose stack was set up in this session
_RAN: set[str] = set()


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[_SCENARIOS] = {
        item.nodeid for item in session.items if item.nodeid.startswith("tests/faults/test_faults")
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LOG.records:
        return
    chosen = profile.current()
    terminalreporter.write_sep(
        "=", f"fault injection ({chosen.name} profile, AUTOASSIGN_TEST_FAULTS_SEED={profile.SEED})"
    )
    terminalreporter.write_line(LOG.table(chosen.name))
    scenarios = terminalreporter.config.stash.get(_SCENARIOS, set())
    everything = {n.split("[")[0] for n in scenarios} >= _ALL_SCENARIOS
    complete = everything and scenarios <= _RAN and not terminalreporter.stats.get("failed")
    if chosen.name == "full" and complete:  # every scenario ran and passed
        LOG.write_doc(chosen.name, datetime.now(UTC).strftime("%Y-%m-%d"), profile.SEED)
        terminalreporter.write_line("written to docs/faults.md")
