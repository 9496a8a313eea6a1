"""The claim, whose best form differs between SQLite and PostgreSQL.

Both forms are one statement with a fixed text, whatever the batch size: the batch
travels as parameters (arrays on PostgreSQL, one JSON document on SQLite), so the
statement is compiled once and the driver never sees a batch-sized SQL string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.tables import assignments, conversations
from autoassign.core.planner import PlannedAssignment

# The guard: a row is claimed only if it is still open, unassigned, in this inbox and in
# the team it had when planned; any other row is a lost race and simply not returned. On
# PostgreSQL the WHERE clause is re-checked against the newest row version after a
# concurrent writer commits, so two claimers never both win.

_PG_CLAIM_AND_RECORD = sa.text(
    """
    WITH plan AS (
        SELECT * FROM unnest(CAST(:cids AS bigint[]), CAST(:aids AS bigint[]),
                             CAST(:tids AS bigint[]), CAST(:selectors AS text[]),
                             CAST(:reasons AS text[]), CAST(:previous AS bigint[]),
                             CAST(:whys AS text[]))
               WITH ORDINALITY AS p(cid, aid, tid, selector, reason, previous, why, ord)
    ), claimed AS (
        UPDATE conversations AS c
           SET assignee_id = plan.aid, updated_at = :now, assigned_at = :now,
               previous_assignee_id = NULL, reassign_reason = NULL
          FROM plan
         WHERE c.id = plan.cid
           AND c.inbox_id = :inbox_id
           AND c.status = 'open'
           AND c.assignee_id IS NULL
           AND COALESCE(c.team_id, 0) = plan.tid
        RETURNING c.id, plan.aid, plan.selector, plan.reason, plan.previous, plan.why, plan.ord
    ), recorded AS (
        INSERT INTO assignments (account_id, inbox_id, conversation_id, agent_id, policy_id,
                                 selector, reason, assigned_at, previous_agent_id,
                                 reassign_reason)
        SELECT :account_id, :inbox_id, id, aid, :policy_id, selector, reason, :now,
               previous, why
          FROM claimed ORDER BY ord
    )
    SELECT id FROM claimed
    """
).bindparams(sa.bindparam("now", type_=conversations.c.updated_at.type))

# The unary ``+`` keeps SQLite from walking the inbox's candidate index and probing the
# plan for every row; it looks the planned ids up by primary key instead.
_SQLITE_CLAIM = sa.text(
    """
    UPDATE conversations
       SET assignee_id = plan.aid, updated_at = :now, assigned_at = :now,
           previous_assignee_id = NULL, reassign_reason = NULL
      FROM (SELECT json_extract(value, '$[0]') AS cid,
                   json_extract(value, '$[1]') AS aid,
                   json_extract(value, '$[2]') AS tid
              FROM json_each(:plan)) AS plan
     WHERE conversations.id = plan.cid
       AND +conversations.inbox_id = :inbox_id
       AND +conversations.status = 'open'
       AND +conversations.assignee_id IS NULL
       AND COALESCE(conversations.team_id, 0) = plan.tid
    RETURNING conversations.id
    """
).bindparams(sa.bindparam("now", type_=conversations.c.updated_at.type))


@dataclass(frozen=True, slots=True)
class ClaimTarget:
    account_id: int
    inbox_id: int
    policy_id: int | None


async def claim_and_record(
    conn: AsyncConnection,
    target: ClaimTarget,
    planned: Sequence[PlannedAssignment],
    now: datetime,
) -> set[int]:
    """Claim the planned rows with one guarded UPDATE and record an ``assignments`` row,
    in plan order, for each row won; returns the ids won."""
    if conn.dialect.name == "postgresql":
        result = await conn.execute(
            _PG_CLAIM_AND_RECORD,
            {
                "now": now,
                "account_id": target.account_id,
                "inbox_id": target.inbox_id,
                "policy_id": target.policy_id,
                "cids": [p.conversation_id for p in planned],
                "aids": [p.agent_id for p in planned],
                "tids": [p.team_id or 0 for p in planned],
                "selectors": [p.selector for p in planned],
                "reasons": [p.reason for p in planned],
                "previous": [p.previous_agent_id for p in planned],
                "whys": [p.reassign_reason.value if p.reassign_reason else None for p in planned],
            },
        )
        return {row[0] for row in result}
    plan = json.dumps([[p.conversation_id, p.agent_id, p.team_id or 0] for p in planned])
    result = await conn.execute(
        _SQLITE_CLAIM, {"now": now, "inbox_id": target.inbox_id, "plan": plan}
    )
    won = {row[0] for row in result}
    await _record(conn, target, [p for p in planned if p.conversation_id in won], now)
    return won


async def _record(
    conn: AsyncConnection,
    target: ClaimTarget,
    planned: Sequence[PlannedAssignment],
    now: datetime,
) -> None:
    if not planned:
        return
    await conn.execute(
        sa.insert(assignments),
        [
            {
                "account_id": target.account_id,
                "inbox_id": target.inbox_id,
                "conversation_id": p.conversation_id,
                "agent_id": p.agent_id,
                "policy_id": target.policy_id,
                "selector": p.selector,
                "reason": p.reason,
                "assigned_at": now,
                "previous_agent_id": p.previous_agent_id,
                "reassign_reason": p.reassign_reason.value if p.reassign_reason else None,
            }
            for p in planned
        ],
    )
