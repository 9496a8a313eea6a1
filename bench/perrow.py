"""COMPARISON BASELINE ONLY. Never imported by autoassign; it exists to be measured.

A well-written per-row engine: what a careful engineer would write without batching.
Where ``baseline.py`` ports the reference system's costs (a keyspace SCAN per agent, a
query per agent), this one spends the fewest round trips a per-conversation design can.
For each batch of an inbox it reads the inbox's policy and its waiting conversations
(``LIMIT batch``); then, for *each conversation*:

1. one SQL query: the inbox's online members with their capacity limit and their open
   load in the inbox (a correlated count over the same partial index ours uses);
2. one Redis pipeline: every member's fair-distribution window count (ZCOUNT over the
   window) and their place in the rotation (ZMSCORE);
3. picks in memory: under capacity and under the window limit; round robin takes the
   least recently assigned, balanced the least loaded (then the rotation);
4. one claim-and-record transaction: a single statement, the guarded ``UPDATE`` (open,
   unassigned, in this inbox) and the ``INSERT INTO assignments`` of the row won;
5. one Redis write (a pipeline): the window entry, its expiry and the rotation.

Connections are opened once; psycopg prepares the repeated statements. Simplifications
favour it: no webhook outbox, no events, no reassignment timers, no presence heartbeats,
no run gate, no inbox lock (so two of them would break the capacity limit).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import redis

_POLICY = """
SELECT p.id, p.assignment_order, p.fair_distribution_limit, p.fair_distribution_window,
       i.account_id
  FROM inboxes i
  JOIN inbox_assignment_policies l ON l.inbox_id = i.id
  JOIN assignment_policies p ON p.id = l.assignment_policy_id
 WHERE i.id = %s AND i.deleted_at IS NULL AND i.enable_auto_assignment AND p.enabled
"""
_CANDIDATES = """
SELECT id, team_id FROM conversations
 WHERE inbox_id = %s AND status = 'open' AND assignee_id IS NULL
 ORDER BY created_at, id LIMIT %s
"""
_MEMBERS = """
SELECT a.id, l.conversation_limit,
       (SELECT count(*) FROM conversations c
         WHERE c.inbox_id = m.inbox_id AND c.assignee_id = a.id AND c.status = 'open')
  FROM inbox_members m
  JOIN agents a ON a.id = m.agent_id
  LEFT JOIN inbox_capacity_limits l
    ON l.capacity_policy_id = a.capacity_policy_id AND l.inbox_id = m.inbox_id
 WHERE m.inbox_id = %(inbox)s AND a.availability = 'online' AND a.deleted_at IS NULL
"""
# a conversation with a team: the same, among the team's members (its own statement, so
# that each keeps a plan of its own)
_TEAM_MEMBERS = (
    _MEMBERS + "   AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = %(team)s)\n"
)
_CLAIM_AND_RECORD = """
WITH claimed AS (
    UPDATE conversations
       SET assignee_id = %(agent)s, updated_at = %(now)s, assigned_at = %(now)s
     WHERE id = %(conversation)s AND inbox_id = %(inbox)s
       AND status = 'open' AND assignee_id IS NULL
    RETURNING id
)
INSERT INTO assignments (account_id, inbox_id, conversation_id, agent_id, policy_id,
                         selector, reason, assigned_at)
SELECT %(account)s, %(inbox)s, id, %(agent)s, %(policy)s, %(selector)s, %(reason)s, %(now)s
  FROM claimed
RETURNING conversation_id
"""


@dataclass(frozen=True, slots=True)
class Policy:
    id: int
    balanced: bool
    limit: int | None
    window: int
    account_id: int


class PerRowEngine:
    def __init__(self, pg_url: str, redis_url: str, prefix: str) -> None:
        self.db = psycopg.connect(pg_url, autocommit=True)
        self.redis = redis.Redis.from_url(redis_url)
        self.prefix = prefix

    def close(self) -> None:
        self.db.close()
        self.redis.close()

    def _window_key(self, inbox_id: int, agent_id: int) -> str:
        return f"{self.prefix}:{{inbox:{inbox_id}}}:win:{agent_id}"

    def _rotation_key(self, inbox_id: int) -> str:
        return f"{self.prefix}:{{inbox:{inbox_id}}}:rr"

    def policy(self, inbox_id: int) -> Policy | None:
        row = self.db.execute(_POLICY, (inbox_id,), prepare=True).fetchone()
        if row is None:
            return None
        return Policy(int(row[0]), row[1] == "balanced", row[2], int(row[3] or 3600), row[4])

    def assign_batch(self, inbox_id: int, batch: int) -> int:
        """One batch of up to ``batch`` conversations of the inbox; the number assigned."""
        policy = self.policy(inbox_id)
        if policy is None:
            return 0
        waiting = self.db.execute(_CANDIDATES, (inbox_id, batch), prepare=True).fetchall()
        assigned = 0
        for conversation_id, team_id in waiting:
            outcome = self.assign_one(inbox_id, int(conversation_id), team_id, policy)
            if outcome is None:  # nobody can take anything more: the batch is over
                break
            assigned += outcome
        return assigned

    def assign_one(
        self, inbox_id: int, conversation_id: int, team_id: int | None, policy: Policy
    ) -> int | None:
        """1 if assigned, 0 if lost to another writer, None if no member can take it."""
        members = self.db.execute(
            _MEMBERS if team_id is None else _TEAM_MEMBERS,
            {"inbox": inbox_id, "team": team_id},
            prepare=True,
        ).fetchall()
        if not members:
            return None
        now = datetime.now(UTC)
        now_ms = int(now.timestamp() * 1000)
        since = now_ms - policy.window * 1000
        ids = [int(m[0]) for m in members]
        with self.redis.pipeline(transaction=False) as pipe:
            for agent_id in ids:
                pipe.zcount(self._window_key(inbox_id, agent_id), f"({since}", "+inf")
            pipe.zmscore(self._rotation_key(inbox_id), [str(a) for a in ids])
            replies = pipe.execute()
        counts, rotation = replies[:-1], replies[-1]
        best: tuple[float, float, int] | None = None
        for (agent_id, limit, load), count, rank in zip(members, counts, rotation, strict=True):
            if limit is not None and load >= limit:
                continue
            if policy.limit is not None and count >= policy.limit:
                continue
            key = (float(load) if policy.balanced else 0.0, float(rank or 0.0), int(agent_id))
            if best is None or key < best:
                best = key
        if best is None:
            return None
        agent_id = best[2]
        selector = "balanced" if policy.balanced else "round_robin"
        won = self.db.execute(
            _CLAIM_AND_RECORD,
            {
                "agent": agent_id,
                "now": now.replace(tzinfo=None),
                "conversation": conversation_id,
                "inbox": inbox_id,
                "account": policy.account_id,
                "policy": policy.id,
                "selector": selector,
                "reason": f"{selector} (per-row engine)",
            },
            prepare=True,
        ).fetchone()
        if won is None:
            return 0
        window_key = self._window_key(inbox_id, agent_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(window_key, {str(conversation_id): now_ms})
            pipe.pexpire(window_key, policy.window * 1000 + 60_000)
            pipe.zadd(self._rotation_key(inbox_id), {str(agent_id): time.time_ns()})
            pipe.execute()
        return 1

    def run(self, batch: int, seconds: float) -> tuple[int, float]:
        """Batch after batch, one per inbox in turn, until a whole pass assigns nothing or
        ``seconds`` have passed; (assignments, seconds taken)."""
        inbox_ids = [int(r[0]) for r in self.db.execute("SELECT id FROM inboxes ORDER BY id")]
        started = time.perf_counter()
        deadline = started + seconds
        assigned = 0
        progress = True
        while progress and time.perf_counter() < deadline:
            progress = False
            for inbox_id in inbox_ids:
                got = self.assign_batch(inbox_id, batch)
                assigned += got
                progress = progress or got > 0
                if time.perf_counter() >= deadline:
                    break
        return assigned, time.perf_counter() - started
