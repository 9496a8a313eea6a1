"""The few statements whose best form differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from autoassign.adapters.sql.tables import conversations
from autoassign.core.model import Status
from autoassign.core.planner import PlannedAssignment

_PG_CLAIM = sa.text(
    """
    UPDATE conversations AS c
       SET assignee_id = p.aid, updated_at = :now
      FROM (SELECT unnest(CAST(:cids AS bigint[])) AS cid,
                   unnest(CAST(:aids AS bigint[])) AS aid,
                   unnest(CAST(:tids AS bigint[])) AS tid) AS p
     WHERE c.id = p.cid
       AND c.inbox_id = :inbox_id
       AND c.status = 'open'
       AND c.assignee_id IS NULL
       AND COALESCE(c.team_id, 0) = p.tid
    RETURNING c.id
    """
)


def claim_statement(
    dialect: str, inbox_id: int, planned: Sequence[PlannedAssignment], now: datetime
) -> tuple[sa.Executable, dict[str, object]]:
    """One guarded UPDATE … RETURNING for the whole batch.

    A row is claimed only if it is still open, unassigned, in this inbox and in the team
    it had when planned; any other row is a lost race and simply not returned. On
    PostgreSQL the WHERE clause is re-checked against the newest row version after a
    concurrent writer commits, so two claimers never both win.
    """
    if dialect == "postgresql":
        pg_stmt = _PG_CLAIM.bindparams(sa.bindparam("now", type_=conversations.c.updated_at.type))
        return pg_stmt, {
            "now": now,
            "inbox_id": inbox_id,
            "cids": [p.conversation_id for p in planned],
            "aids": [p.agent_id for p in planned],
            "tids": [p.team_id or 0 for p in planned],
        }
    c = conversations.c
    ids = [p.conversation_id for p in planned]
    agent_of = sa.case({p.conversation_id: p.agent_id for p in planned}, value=c.id)
    team_of = sa.case({p.conversation_id: p.team_id or 0 for p in planned}, value=c.id)
    stmt: sa.Executable = (
        sa.update(conversations)
        .where(
            c.id.in_(ids),
            c.inbox_id == inbox_id,
            c.status == Status.OPEN.value,
            c.assignee_id.is_(None),
            sa.func.coalesce(c.team_id, 0) == team_of,
        )
        .values(assignee_id=agent_of, updated_at=now)
        .returning(c.id)
    )
    return stmt, {}
