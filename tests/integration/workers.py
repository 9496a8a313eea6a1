"""Helpers for tests that run `autoassign worker` processes against PostgreSQL."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg

from autoassign.bootstrap import Engine
from autoassign.core.drafts import Membership
from autoassign.core.model import Agent, Inbox, Presence
from autoassign.core.policies import AssignmentPolicy
from autoassign.services import accounts, policies
from autoassign.services import agents as agent_service
from autoassign.services import inboxes as inbox_service


def worker_env(pg_url: str, redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOASSIGN_")}
    env.update(
        AUTOASSIGN_DATABASE_URL=pg_url,
        AUTOASSIGN_REDIS_URL=redis_url,
        AUTOASSIGN_REDIS_PREFIX=prefix,
        AUTOASSIGN_KEEP_FINISHED_JOBS="true",
        AUTOASSIGN_STALLED_AFTER="2",
        AUTOASSIGN_POOL_SIZE="3",
        **extra,
    )
    return env


@contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    logs = [
        tempfile.NamedTemporaryFile(prefix="autoassign-worker-", suffix=".log", delete=False)  # noqa: SIM115
        for _ in range(count)
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "autoassign", "worker", "--concurrency", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        yield procs
    finally:
        for log in logs:
            log.close()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def seed_inboxes(
    engine: Engine, pg_url: str, *, inboxes: int, agents: int, conversations: int
) -> list[int]:
    """Inboxes with online agents and a policy; conversations inserted straight into SQL
    (no trigger fires for them)."""
    deps = engine.deps
    account = await accounts.create_account(deps, "Burst")
    policy = await policies.create_policy(
        deps, AssignmentPolicy(0, account.id, "Burst", fair_distribution_limit=10_000)
    )
    ids: list[int] = []
    for i in range(inboxes):
        inbox = await inbox_service.create_inbox(deps, Inbox(0, account.id, f"inbox {i}"))
        members = [
            (
                await agent_service.create_agent(
                    deps, Agent(0, account.id, f"a{i}.{j}", Presence.ONLINE)
                )
            ).id
            for j in range(agents)
        ]
        await inbox_service.change_members(deps, account.id, inbox.id, members, Membership.ADD)
        await inbox_service.link_policy(deps, account.id, inbox.id, policy.id)
        ids.append(inbox.id)
    with psycopg.connect(pg_url) as conn:
        for inbox_id in ids:
            conn.execute(
                "INSERT INTO conversations (account_id, inbox_id, status, created_at,"
                " last_activity_at, updated_at)"
                " SELECT %(a)s, %(i)s, 'open', %(t)s - g * interval '1 second',"
                " %(t)s - g * interval '1 second', %(t)s FROM generate_series(1, %(n)s) g",
                {
                    "a": account.id,
                    "i": inbox_id,
                    "t": datetime.now(UTC).replace(tzinfo=None),
                    "n": conversations,
                },
            )
        conn.execute("ANALYZE")
    return ids


def wait_until_assigned(pg_url: str, expected: int, timeout: float) -> float:
    started = time.monotonic()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while time.monotonic() - started < timeout:
            row = conn.execute(
                "SELECT count(*) FROM conversations WHERE assignee_id IS NOT NULL"
            ).fetchone()
            if row is not None and row[0] >= expected:
                return time.monotonic() - started
            time.sleep(0.2)
    raise AssertionError(f"not all {expected} conversations were assigned in {timeout} s")


def job_intervals(pg_url: str) -> dict[str, list[tuple[datetime, datetime]]]:
    """lock → [(started, finished)] of every assignment job, from Procrastinate's events."""
    query = """
        SELECT j.lock, s.at, f.at
          FROM procrastinate_jobs j
          JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started'
          JOIN procrastinate_events f ON f.job_id = j.id
               AND f.type IN ('succeeded', 'failed') AND f.at >= s.at
         WHERE j.task_name = 'autoassign.assign_inbox'
    """
    result: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    with psycopg.connect(pg_url) as conn:
        for lock, start, end in conn.execute(query).fetchall():
            result[lock].append((start, end))
    return result


def overlapping(intervals: dict[str, list[tuple[datetime, datetime]]]) -> int:
    count = 0
    for runs in intervals.values():
        ordered = sorted(runs)
        count += sum(1 for a, b in itertools.pairwise(ordered) if b[0] < a[1])
    return count
