"""The invariant checks themselves: each reports a breach written straight into SQL (a
check that never fails proves nothing)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx2
import psycopg
import pytest

from autoassign.adapters.webhooks import (
    ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign_v1,
)
from tests.faults.conftest import Stack
from tests.faults.harness import watch_webhooks
from tests.faults.invariants import (
    NO_ROW,
    WebhookReport,
    pending_assignable,
    stuck_jobs,
    violations,
    wait_for_webhooks,
    webhook_report,
)
from tests.faults.receiver import Receiver
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


_DELIVERY = """
    INSERT INTO webhook_deliveries (account_id, webhook_id, event, delivery_id, body, status,
                                    attempts, next_attempt_at, created_at)
    VALUES (%(account)s, %(webhook)s, 'assignee_changed', %(id)s, %(body)s, %(status)s,
            %(attempts)s, %(at)s, %(at)s)
    RETURNING id
"""


def _post(receiver: Receiver, secret: str, delivery_id: str, body: bytes) -> int:
    """A delivery signed as the sender signs it, POSTed to the receiver over HTTP."""
    stamp = int(time.time())
    headers = {
        "content-type": "application/json",
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(stamp),
        STANDARD_SIGNATURE_HEADER: sign_v1(secret, delivery_id, stamp, body),
    }
    return httpx2.post(receiver.url, content=body, headers=headers, timeout=10).status_code


async def test_the_webhook_check_reports_what_breaks_it(stack: Stack):
    """Assignments written straight into SQL, outbox rows in each state, and deliveries
    POSTed to the real receiver: the check reports every assignment never accepted,
    every row not delivered and every delivery no assignment records, counts duplicates
    without failing on them, and the receiver refuses forged requests and (on purpose)
    first attempts."""
    engine = await stack.engine()
    world = await seed(engine, inbox_count=1, agents=2, capped=False)
    watch = await watch_webhooks(stack, engine, world.account_id)
    receiver = watch.receiver
    receiver.refuse_every = 0  # every first attempt accepted, until said otherwise
    assert receiver.secret is not None
    secret = receiver.secret
    probe = stack.probe
    [inbox] = world.inbox_ids
    agent, other = world.members[inbox]
    at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    base = {"account": world.account_id, "inbox": inbox, "agent": agent, "at": at}

    async def assignment(assignee: int = agent) -> tuple[int, bytes]:
        """An assignment record and the body its webhook would carry."""
        [(conversation,)] = await probe.rows(_ADD, {**base, "agent": assignee})
        [(assignment_id,)] = await probe.rows(
            _RECORD + " RETURNING id", {**base, "conversation": conversation, "agent": assignee}
        )
        body = json.dumps(
            {"event": "assignee_changed", "conversation_id": conversation, "assignee_id": assignee}
        ).encode()
        return int(assignment_id), body

    async def outbox(body: bytes, status: str, attempts: int = 1) -> str:
        delivery_id = str(uuid.uuid4())
        await probe.rows(
            _DELIVERY,
            {
                **base,
                "webhook": watch.webhook_id,
                "id": delivery_id,
                "body": body.decode(),
                "status": status,
                "attempts": attempts,
            },
        )
        return delivery_id

    async def report(upto: int = 10**9) -> WebhookReport:
        return await webhook_report(probe, watch.webhook_id, receiver.received(), upto)

    empty = await report()
    assert (empty.checked, empty.clean, empty.lines()) == (0, True, [])

    # an assignment whose event was never queued: lost, and no row to deliver it
    first, body = await assignment()
    found = await report()
    assert not found.clean
    assert list(found.missing) == [first]
    assert found.unsettled == {first: [NO_ROW]}
    assert f"assignment {first}: never accepted by the receiver" in found.lines()[0]
    assert NO_ROW in found.lines()[0]

    # queued and still pending: still lost, and the row is named with its state
    delivery_id = await outbox(body, "pending", attempts=2)
    found = await report()
    assert list(found.missing) == [first]
    assert f"{delivery_id} pending after 2 attempt(s)" in found.missing[first]

    # accepted by the receiver, but the row not marked delivered: no longer lost, still
    # unsettled (the outbox would send it again)
    assert _post(receiver, secret, delivery_id, body) == 204
    found = await report()
    assert found.missing == {}
    assert list(found.unsettled) == [first]
    assert found.lines() == [
        f"assignment {first}: outbox row {delivery_id} pending after 2 attempt(s)"
    ]

    # delivered: clean; the delay is measured from the assignment
    await probe.rows(
        "UPDATE webhook_deliveries SET status = 'delivered' WHERE delivery_id = %(id)s"
        " RETURNING id",
        {"id": delivery_id},
    )
    found = await report()
    assert (found.clean, found.checked, found.phantoms) == (True, 1, [])
    assert 0 <= found.delays[first] < 60

    # accepted again: a duplicate, counted and not failed
    assert _post(receiver, secret, delivery_id, body) == 204
    found = await report()
    assert (found.clean, found.duplicates, found.accepted) == (True, {first: 1}, 2)

    # failed for good, and never accepted: lost; a delivery of the same conversation to
    # another agent (itself reported: no assignment records it), or a forged one, does
    # not stand in for it
    second, body = await assignment()
    failed = await outbox(body, "failed", attempts=5)
    wrong = json.dumps(
        {
            "event": "assignee_changed",
            "conversation_id": json.loads(body)["conversation_id"],
            "assignee_id": other,
        }
    ).encode()
    assert _post(receiver, secret, str(uuid.uuid4()), wrong) == 204
    assert _post(receiver, "not the secret", failed, body) == 400
    assert receiver.rejected == 1
    found = await report()
    assert list(found.missing) == [second]
    assert f"{failed} failed after 5 attempt(s)" in found.missing[second]
    [phantom] = found.phantoms  # the other agent's: no assignment records it
    assert f"conversation {json.loads(body)['conversation_id']} to agent {other}" in phantom
    assert (await report(upto=first)).clean  # only assignments up to an id are checked

    # the receiver answers 503 to the first attempt of every n-th delivery, then accepts
    receiver.refuse_every = 1
    assert _post(receiver, secret, failed, body) == 503
    assert list((await report()).missing) == [second]
    assert _post(receiver, secret, failed, body) == 204
    assert receiver.refused == 1
    found = await report()
    assert (found.missing, list(found.unsettled)) == ({}, [second])

    # waiting: the last report and None once nothing moved for ``stalled`` seconds (or
    # ``within`` passed); the seconds once clean
    waited, took = await wait_for_webhooks(
        probe, watch.webhook_id, receiver.received, second, stalled=0.5, within=30, poll=0.1
    )
    assert (took, waited.clean) == (None, False)
    waited, took = await wait_for_webhooks(
        probe, watch.webhook_id, receiver.received, second, stalled=30, within=0.5, poll=0.1
    )
    assert (took, waited.clean) == (None, False)

    async def progress_then_delivered() -> None:
        """Accepted again after 1.2 s (progress), the row delivered 1.2 s later."""
        await asyncio.sleep(1.2)
        assert await asyncio.to_thread(_post, receiver, secret, failed, body) == 204
        await asyncio.sleep(1.2)
        async with await psycopg.AsyncConnection.connect(stack.url, autocommit=True) as conn:
            await conn.execute(
                "UPDATE webhook_deliveries SET status = 'delivered' WHERE delivery_id = %s",
                (failed,),
            )

    helper = asyncio.create_task(progress_then_delivered())
    waited, took = await wait_for_webhooks(
        probe, watch.webhook_id, receiver.received, second, stalled=2.0, within=10, poll=0.1
    )
    await helper
    assert took is not None
    assert took > 2.0  # longer than a stall: the progress in between kept it waiting
    assert (waited.clean, waited.checked, waited.duplicates) == (True, 2, {first: 1, second: 1})
