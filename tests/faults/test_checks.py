"""The invariant checks themselves: each reports a breach written straight into SQL (a
check that never fails proves nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.conftest import Stack
from tests.faults.invariants import pending_assignable, stuck_jobs, violations
from tests.faults.world import CAPACITY, LIMIT, WINDOW, seed

pytestmark = [pytest.mark.faults, pytest.mark.timeout(60)]

_ADD = """
    INSERT INTO conversations (account_id, inbox_id, status, assignee_id, created_at,
                               last_activity_at, updated_at)
    VALUES (%(account)s, %(inbox)s, 'open', %(agent)s, %(at)s, %(at)s, %(at)s) RETURNING id
"""
_RECORD = """
    INSERT INTO assignments (account_id, inbox_id, conversation_id, agent_id, policy_id,
                             selector, reason, assigned_at)
    SELECT %(account)s, %(inbox)s, %(conversation)s, %(agent)s, assignment_policy_id,
           'round_robin', 'test', %(at)s
      FROM inbox_assignment_policies WHERE inbox_id = %(inbox)s
"""


async def test_each_invariant_check_reports_what_breaks_it(stack: Stack):
    engine = await stack.engine()
    world = await seed(engine, inbox_count=1, agents=2)
    probe = stack.probe
    assert await violations(probe) == []
    inbox, capped = world.inbox_ids
    agent, other = world.members[inbox]
    at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    base = {"account": world.account_id, "inbox": inbox, "agent": agent}

    async def conversation(**over: object) -> int:
        rows = await probe.rows(_ADD, {**base, "at": at, **over})
        return int(rows[0][0])

    async def record(conversation_id: int, moment: datetime, **over: object) -> None:
        await probe.rows(
            _RECORD + " RETURNING id",
            {**base, "conversation": conversation_id, "at": moment, **over},
        )

    # a window: LIMIT + 1 engine assignments within WINDOW seconds (exactly one window
    # apart does not count: an entry leaves the window WINDOW s after it was made)
    early = await conversation()
    await record(early, at - timedelta(seconds=WINDOW))
    for k in range(LIMIT):
        await record(await conversation(), at + timedelta(milliseconds=k))
    assert await violations(probe) == []
    await record(await conversation(), at + timedelta(milliseconds=WINDOW * 1000 - 1))
    found = await violations(probe)
    assert len(found) == 1
    assert f"{LIMIT + 1} engine assignments" in found[0]

    # two engine records for one conversation; an assignee that is not the last record's
    twice = await conversation(agent=other)
    await record(twice, at - timedelta(hours=1), agent=other)
    await record(twice, at - timedelta(hours=2), agent=other)
    await probe.rows(
        "UPDATE conversations SET assignee_id = %(agent)s WHERE id = %(id)s RETURNING id",
        {"agent": agent, "id": twice},
    )
    text = "\n".join(await violations(probe))
    assert f"conversation {twice} was assigned by the engine 2 times" in text
    assert f"conversation {twice} held by {agent} but last assigned to {other}" in text

    # over capacity in the capped inbox
    holder = world.members[capped][0]
    for _ in range(CAPACITY + 1):
        await conversation(inbox=capped, agent=holder)
    text = "\n".join(await violations(probe))
    assert f"agent {holder} holds {CAPACITY + 1} open in inbox {capped}" in text

    # assignable work, and a job stuck behind nothing
    waiting = await conversation(agent=None)
    assert await pending_assignable(probe, datetime.now(UTC)) == 1
    assert await pending_assignable(probe, datetime.now(UTC) - timedelta(hours=1)) == 0
    await probe.rows(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, scheduled_at)"
        " VALUES ('autoassign', 'autoassign.assign_inbox', '{}', now() - interval '1 minute')"
        " RETURNING id"
    )
    assert len(await stuck_jobs(probe)) == 1
    del waiting
