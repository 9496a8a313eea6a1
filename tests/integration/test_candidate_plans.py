"""Every candidate order walks its partial index on PostgreSQL (issue 13.2: "candidate
queries stay index-backed"): with 60,000 conversations and fresh statistics, the plan
of each order's query is an index scan and never sorts the inbox's rows."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.core.policies import ConversationPriority, ExclusionRules
from tests.factories import seed_world

FILL = """
INSERT INTO conversations (account_id, inbox_id, status, priority, priority_order, sla_due_at,
                           created_at, last_activity_at, updated_at)
SELECT :account, :inbox,
       CASE WHEN g % 3 = 0 THEN 'resolved' ELSE 'open' END,
       NULL, g % 5,
       CASE WHEN g % 7 = 0 THEN now() + make_interval(secs => g) END,
       now() - make_interval(secs => g), now() - make_interval(secs => g), now()
  FROM generate_series(1, 60000) AS g
"""


@pytest.mark.parametrize("order", list(ConversationPriority))
async def test_each_order_is_an_index_scan(pg_url: str, clock: Any, order: ConversationPriority):
    engine = build(Settings(database_url=pg_url), state=MemoryStateStore(), clock=clock)
    try:
        world = await seed_world(engine, conversations=0)
        async with engine.sql.begin() as conn:
            await conn.execute(
                sa.text(FILL), {"account": world.account.id, "inbox": world.inbox.id}
            )
            await conn.execute(sa.text("ANALYZE conversations"))
        seen: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().startswith("SELECT conversations.id"):
                seen.append((statement, parameters))

        sa.event.listen(engine.sql.sync_engine, "before_cursor_execute", capture)
        async with engine.store.inbox_batch(world.inbox.id) as batch:
            found = await batch.candidates(ExclusionRules(), order, 100, clock.now())
        assert len(found) == 100
        sa.event.remove(engine.sql.sync_engine, "before_cursor_execute", capture)
        plans = []
        async with engine.sql.connect() as conn:
            for statement, parameters in seen:
                raw = await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
                plans.append("\n".join(r[0] for r in raw))
        assert plans
        for plan in plans:
            assert "Index Scan using ix_conversations_candidates_" in plan, plan
            assert "Sort" not in plan, plan  # the index gives the order: no sort of the inbox
            assert "Seq Scan" not in plan, plan
    finally:
        await engine.aclose()
