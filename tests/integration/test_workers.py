"""Worker processes on PostgreSQL + Redis: bursts, kill -9, and the sweep."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import psycopg
import pytest

from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.services.runs import request_runs
from tests.conftest import REDIS_URL
from tests.integration.workers import (
    job_intervals,
    overlapping,
    seed_inboxes,
    wait_until_assigned,
    worker_env,
    workers,
)

INBOXES, AGENTS, PER_INBOX = 20, 5, 500


@pytest.fixture
def settings(pg_url: str, redis_client) -> Settings:
    return Settings(database_url=pg_url, redis_url=REDIS_URL, redis_prefix="burst")


@pytest.mark.timeout(300)
async def test_a_burst_across_twenty_inboxes_is_assigned_once_by_four_workers(
    settings, pg_url, capsys
):
    engine = build(settings)
    inboxes = await seed_inboxes(
        engine, pg_url, inboxes=INBOXES, agents=AGENTS, conversations=PER_INBOX
    )
    total = INBOXES * PER_INBOX
    # batches of 100 keep the work going for as long as the burst, so that triggers
    # arrive while runs are waiting or running: that is what coalescing is about
    with workers(4, worker_env(pg_url, REDIS_URL, "burst", AUTOASSIGN_BULK_LIMIT="100")):
        await asyncio.sleep(2)  # let the workers connect
        fired = time.monotonic()
        await engine.jobs.start()
        for start in range(0, total, 100):  # one "conversation opened" trigger each,
            await asyncio.gather(  # 100 in flight, as from a busy API
                *(
                    request_runs(engine.jobs, {inboxes[i % INBOXES]})
                    for i in range(start, start + 100)
                )
            )
        burst_seconds = time.monotonic() - fired
        wait_until_assigned(pg_url, total, timeout=180)
        drain_seconds = time.monotonic() - fired
    await engine.aclose()

    with psycopg.connect(pg_url) as conn:
        per_conversation = Counter(
            cid for (cid,) in conn.execute("SELECT conversation_id FROM assignments").fetchall()
        )
        per_agent = conn.execute(
            "SELECT inbox_id, agent_id, count(*) FROM assignments GROUP BY inbox_id, agent_id"
        ).fetchall()
        (jobs,) = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'autoassign.assign_inbox'"
        ).fetchone() or (0,)
    assert len(per_conversation) == total
    assert max(per_conversation.values()) == 1, "a conversation was assigned twice"
    by_inbox: dict[int, list[int]] = {}
    for inbox_id, _agent, count in per_agent:
        by_inbox.setdefault(inbox_id, []).append(count)
    for counts in by_inbox.values():  # round robin across workers and batches
        assert len(counts) == AGENTS
        assert max(counts) - min(counts) <= 1
    intervals = job_intervals(pg_url)
    assert overlapping(intervals) == 0, "an inbox job ran concurrently with itself"
    assert jobs < total / 5, f"{jobs} jobs for {total} events: triggers were not coalesced"
    with capsys.disabled():
        print(
            f"\nburst: {total} events over {INBOXES} inboxes in {burst_seconds:.1f} s,"
            f" {jobs} jobs run, all assigned {drain_seconds:.1f} s after the first event"
            f" ({total / drain_seconds:.0f} assignments/s), 0 overlapping runs"
        )


@pytest.mark.timeout(300)
async def test_a_worker_killed_mid_batch_leaves_nothing_half_done(settings, pg_url):
    engine = build(settings.model_copy(update={"bulk_limit": 25}))
    inboxes = await seed_inboxes(engine, pg_url, inboxes=4, agents=3, conversations=400)
    env = worker_env(pg_url, REDIS_URL, "burst", AUTOASSIGN_BULK_LIMIT="25")
    await engine.jobs.start()
    with workers(1, env) as [victim]:
        await request_runs(engine.jobs, set(inboxes))
        deadline = time.monotonic() + 30
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                (done,) = conn.execute(
                    "SELECT count(*) FROM conversations WHERE assignee_id IS NOT NULL"
                ).fetchone() or (0,)
                if done >= 200:
                    break
                await asyncio.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    with psycopg.connect(pg_url) as conn:
        (assigned_at_kill,) = conn.execute(
            "SELECT count(*) FROM conversations WHERE assignee_id IS NOT NULL"
        ).fetchone() or (0,)
        (recorded,) = conn.execute("SELECT count(*) FROM assignments").fetchone() or (0,)
        (orphaned,) = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
        ).fetchone() or (0,)
    assert orphaned >= 1  # killed mid-job: its job (and the inbox lock) was left behind
    assert assigned_at_kill == recorded  # claims and their records commit together
    assert assigned_at_kill < 1600
    with workers(2, env):
        await request_runs(engine.jobs, set(inboxes))
        try:
            wait_until_assigned(pg_url, 1600, timeout=60)
        except AssertionError:
            with psycopg.connect(pg_url) as conn:
                for row in conn.execute(
                    "SELECT j.id, j.task_name, j.status, j.lock, j.worker_id, w.last_heartbeat,"
                    " now() FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w"
                    " ON w.id = j.worker_id WHERE j.status IN ('todo', 'doing') ORDER BY j.id"
                ).fetchall():
                    print("JOB", row)
                for row in conn.execute("SELECT * FROM procrastinate_workers").fetchall():
                    print("WORKER", row)
                for row in conn.execute(
                    "SELECT task_name, status, count(*) FROM procrastinate_jobs GROUP BY 1, 2"
                ).fetchall():
                    print("TASKS", row)
            print("RECOVER", await engine.jobs.recover_stalled())  # type: ignore[attr-defined]
            raise
        deadline = time.monotonic() + 30
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                (doing,) = conn.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
                ).fetchone() or (0,)
                if doing == 0:
                    break
                await asyncio.sleep(0.5)
    await engine.aclose()
    with psycopg.connect(pg_url) as conn:
        counts = Counter(
            cid for (cid,) in conn.execute("SELECT conversation_id FROM assignments").fetchall()
        )
        (doing,) = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
        ).fetchone() or (0,)
    assert len(counts) == 1600
    assert max(counts.values()) == 1
    assert doing == 0, "a job (and its inbox lock) stayed held after the worker died"


@pytest.mark.timeout(300)
async def test_the_sweep_assigns_conversations_whose_trigger_was_lost(settings, pg_url):
    engine = build(settings)
    await seed_inboxes(engine, pg_url, inboxes=3, agents=2, conversations=50)
    await engine.aclose()
    env = worker_env(pg_url, REDIS_URL, "burst", AUTOASSIGN_SWEEP_INTERVAL="2")
    with workers(1, env):  # no trigger at all: only the periodic sweep can find them
        wait_until_assigned(pg_url, 150, timeout=60)
