"""The product defects the fault scenarios found, each pinned by a small deterministic
test on the suite's own servers (each fails without its fix; see docs/faults.md)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from procrastinate import exceptions as pexc

from autoassign.adapters.jobs.procrastinate_queue import (
    ASSIGN_TASK,
    WAKE_TASK,
    ProcrastinateJobQueue,
    gate_name,
)
from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.engine import libpq_url
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.state.redis_store import RedisStateStore
from autoassign.core.ports import RunResult, WindowEntry
from tests.faults.conftest import Servers, Stack
from tests.faults.fleet import Fleet, fault_env
from tests.faults.harness import workers_ready
from tests.faults.invariants import Probe
from tests.faults.servers import PostgresServer, Workspace
from tests.faults.world import LIMIT, add_conversations, seed

pytestmark = [pytest.mark.faults, pytest.mark.timeout(60)]


async def test_a_window_key_outlives_a_batch_that_reaches_redis_late(fault_servers: Servers):
    """A batch reads its clock, then queries SQL, then loads its windows from Redis: on a
    busy machine that load can come a while after the clock. Window keys used to expire
    one window after their last entry, in Redis's time, so such a batch found an empty
    window where it had to count 3, and assigned 3 more (6 against a limit of 3 in the
    racing-workers scenario)."""
    store = RedisStateStore.from_url(fault_servers.redis.url, prefix=f"r{uuid.uuid4().hex[:6]}")
    try:
        recorded = datetime.now(UTC)
        entries = [WindowEntry(agent_id=1, conversation_id=c) for c in (1, 2, 3)]
        await store.record(7, entries, {1: 1}, 1, recorded)
        await asyncio.sleep(1.3)  # the key's old lifetime (1 window) is over
        # the batch read its clock 0.9 s after the entries: they are in its window
        state = await store.load_inbox(7, [1], 1, recorded + timedelta(seconds=0.9))
        assert state.window_counts == {1: 3}
    finally:
        await store.close()


async def test_a_wake_up_that_cannot_be_scheduled_leaves_a_follow_up_run(stack: Stack):
    """A batch takes its inbox's run requests, so when scheduling its wake-up failed (a
    terminated connection) and the job ended in error, nothing ran the inbox again: the
    conversations waiting on a window stayed unassigned until the sweep."""
    calls = 0

    async def run(inbox_id: int) -> RunResult:
        return RunResult(wake_at=datetime.now(UTC) + timedelta(seconds=30))

    queue = ProcrastinateJobQueue(
        libpq_url(stack.url), gate=MemoryStateStore(), run=run, retry_delay=1
    )

    async def schedule(inbox_id: int, at: datetime) -> None:
        nonlocal calls
        calls += 1
        raise pexc.ConnectorException("server closed the connection unexpectedly")

    queue.schedule = schedule  # type: ignore[method-assign]
    await queue.start()
    try:
        with pytest.raises(pexc.ConnectorException):
            await queue._run_job(42)
        follow_ups = await stack.probe.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %(task)s"
            " AND status = 'todo' AND args->>'inbox_id' = '42'",
            {"task": ASSIGN_TASK},
        )
    finally:
        await queue.stop()
    assert calls == 1
    assert follow_ups == 1, "no run of the inbox was left after the wake-up failed"


async def test_a_worker_whose_listener_fails_starts_again(stack: Stack):
    """Procrastinate stops a worker when its listener cannot reconnect, and that stop
    returns cleanly once its running jobs finished and the database answers again:
    `autoassign worker` then exited (code 0) after a database outage. Forced here: a
    job waits on the inbox's row lock while the database refuses new connections and the
    listener's is terminated; then connections are allowed and the lock released."""
    engine = await stack.engine()
    world = await seed(engine, inbox_count=1, agents=2, capped=False)
    inbox_id = world.inbox_ids[0]
    fleet = stack.fleet(1)
    await workers_ready(stack.probe, 1)
    database = stack.database
    with psycopg.connect(stack.url) as holder:  # a transaction holding the inbox's row
        # (NO KEY: creating conversations, whose keys point at the row, still works)
        holder.execute("SELECT id FROM inboxes WHERE id = %s FOR NO KEY UPDATE", (inbox_id,))
        holder_pid = holder.info.backend_pid
        ids = await add_conversations(engine, world, {inbox_id: 2})
        with stack.pg.admin() as admin:
            deadline = time.monotonic() + 20
            while not admin.execute(  # the worker's batch waits for the row lock
                "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                (database,),
            ).fetchall():
                assert time.monotonic() < deadline, "the batch never waited on the lock"
                await asyncio.sleep(0.1)
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            try:
                admin.execute(  # every session but the two in the lock
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                    " AND pid <> %s AND wait_event_type IS DISTINCT FROM 'Lock'",
                    (database, holder_pid),
                )
                await asyncio.sleep(2.0)  # the listener fails to reconnect: worker stops
            finally:
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        holder.rollback()  # the batch goes on, its job ends, the worker's stop completes
    await asyncio.sleep(3.0)
    assert not fleet.exited(), f"the worker exited: {fleet.exited()}"
    await workers_ready(stack.probe, 1)
    left = len(ids)
    deadline = time.monotonic() + 30
    while left and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        with contextlib.suppress(psycopg.OperationalError):
            left = await stack.probe.scalar(
                "SELECT count(*) FROM conversations WHERE id = ANY(%(ids)s)"
                " AND assignee_id IS NULL",
                {"ids": ids},
            )
    assert left == 0, "the conversations were not assigned"
    assert not fleet.exited()


async def test_a_wake_up_whose_worker_died_still_runs(stack: Stack):
    """A worker killed while it ran a wake-up left that job ``doing`` for good: stalled
    recovery looked at inbox runs only, so the wake-up was lost (and the conversations
    waiting on the window with it, until the sweep)."""
    engine = await stack.engine()
    world = await seed(engine, inbox_count=1, agents=2, capped=False)
    inbox_id = world.inbox_ids[0]
    fleet = stack.fleet(1)
    await workers_ready(stack.probe, 1)
    ids = await add_conversations(engine, world, {inbox_id: 2 * LIMIT + 2})
    wake = 0
    deadline = time.monotonic() + 20
    while not wake:  # the batch filled both windows and scheduled its wake-up
        assert time.monotonic() < deadline, "no wake-up was scheduled"
        await asyncio.sleep(0.1)
        wake = await stack.probe.scalar(
            "SELECT id FROM procrastinate_jobs WHERE task_name = %(task)s AND status = 'todo'",
            {"task": WAKE_TASK},
        )
    # its worker takes it, and dies: a job `doing` under a worker with no heartbeat
    await stack.probe.rows(
        "WITH dead AS (INSERT INTO procrastinate_workers (last_heartbeat)"
        " VALUES (now() - interval '1 hour') RETURNING id)"
        " UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT id FROM dead)"
        " WHERE id = %(id)s RETURNING id",
        {"id": wake},
    )
    left = len(ids)
    deadline = time.monotonic() + 20
    while left and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        left = await stack.probe.scalar(
            "SELECT count(*) FROM conversations WHERE id = ANY(%(ids)s) AND assignee_id IS NULL",
            {"ids": ids},
        )
    stuck = await stack.probe.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE id = %(id)s AND status = 'doing'",
        {"id": wake},
    )
    assert (left, stuck) == (0, 0), f"{left} left unassigned; wake-up job stuck: {stuck}"
    assert not fleet.exited()


async def test_a_wake_up_is_not_swallowed_by_a_gate_a_dead_process_left(stack: Stack):
    """A wake-up queued its run through the inbox's run gate; a gate left held by a dead
    process (a worker killed between taking it and deferring) only marked it "go again",
    a mark no live job would read: the wake-up was lost, with no run request for the
    relay to find (and a recovered wake-up job met its own dead gate the same way)."""
    engine = await stack.engine()
    world = await seed(engine, inbox_count=1, agents=2, capped=False)
    inbox_id = world.inbox_ids[0]
    fleet = stack.fleet(1)
    await workers_ready(stack.probe, 1)
    ids = await add_conversations(engine, world, {inbox_id: 2 * LIMIT + 2})
    deadline = time.monotonic() + 20
    while not await stack.probe.scalar(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %(task)s AND status = 'todo'",
        {"task": WAKE_TASK},
    ):
        assert time.monotonic() < deadline, "no wake-up was scheduled"
        await asyncio.sleep(0.1)
    assert await engine.state.request_run(gate_name(inbox_id), 10)  # then it died
    left = len(ids)
    deadline = time.monotonic() + 15
    while left and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        left = await stack.probe.scalar(
            "SELECT count(*) FROM conversations WHERE id = ANY(%(ids)s) AND assignee_id IS NULL",
            {"ids": ids},
        )
    assert left == 0, f"{left} conversations waited past their window's opening"
    assert not fleet.exited()


#: how long a worker may take to exit after SIGTERM while its database is down: about a
#: second of grace for running jobs, a check, closing its pool; headroom for a loaded
#: 2-core machine (it took 30 to 60 s)
SIGTERM_EXIT_BOUND = 12.0
#: the same for a supervisor asked to stop (or cancelled) in the test process
STOP_BOUND = 5.0


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of these tests' own (stopping it disturbs nothing else),
    with a migrated template database; removed at the end."""
    workspace = Workspace()
    try:
        pg = PostgresServer(workspace.root / "pg")
        workspace.watch(pg)
        try:
            pg.start()
            with pg.admin() as admin:
                admin.execute('CREATE DATABASE "outage_template"')
            migrate.upgrade(pg.url("outage_template"))
            yield pg
        finally:
            pg.close()
    finally:
        workspace.close()


def _fresh_database(pg: PostgresServer) -> str:
    """A new migrated database on ``pg`` (started again if a test left it stopped)."""
    pg.ensure_running()
    name = f"outage_{uuid.uuid4().hex[:8]}"
    with pg.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "outage_template"')
    return pg.url(name)


@pytest.mark.timeout(120)
async def test_a_worker_stops_promptly_on_sigterm_while_the_database_is_down(
    private_postgres: PostgresServer,
) -> None:
    """`autoassign worker` took 30 to 60 s to stop on SIGTERM while PostgreSQL was down:
    a stopping worker waited for its pool to write its jobs' status and unregister it
    (a 30-s connection timeout each), and a worker starting again waited for its pool
    to open (30 s) without watching for the signal. One worker signalled just after
    the server went down (as by a crash: ``PostgresServer.crash``), one a few seconds
    into the outage: both exit promptly, with status 0."""
    pg = private_postgres
    url = await asyncio.to_thread(_fresh_database, pg)
    logs = Path(tempfile.mkdtemp(prefix="autoassign-outage-logs-"))
    fleet = Fleet(fault_env(url, None, "outage"), logs, 2)
    probe = Probe(url)
    try:
        await workers_ready(probe, 2)
        await probe.close()
        await asyncio.to_thread(pg.crash)
        stopped = time.monotonic()
        took: list[float] = []
        codes: list[int | None] = []
        for slot, moment in enumerate((0.5, 4.0)):
            await asyncio.sleep(max(0.0, stopped + moment - time.monotonic()))
            proc = fleet.procs[slot]
            assert proc.poll() is None, f"worker {slot} exited before SIGTERM"
            signalled = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(proc.wait, 60)
            took.append(round(time.monotonic() - signalled, 1))
            codes.append(proc.poll())
        report = f"seconds to exit {took}, exit codes {codes}:\n{fleet.logs_tail()}"
        assert codes == [0, 0], report
        assert max(took) < SIGTERM_EXIT_BOUND, report
    finally:
        fleet.close()
        await probe.close()
        shutil.rmtree(logs, ignore_errors=True)


@pytest.mark.timeout(120)
async def test_a_supervised_worker_asked_or_cancelled_leaves_nothing_running(
    private_postgres: PostgresServer,
) -> None:
    """The worker's supervisor (``work``'s loop) left its worker running when it was
    cancelled instead of asked to stop, and, the database down, it did not see a stop
    while it opened its pool (30 s), nor close a pool whose opening was cancelled."""
    pg = private_postgres
    url = await asyncio.to_thread(_fresh_database, pg)
    baseline = asyncio.all_tasks()

    async def left_running() -> set[asyncio.Task[object]]:
        deadline = time.monotonic() + 2  # a closed pool's tasks end right after
        while True:
            left = {t for t in asyncio.all_tasks() - baseline if not t.done()}
            if not left or time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.05)

    queue = ProcrastinateJobQueue(libpq_url(url), gate=MemoryStateStore(), stalled_after=2)
    probe = Probe(url)
    try:
        # running on a live database, then cancelled: stopped and unregistered
        life = asyncio.create_task(queue._supervised(1, "supervised", asyncio.Event()))
        deadline = time.monotonic() + 20
        while not await probe.scalar("SELECT count(*) FROM procrastinate_workers"):
            assert time.monotonic() < deadline, "the worker never registered"
            await asyncio.sleep(0.1)
        life.cancel()
        await asyncio.wait({life}, timeout=STOP_BOUND)
        assert life.cancelled()
        assert await probe.scalar("SELECT count(*) FROM procrastinate_workers") == 0
        await queue.stop()
        await probe.close()
        assert await left_running() == set()

        # the database down: the supervisor opens its pool (30 s at most)...
        await asyncio.to_thread(pg.crash)
        for how in ("asked", "cancelled"):
            stop = asyncio.Event()
            life = asyncio.create_task(queue._supervised(1, "supervised", stop))
            await asyncio.sleep(0.5)
            assert not life.done()
            started = time.monotonic()
            if how == "asked":  # ... and is asked to stop: it does, at once
                stop.set()
            else:  # ... or is cancelled: its opening pool is closed
                life.cancel()
            await asyncio.wait({life}, timeout=STOP_BOUND + 30)
            took = time.monotonic() - started
            assert life.done(), f"{how}: still running"
            assert life.cancelled() if how == "cancelled" else life.result() is True
            assert took < STOP_BOUND, f"{how}: took {took:.1f} s"
            assert await left_running() == set(), how
    finally:
        await queue.stop()
        await probe.close()
