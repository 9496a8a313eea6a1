"""COMPARISON BASELINE ONLY. Never imported by autoassign; it exists to be measured.

A port of the reference system's cost shape (Chatwoot auto-assignment v2, as described in
``shared/behaviour.md`` §1, §4 and §8 W1/W3/W4), run on the same PostgreSQL data and the
same Redis server as autoassign. For each inbox, ``perform_bulk_assignment(limit)`` loads
the waiting conversations, then for *each conversation*:

1. loads the available agents: the presence ZSET and the status HASH from Redis, the
   always-present (``auto_offline = false``) agents from SQL, then the inbox's members
   among the online ids (§4.1);
2. keeps agents under the rate limit, counting each agent's keys with
   ``SCAN MATCH ASSIGNMENT::<inbox>::AGENT::<agent>::* COUNT 100`` over the whole keyspace
   (§4.3, W1);
3. keeps agents under capacity: per agent, its capacity policy, the inbox limit and a
   ``COUNT`` of its open conversations (W4);
4. picks an agent: round robin reads the ROUND_ROBIN_AGENTS list, checks it against the
   inbox's members, and rewrites it with LREM + LPUSH (§4.2, W3); balanced runs a
   GROUP BY count of open conversations per agent (W4);
5. claims the row in its own transaction with ``FOR UPDATE SKIP LOCKED``, reloads it, and
   sets the rate-limit key with ``SET … EX window`` (§1).

Simplifications all favour the baseline: no event dispatch, no activity message, no
``Account.find``, and the assignment is not recorded in ``assignments``.

Its keys carry the bench run's prefix (so that a run deletes only its own keys), which
changes nothing in the cost shape: each SCAN still walks the whole Redis database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
import redis

from bench.dataset import ACCOUNT_ID

PRESENCE_DURATION = 20


@dataclass(frozen=True, slots=True)
class Policy:
    balanced: bool
    limit: int
    window: int


class Baseline:
    def __init__(self, pg_url: str, redis_url: str, prefix: str) -> None:
        self.db = psycopg.connect(pg_url, autocommit=True)
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True)
        #: every key this port writes starts with ``<prefix>:``
        self.prefix = prefix
        self.presence_key = f"{prefix}:ONLINE_PRESENCE::{ACCOUNT_ID}::USERS"
        self.status_key = f"{prefix}:ONLINE_STATUS::{ACCOUNT_ID}"

    def rr_key(self, inbox_id: int) -> str:
        return f"{self.prefix}:ROUND_ROBIN_AGENTS:{inbox_id}"

    def rate_pattern(self, inbox_id: int, agent_id: int) -> str:
        return f"{self.prefix}:ASSIGNMENT::{inbox_id}::AGENT::{agent_id}::*"

    def rate_key(self, inbox_id: int, agent_id: int, conversation_id: int) -> str:
        return (
            f"{self.prefix}:ASSIGNMENT::{inbox_id}::AGENT::{agent_id}"
            f"::CONVERSATION::{conversation_id}"
        )

    def close(self) -> None:
        self.db.close()
        self.redis.close()

    def seed_presence(self) -> None:
        """What the reference's OnlineStatusTracker holds for agents who pinged lately."""
        now = time.time()
        rows = self.db.execute("SELECT id, availability FROM agents").fetchall()
        with self.redis.pipeline() as pipe:
            pipe.zadd(self.presence_key, {str(a): now for a, _ in rows})
            pipe.hset(self.status_key, mapping={str(a): status for a, status in rows})
            pipe.execute()

    def run(self, seconds: float, limit: int = 100) -> int:
        """Bulk-assign inbox after inbox until ``seconds`` have passed or a whole pass
        assigns nothing; returns the number of assignments."""
        inbox_ids = [r[0] for r in self.db.execute("SELECT id FROM inboxes ORDER BY id")]
        deadline = time.perf_counter() + seconds
        assigned = 0
        progress = True
        while progress and time.perf_counter() < deadline:
            progress = False
            for inbox_id in inbox_ids:
                got = self.perform_bulk_assignment(inbox_id, limit, deadline)
                assigned += got
                progress = progress or got > 0
                if time.perf_counter() >= deadline:
                    break
        return assigned

    def perform_bulk_assignment(self, inbox_id: int, limit: int, deadline: float) -> int:
        row = self.db.execute(
            "SELECT p.assignment_order, p.fair_distribution_limit, p.fair_distribution_window "
            "FROM inbox_assignment_policies l JOIN assignment_policies p "
            "ON p.id = l.assignment_policy_id WHERE l.inbox_id = %s",
            (inbox_id,),
        ).fetchone()
        policy = Policy(row[0] == "balanced", row[1], row[2]) if row else Policy(False, 5, 300)
        conversations = self.db.execute(
            "SELECT id, team_id FROM conversations WHERE inbox_id = %s AND status = 'open' "
            "AND assignee_id IS NULL ORDER BY created_at LIMIT %s",
            (inbox_id, limit),
        ).fetchall()
        assigned = 0
        for conversation_id, team_id in conversations:
            if time.perf_counter() >= deadline:
                break
            agent = self.find_available_agent(inbox_id, team_id, policy)
            if agent is not None and self.assign(inbox_id, conversation_id, agent, policy):
                assigned += 1
        return assigned

    def find_available_agent(
        self, inbox_id: int, team_id: int | None, policy: Policy
    ) -> int | None:
        agents = self.available_agents(inbox_id)
        if team_id is not None:
            members = {
                r[0]
                for r in self.db.execute(
                    "SELECT agent_id FROM team_members WHERE team_id = %s", (team_id,)
                )
            }
            agents = [a for a in agents if a in members]
        agents = [a for a in agents if self.within_limit(inbox_id, a, policy)]
        agents = [a for a in agents if self.has_capacity(inbox_id, a)]
        if not agents:
            return None
        if policy.balanced:
            return self.least_loaded(inbox_id, agents)
        return self.round_robin(inbox_id, agents)

    def available_agents(self, inbox_id: int) -> list[int]:
        cutoff = time.time() - PRESENCE_DURATION
        pinged = self.redis.zrangebyscore(self.presence_key, cutoff, "+inf")
        always = [
            str(r[0])
            for r in self.db.execute(
                "SELECT id FROM agents WHERE account_id = %s AND auto_offline = false",
                (ACCOUNT_ID,),
            )
        ]
        ids = list(dict.fromkeys([*pinged, *always]))
        statuses = self.redis.hmget(self.status_key, ids) if ids else []
        online = [int(i) for i, s in zip(ids, statuses, strict=True) if s == "online"]
        if not online:
            return []
        return [
            r[0]
            for r in self.db.execute(
                "SELECT m.agent_id FROM inbox_members m JOIN agents a ON a.id = m.agent_id "
                "WHERE m.inbox_id = %s AND a.id = ANY(%s)",
                (inbox_id, online),
            )
        ]

    def within_limit(self, inbox_id: int, agent_id: int, policy: Policy) -> bool:
        count = sum(
            1 for _ in self.redis.scan_iter(match=self.rate_pattern(inbox_id, agent_id), count=100)
        )
        return count < policy.limit

    def has_capacity(self, inbox_id: int, agent_id: int) -> bool:
        (capacity_policy_id,) = self.db.execute(
            "SELECT capacity_policy_id FROM agents WHERE id = %s", (agent_id,)
        ).fetchone() or (None,)
        if capacity_policy_id is None:
            return True
        limit = self.db.execute(
            "SELECT conversation_limit FROM inbox_capacity_limits "
            "WHERE capacity_policy_id = %s AND inbox_id = %s",
            (capacity_policy_id, inbox_id),
        ).fetchone()
        if limit is None:
            return True
        (load,) = self.db.execute(
            "SELECT count(*) FROM conversations WHERE inbox_id = %s AND assignee_id = %s "
            "AND status = 'open'",
            (inbox_id, agent_id),
        ).fetchone() or (0,)
        return int(load) < int(limit[0])

    def least_loaded(self, inbox_id: int, agents: list[int]) -> int:
        loads: dict[int, int] = dict(
            self.db.execute(
                "SELECT assignee_id, count(*) FROM conversations WHERE inbox_id = %s "
                "AND status = 'open' AND assignee_id = ANY(%s) GROUP BY assignee_id",
                (inbox_id, agents),
            ).fetchall()
        )
        return min(agents, key=lambda a: loads.get(a, 0))

    def round_robin(self, inbox_id: int, allowed: list[int]) -> int:
        key = self.rr_key(inbox_id)
        queue = self.redis.lrange(key, 0, -1)
        members = [
            r[0]
            for r in self.db.execute(
                "SELECT agent_id FROM inbox_members WHERE inbox_id = %s", (inbox_id,)
            )
        ]
        if sorted(members) != sorted(int(q) for q in queue):
            self.redis.delete(key)
            if members:
                self.redis.lpush(key, *members)
            queue = self.redis.lrange(key, 0, -1)
        allowed_ids = {str(a) for a in allowed}
        user_id = [q for q in queue if q in allowed_ids][-1]
        self.redis.lrem(key, 0, user_id)
        self.redis.lpush(key, user_id)
        self.db.execute(
            "SELECT a.id FROM inbox_members m JOIN agents a ON a.id = m.agent_id "
            "WHERE m.inbox_id = %s AND m.agent_id = %s",
            (inbox_id, int(user_id)),
        ).fetchone()
        return int(user_id)

    def assign(self, inbox_id: int, conversation_id: int, agent_id: int, policy: Policy) -> bool:
        with self.db.transaction():
            locked = self.db.execute(
                "SELECT id FROM conversations WHERE inbox_id = %s AND id = %s "
                "AND assignee_id IS NULL FOR UPDATE SKIP LOCKED",
                (inbox_id, conversation_id),
            ).fetchone()
            if locked is None:
                return False
            self.db.execute(
                "UPDATE conversations SET assignee_id = %s, updated_at = now() WHERE id = %s",
                (agent_id, conversation_id),
            )
        self.db.execute("SELECT * FROM conversations WHERE id = %s", (conversation_id,)).fetchone()
        self.redis.set(
            self.rate_key(inbox_id, agent_id, conversation_id),
            str(conversation_id),
            ex=policy.window,
        )
        return True
