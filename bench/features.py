"""Bulk throughput with the routing features of issue 13 off and on, in the same run.

The same data twice, each in a fresh database: inboxes with members, conversations
waiting, batches of 500 run inbox after inbox until nothing more is assigned. "Off" is
the reference behaviour; "on" switches on what costs a batch something: the priority
order, sticky agents (contacts), overflow, every reassignment rule, working hours and a
total limit for every agent, member weights. The issue's bar: with every feature off,
bulk throughput does not drop more than 10% (compare "off" with ``make bench``'s
throughput from before the features, in docs/benchmarks.md).

    python -m bench.features [--backend sqlite|postgres] [--conversations N]

Databases: a file under a temporary directory, or ``autoassign_bench_features_<pid>``
on the PostgreSQL server (dropped afterwards); state in memory, so Redis is untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from autoassign.adapters.sql import migrate
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.core.drafts import Membership
from autoassign.core.model import Agent, Conversation, Inbox, Presence, Priority, Team
from autoassign.core.policies import AssignmentPolicy, CapacityPolicy, ConversationPriority
from autoassign.core.schedules import shifts_from
from autoassign.services import (
    accounts,
    agents,
    capacity,
    conversations,
    duty,
    inboxes,
    policies,
    runs,
    teams,
)

PG_ADMIN = os.environ.get(
    "AUTOASSIGN_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
INBOXES = 20
AGENTS_PER_INBOX = 15
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Measured:
    features: str
    assigned: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.assigned / self.seconds


async def _seed(engine: Engine, n: int, on: bool) -> list[int]:
    deps = engine.deps
    account = await accounts.create_account(deps, "Bench")
    policy = AssignmentPolicy(0, account.id, "Bench", fair_distribution_limit=100_000)
    if on:
        team = await teams.create_team(deps, Team(0, account.id, "Overflow"))
        policy = AssignmentPolicy(
            0,
            account.id,
            "Bench",
            conversation_priority=ConversationPriority.PRIORITY,
            fair_distribution_limit=100_000,
            reassign_after_absent_seconds=600,
            reassign_unanswered_after_seconds=3600,
            reassign_on_reopen=True,
            overflow_after_seconds=3600,
            overflow_team_id=team.id,
            sticky_days=7,
            preferred_hold_seconds=60,
        )
    saved = await policies.create_policy(deps, policy)
    cap = None
    if on:
        cap = await capacity.create_policy(
            deps, CapacityPolicy(0, account.id, "Total", total_limit=100_000)
        )
    inbox_ids = []
    all_day = shifts_from([(d, "00:00", "24:00") for d in DAYS])
    for i in range(INBOXES):
        inbox = await inboxes.create_inbox(deps, Inbox(0, account.id, f"Inbox {i}"))
        inbox_ids.append(inbox.id)
        members = []
        for j in range(AGENTS_PER_INBOX):
            agent = await agents.create_agent(
                deps, Agent(0, account.id, f"a{i}-{j}", availability=Presence.ONLINE)
            )
            members.append(agent.id)
            if on and cap is not None:
                await capacity.add_user(deps, account.id, cap.id, agent.id)
                await duty.set_working_hours(deps, account.id, agent.id, "Europe/Berlin", all_day)
        await inboxes.change_members(deps, account.id, inbox.id, members, Membership.ADD)
        if on:
            await inboxes.set_member(deps, account.id, inbox.id, members[0], {"weight": 2})
        await inboxes.link_policy(deps, account.id, inbox.id, saved.id)
    now = datetime.now(UTC)
    priorities = [None, Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT]
    per_inbox = n // INBOXES
    for inbox_id in inbox_ids:
        drafts = [
            Conversation(
                0,
                account.id,
                inbox_id,
                now - timedelta(seconds=per_inbox - k),
                now - timedelta(seconds=per_inbox - k),
                priority=priorities[k % 5] if on else None,
                contact_id=(k % 500) + 1 if on else None,
            )
            for k in range(per_inbox)
        ]
        await conversations.create_conversations(deps, account.id, drafts)
    return inbox_ids


async def _measure(url: str, n: int, on: bool) -> Measured:
    migrate.upgrade(url)
    engine = build(Settings(database_url=url), state=MemoryStateStore())
    try:
        inbox_ids = await _seed(engine, n, on)
        started = time.perf_counter()
        assigned, progress = 0, True
        while progress:
            progress = False
            for inbox_id in inbox_ids:
                result = await runs.run_batch(engine.deps, inbox_id, limit=500)
                assigned += result.assigned
                progress = progress or result.assigned > 0
        return Measured("on" if on else "off", assigned, time.perf_counter() - started)
    finally:
        await engine.aclose()


def _pg_url(name: str) -> str:
    base, _, _ = PG_ADMIN.rpartition("/")
    return f"{base}/{name}"


async def main(backend: str, n: int) -> None:
    results = []
    for on in (False, True):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                results.append(await _measure(f"sqlite:///{folder}/bench.db", n, on))
        else:
            name = f"autoassign_bench_features_{os.getpid()}_{int(on)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                results.append(await _measure(_pg_url(name), n, on))
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    off, on_ = results
    print(f"| features ({backend}) | assigned | seconds | assignments/s |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r.features} | {r.assigned:,} | {r.seconds:.2f} | {r.rate:,.0f} |")
    print(f"\non ÷ off: {on_.rate / off.rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--conversations", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.conversations))
