"""How soon after a fair-distribution window opens is the waiting conversation assigned?

Each inbox has one online agent and a limit of one assignment per ``window`` seconds, so
its conversations can only be assigned one window apart: conversation k waits for the
window that conversation k-1 opened. The delay is how long after that moment it was
assigned. The periodic sweep is set to an hour, so only exact wake-ups can be this fast.

``make bench-wakeups`` measures 100 cases on each back end and prints the percentiles;
tests/integration/test_wake_ups.py runs a small version on every back end.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.core.drafts import Membership
from autoassign.core.model import Agent, Conversation, Inbox, Presence
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.views import EventFilter, Paging
from autoassign.services import accounts, agents, conversations, history, inboxes, policies
from autoassign.services.context import Deps

SWEEP_NEVER = 3600


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None = None
    redis_prefix: str = "wake"

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    def settings(self) -> Settings:
        return Settings(
            database_url=self.database_url,
            redis_url=self.redis_url,
            redis_prefix=self.redis_prefix,
            sweep_interval=SWEEP_NEVER,
        )

    def worker_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOASSIGN_")}
        env.update(
            AUTOASSIGN_DATABASE_URL=self.database_url,
            AUTOASSIGN_SWEEP_INTERVAL=str(SWEEP_NEVER),
            AUTOASSIGN_REDIS_PREFIX=self.redis_prefix,
        )
        if self.redis_url:
            env["AUTOASSIGN_REDIS_URL"] = self.redis_url
        return env


async def measure(backend: Backend, *, inboxes_: int, per_inbox: int, window: int) -> list[float]:
    """Seconds between each window opening and the assignment it let through."""
    engine = build(backend.settings())
    deps = engine.deps
    worker: asyncio.subprocess.Process | None = None
    try:
        account = await accounts.create_account(deps, "Wake-ups")
        policy = await policies.create_policy(
            deps,
            AssignmentPolicy(
                0,
                account.id,
                "One per window",
                fair_distribution_limit=1,
                fair_distribution_window=window,
            ),
        )
        made: list[int] = []
        for i in range(inboxes_):
            inbox = await inboxes.create_inbox(deps, Inbox(0, account.id, f"inbox {i}"))
            agent = await agents.create_agent(deps, Agent(0, account.id, f"a{i}", Presence.ONLINE))
            await inboxes.change_members(deps, account.id, inbox.id, [agent.id], Membership.ADD)
            await inboxes.link_policy(deps, account.id, inbox.id, policy.id)
            now = deps.clock.now()
            drafts = [Conversation(0, account.id, inbox.id, now, now) for _ in range(per_inbox)]
            await conversations.create_conversations(deps, account.id, drafts)
            made.append(inbox.id)
        if not backend.embedded:
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "autoassign",
                "worker",
                env=backend.worker_env(),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await asyncio.sleep(2)  # let it connect
        await engine.start()
        await engine.jobs.enqueue(made)
        deadline = time.monotonic() + per_inbox * window + 15
        times: dict[int, list[float]] = {}
        while time.monotonic() < deadline:
            times = {i: await _assigned_at(deps, account.id, i) for i in made}
            if all(len(t) == per_inbox for t in times.values()):
                break
            await asyncio.sleep(0.25)
        if not all(len(t) == per_inbox for t in times.values()):
            raise AssertionError(f"{backend.name}: not all assigned: {times}")
        return [b - (a + window) for t in times.values() for a, b in itertools.pairwise(t)]
    finally:
        if worker is not None:
            worker.terminate()
            await asyncio.wait_for(worker.wait(), 20)
        await engine.aclose()


async def _assigned_at(deps: Deps, account_id: int, inbox_id: int) -> list[float]:
    page = await history.list_events(
        deps, account_id, EventFilter(inbox_id=inbox_id), Paging(1, 100)
    )
    return sorted(e.assigned_at.timestamp() for e in page.items)


def summary(name: str, delays: Sequence[float]) -> str:
    ordered = sorted(delays)
    pct = statistics.quantiles(ordered, n=100, method="inclusive")
    return (
        f"{name:<18} n={len(ordered):>3}  p50 {pct[49] * 1000:6.0f} ms  "
        f"p95 {pct[94] * 1000:6.0f} ms  p99 {pct[98] * 1000:6.0f} ms  "
        f"max {ordered[-1] * 1000:6.0f} ms  min {ordered[0] * 1000:5.0f} ms"
    )


def main() -> None:
    """100 cases per back end (10 inboxes x 11 conversations, 1 s windows), on the run's
    own database and Redis keys (bench/config.py)."""
    import psycopg

    from autoassign.adapters.sql import migrate
    from bench.config import RunConfig, delete_keys

    config = RunConfig.from_env()
    database = config.database("wakeups")
    prefix = f"{config.redis_prefix}:wake"
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'wake.db'}"
        migrate.upgrade(sqlite_url)
        runs = [Backend("embedded (SQLite)", sqlite_url)]
        pg_url = config.database_url(database)
        try:
            for with_redis in (True, False):
                with psycopg.connect(config.pg_admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                    conn.execute(f'CREATE DATABASE "{database}"')
                migrate.upgrade(pg_url)
                delete_keys(config.redis_url, prefix)
                backend = Backend(
                    "PostgreSQL + Redis" if with_redis else "PostgreSQL only",
                    pg_url,
                    config.redis_url if with_redis else None,
                    redis_prefix=prefix,
                )
                delays = asyncio.run(measure(backend, inboxes_=10, per_inbox=11, window=1))
                print(summary(backend.name, delays), flush=True)
            delays = asyncio.run(measure(runs[0], inboxes_=10, per_inbox=11, window=1))
            print(summary(runs[0].name, delays), flush=True)
        finally:
            delete_keys(config.redis_url, prefix)
            with psycopg.connect(config.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
