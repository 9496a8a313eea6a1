"""The standard data set, loaded once per back end into a template and cloned per run.

Rows are generated inside the database (``generate_series`` on PostgreSQL, a recursive
CTE on SQLite) so loading a million conversations takes seconds, and ``ANALYZE`` runs
after every load: the planner needs statistics for the batched claim (stack.md §3.9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from autoassign.adapters.sql import tables as t

ACCOUNT_ID = 1


@dataclass(frozen=True, slots=True)
class Spec:
    inboxes: int = 100
    agents: int = 1_000
    #: every fifth agent is offline
    offline_every: int = 5
    conversations: int = 100_000
    #: each agent is a member of this many inboxes (30 members per inbox by default)
    memberships_per_agent: int = 3
    fair_limit: int = 30
    fair_window: int = 3_600
    capacity: int = 25

    def members(self, agent: int) -> list[int]:
        """Inbox ids of agent ``agent`` (both 1-based), spread over the inboxes."""
        stride = self.inboxes // self.memberships_per_agent
        return sorted(
            {(agent - 1 + k * stride) % self.inboxes + 1 for k in range(self.memberships_per_agent)}
        )

    def online(self, agent: int) -> bool:
        return agent % self.offline_every != 0

    @property
    def online_agents(self) -> int:
        return sum(self.online(a) for a in range(1, self.agents + 1))


def load(engine: sa.Engine, spec: Spec, order: str = "round_robin") -> None:
    """Fill an empty, migrated database with ``spec``'s rows (ids 1..n in order)."""
    now = datetime.now(UTC)
    start = now - timedelta(days=1, seconds=spec.conversations)
    with engine.begin() as db:
        db.execute(t.accounts.insert(), {"name": "bench", "created_at": now})
        db.execute(
            t.capacity_policies.insert(),
            {
                "account_id": ACCOUNT_ID,
                "name": "bench capacity",
                "excluded_labels": [],
                "created_at": now,
            },
        )
        db.execute(
            t.inboxes.insert(),
            [
                {"account_id": ACCOUNT_ID, "name": f"inbox {i}", "created_at": now}
                for i in range(1, spec.inboxes + 1)
            ],
        )
        db.execute(
            t.agents.insert(),
            [
                {
                    "account_id": ACCOUNT_ID,
                    "name": f"agent {a}",
                    "availability": "online" if spec.online(a) else "offline",
                    "capacity_policy_id": 1,
                    "created_at": now,
                }
                for a in range(1, spec.agents + 1)
            ],
        )
        db.execute(
            t.inbox_members.insert(),
            [
                {"inbox_id": i, "agent_id": a}
                for a in range(1, spec.agents + 1)
                for i in spec.members(a)
            ],
        )
        db.execute(
            t.assignment_policies.insert(),
            [
                {
                    "account_id": ACCOUNT_ID,
                    "name": f"policy {i}",
                    "assignment_order": order,
                    "fair_distribution_limit": spec.fair_limit,
                    "fair_distribution_window": spec.fair_window,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, spec.inboxes + 1)
            ],
        )
        db.execute(
            t.inbox_assignment_policies.insert(),
            [{"inbox_id": i, "assignment_policy_id": i} for i in range(1, spec.inboxes + 1)],
        )
        db.execute(
            t.inbox_capacity_limits.insert(),
            [
                {"capacity_policy_id": 1, "inbox_id": i, "conversation_limit": spec.capacity}
                for i in range(1, spec.inboxes + 1)
            ],
        )
        add_conversations(db, spec.inboxes, spec.conversations, start)
    analyze(engine)


def add_conversations(db: sa.Connection, inboxes: int, count: int, start: datetime) -> None:
    """``count`` open, unassigned conversations, one second apart, dealt over the inboxes."""
    naive = start.astimezone(UTC).replace(tzinfo=None)
    if db.dialect.name == "postgresql":
        series = "generate_series(1, :n) AS s(i)"
        stamp = "CAST(:start AS timestamp) + s.i * interval '1 second'"
        prefix = ""
    else:  # the format SQLAlchemy's SQLite DateTime writes and parses
        series = "s"
        stamp = "strftime('%Y-%m-%d %H:%M:%S', :start, '+' || s.i || ' seconds') || '.000000'"
        prefix = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
    db.execute(
        sa.text(
            f"{prefix}INSERT INTO conversations "
            "(account_id, inbox_id, status, created_at, last_activity_at, updated_at) "
            f"SELECT {ACCOUNT_ID}, (s.i % :inboxes) + 1, 'open', {stamp}, {stamp}, {stamp} "
            f"FROM {series}"
        ),
        {"n": count, "inboxes": inboxes, "start": naive.strftime("%Y-%m-%d %H:%M:%S")},
    )


def set_order(engine: sa.Engine, order: str) -> None:
    with engine.begin() as db:
        db.execute(t.assignment_policies.update().values(assignment_order=order))


def analyze(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(sa.text("ANALYZE"))
