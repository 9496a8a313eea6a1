"""The like-for-like floor: a batch's SQL with no decision in it.

Per inbox batch, exactly the statements a batch cannot do without, through the same
stack ours uses (SQLAlchemy's async engine from ``adapters.sql.engine``, psycopg or
aiosqlite): ``BEGIN`` (``IMMEDIATE`` on SQLite), lock the inbox row (``SELECT … FOR
UPDATE``), select the candidates (open, unassigned, oldest first, ``LIMIT n``), claim
and record them with the very statement ours uses (``adapters.sql.claim.
claim_and_record``: the guarded ``UPDATE … FROM unnest(…)`` + ``INSERT INTO
assignments``; ``json_each`` + an INSERT on SQLite), ``COMMIT``. Agents are dealt round
robin from the online members, read before the clock starts. No policy, no state
store, no windows, no events. It assigns the same number of rows per inbox as ours did,
in batches of the same size, inbox after inbox on one connection.

Where ``ceiling.py`` is one bare UPDATE for everything (what no batching engine can
beat), this is what a batching engine that decides nothing would cost.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa

from autoassign.adapters.sql.claim import ClaimTarget, claim_and_record
from autoassign.adapters.sql.engine import make_engine
from autoassign.adapters.sql.tables import (
    agents,
    conversations,
    inbox_assignment_policies,
    inbox_members,
    inboxes,
)
from autoassign.core.planner import PlannedAssignment


async def _run(url: str, per_inbox: dict[int, int], batch: int) -> tuple[int, float]:
    engine = make_engine(url)
    try:
        async with engine.connect() as db:
            members: dict[int, list[int]] = defaultdict(list)
            rows = await db.execute(
                sa.select(inbox_members.c.inbox_id, inbox_members.c.agent_id)
                .join(agents, agents.c.id == inbox_members.c.agent_id)
                .where(agents.c.availability == "online")
                .order_by(inbox_members.c.inbox_id, inbox_members.c.agent_id)
            )
            for inbox_id, agent_id in rows:
                members[inbox_id].append(agent_id)
            links = await db.execute(
                sa.select(
                    inbox_assignment_policies.c.inbox_id,
                    inbox_assignment_policies.c.assignment_policy_id,
                )
            )
            policy_of: dict[int, int] = {int(i): int(p) for i, p in links}
            await db.rollback()
        lock = sa.select(inboxes.c.id, inboxes.c.account_id).where(
            inboxes.c.id == sa.bindparam("i")
        )
        if engine.dialect.name == "postgresql":
            lock = lock.with_for_update()
        c = conversations.c
        candidates = (
            sa.select(c.id, c.team_id)
            .where(
                c.inbox_id == sa.bindparam("i"),
                c.status == "open",
                c.assignee_id.is_(None),
            )
            .order_by(c.created_at, c.id)
            .limit(sa.bindparam("n"))
        )
        claimed = 0
        started = time.perf_counter()
        for inbox_id, count in sorted(per_inbox.items()):
            dealt = members[inbox_id]
            turn = 0
            left = count
            while left > 0:
                async with engine.begin() as db:
                    inbox = (await db.execute(lock, {"i": inbox_id})).one()
                    found = (
                        await db.execute(candidates, {"i": inbox_id, "n": min(batch, left)})
                    ).all()
                    planned = []
                    for cid, team_id in found:
                        planned.append(
                            PlannedAssignment(
                                cid, dealt[turn % len(dealt)], team_id, "round_robin", "floor"
                            )
                        )
                        turn += 1
                    won = await claim_and_record(
                        db,
                        ClaimTarget(inbox.account_id, inbox_id, policy_of.get(inbox_id)),
                        planned,
                        datetime.now(UTC),
                    )
                claimed += len(won)
                if not found:
                    break
                left -= len(found)
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return claimed, seconds


def run(url: str, per_inbox: dict[int, int], batch: int) -> tuple[int, float]:
    """Assign ``per_inbox[i]`` rows of inbox i in batches of ``batch``; (rows, seconds)."""
    return asyncio.run(_run(url, per_inbox, batch))
