"""End to end, on both back ends: the Chatwoot double → webhooks → connector →
autoassign → assignment written back to the double, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from autoassign.services import chatwoot_connections
from tests.chatwoot.conftest import Stack, eventually
from tests.chatwoot.double import ACCOUNT, TOKEN, ChatwootDouble


async def _connect(stack: Stack) -> tuple[int, str]:
    """Connect the account, then switch autoassign on for every inbox the way a
    Chatwoot client would: a policy (wrapped body), linked from the policy's side."""
    done = await chatwoot_connections.connect(
        stack.served.cx,
        base_url=stack.double.url,
        chatwoot_account_id=ACCOUNT,
        api_token=TOKEN,
        public_url=stack.served.url,
    )
    connected = done.value
    assert connected.webhook_registered
    assert connected.api_access_token
    account, token = connected.connection.account_id, connected.api_access_token
    base = f"/api/v1/accounts/{account}"
    policy = await stack.served.call(
        "POST",
        base + "/assignment_policies",
        token,
        json={"assignment_policy": {"name": "Chatwoot", "fair_distribution_limit": 100}},
    )
    assert policy.status_code == 200, policy.text
    inboxes = (await stack.served.call("GET", base + "/inboxes", token)).json()
    for inbox in inboxes["payload"] if isinstance(inboxes, dict) else inboxes:
        linked = await stack.served.call(
            "POST",
            f"{base}/assignment_policies/{policy.json()['id']}/inboxes",
            token,
            json={"inbox_id": inbox["id"]},
        )
        assert linked.status_code == 200, linked.text
    return account, token


def _directory(double: ChatwootDouble) -> dict[str, int]:
    ann = double.add_agent("Ann")
    bob = double.add_agent("Bob")
    cid = double.add_agent("Cid", availability="offline")
    inbox = double.add_inbox("Support", [ann, bob, cid])
    team = double.add_team("Billing", [ann])
    return {"ann": ann, "bob": bob, "cid": cid, "inbox": inbox, "team": team}


async def _local(stack: Stack, account: int, token: str, chatwoot_id: int) -> dict[str, Any]:
    connection = await stack.served.cx.store.connection(account)
    assert connection is not None
    link = await stack.served.cx.store.conversation_link(connection.id, chatwoot_id)
    assert link is not None
    path = f"/api/v1/accounts/{account}/conversations/{link.conversation_id}"
    found: dict[str, Any] = (await stack.served.call("GET", path, token)).json()
    return found


async def test_conversations_are_assigned_and_written_back(stack: Stack):
    double = stack.double
    ids = _directory(double)
    account, token = await _connect(stack)
    for _ in range(4):
        await double.new_conversation(ids["inbox"])
    await eventually(lambda: len(double.assignments) == 4)
    per_agent = Counter(agent for _, agent in double.assignments)
    assert per_agent == {ids["ann"]: 2, ids["bob"]: 2}  # round robin, Cid is offline
    assert Counter(c for c, _ in double.assignments) == {1: 1, 2: 1, 3: 1, 4: 1}
    assert double.invalid_requests() == []
    # the write-back came back as conversation_updated: nothing changes, nothing repeats
    await eventually(
        lambda: sum(1 for e, _ in double.deliveries if e == "conversation_updated") >= 4
    )
    first = await _local(stack, account, token, 1)
    assert first["status"] == "open"

    # status, labels, priority, team: Chatwoot's state reaches autoassign
    await double.change(1, status="resolved", labels=["vip"], priority="high", team_id=ids["team"])

    async def resolved() -> bool:
        found = await _local(stack, account, token, 1)
        return bool(found["status"] == "resolved" and found["labels"] == ["vip"])

    await eventually(resolved)
    found = await _local(stack, account, token, 1)
    assert found["priority"] == "high"
    assert found["team_id"] is not None

    # a person assigns in Chatwoot: autoassign follows and writes nothing back
    target = double.conversations[2]
    other = ids["bob"] if target.assignee_id == ids["ann"] else ids["ann"]
    await double.change(2, assignee_id=other)
    agents = (await stack.served.call("GET", f"/api/v1/accounts/{account}/agents", token)).json()
    local_other = next(a["id"] for a in agents if a["name"] == double.agents[other]["name"])

    async def followed() -> bool:
        return bool((await _local(stack, account, token, 2))["assignee_id"] == local_other)

    await eventually(followed)
    assert len(double.assignments) == 4
    assert double.invalid_requests() == []


async def test_duplicate_and_out_of_order_webhooks_are_harmless(stack: Stack):
    double = stack.double
    ids = _directory(double)
    account, token = await _connect(stack)
    conversation = await double.new_conversation(ids["inbox"])
    await eventually(lambda: len(double.assignments) == 1)
    stale = {"event": "conversation_updated", **double.conversation_payload(conversation)}
    stale["status"], stale["meta"]["assignee"] = "open", None
    stale["updated_at"] = conversation.updated_at - 100  # older than what was applied
    await double.change(conversation.id, status="pending")
    await eventually(lambda: _status(stack, account, token, conversation.id, "pending"))
    # the same delivery again, and an old state arriving late: neither changes anything
    await double.deliver("conversation_updated", stale, delivery="late-one")
    await double.deliver("conversation_updated", stale, delivery="late-one")
    await double.emit("conversation_created", conversation)
    await stack.served.app.state.chatwoot_runner.run_round()
    found = await _local(stack, account, token, conversation.id)
    assert found["status"] == "pending"
    assert found["assignee_id"] is not None
    assert len(double.assignments) == 1
    assert 200 in {code for _, code in double.deliveries}
    receipt = await _post_raw(stack, account, stale, "late-one")
    assert receipt == {"status": "duplicate"}


async def test_messages_keep_the_wait_the_unanswered_timer_reads(stack: Stack):
    """message_created: an agent's reply ends the customer's wait and is the first
    reply; the customer writing again starts a new wait."""
    double = stack.double
    ids = _directory(double)
    account, token = await _connect(stack)
    conversation = await double.new_conversation(ids["inbox"])
    await eventually(lambda: len(double.assignments) == 1)
    created = await _local(stack, account, token, conversation.id)
    assert created["waiting_since"] is not None  # waiting from the start, as in Chatwoot
    agent = {"id": ids["ann"], "name": "Ann", "type": "user"}
    await double.message(conversation.id, "on it", incoming=False, sender=agent)

    async def answered() -> bool:
        found = await _local(stack, account, token, conversation.id)
        return found["waiting_since"] is None and found["first_reply_created_at"] is not None

    await eventually(answered)
    await double.message(conversation.id, "still there?")

    async def waiting() -> bool:
        return (await _local(stack, account, token, conversation.id))["waiting_since"] is not None

    await eventually(waiting)


async def _status(stack: Stack, account: int, token: str, cid: int, status: str) -> bool:
    return bool((await _local(stack, account, token, cid))["status"] == status)


async def _post_raw(stack: Stack, account: int, payload: dict[str, Any], delivery: str) -> Any:
    hook = stack.double.webhooks[0]["url"]
    import httpx2

    async with httpx2.AsyncClient(trust_env=False) as client:
        response = await client.post(
            hook, content=json.dumps(payload), headers={"X-Chatwoot-Delivery": delivery}
        )
    return response.json()


async def test_chatwoot_down_then_back_every_assignment_arrives_once(stack: Stack):
    """Chatwoot's API goes down while conversations keep arriving; autoassign restarts
    in the middle; once Chatwoot is back each assignment is written exactly once."""
    double = stack.double
    ids = _directory(double)
    await _connect(stack)
    await double.stop()
    for _ in range(6):
        await double.new_conversation(ids["inbox"])  # webhooks still flow: the API is down
    counts = await _pending(stack)
    await eventually(lambda: _pending_is(stack, 6))
    assert counts >= 0
    # autoassign restarts while Chatwoot is down: the outbox is in the database
    await stack.served.stop()
    await stack.served.start()
    await double.start()
    await eventually(lambda: len(double.assignments) == 6, timeout=30)
    await stack.served.app.state.chatwoot_runner.run_round()
    assert Counter(c for c, _ in double.assignments) == {c: 1 for c in range(1, 7)}
    posts = [r for r in double.requests if r.operation == "assign-a-conversation"]
    assert len(posts) == 6
    assert double.invalid_requests() == []


async def _pending(stack: Stack) -> int:
    cx = stack.served.cx
    connection = (await cx.store.connections())[0]
    return (await cx.store.writeback_counts(connection.id)).pending


async def _pending_is(stack: Stack, expected: int) -> bool:
    return await _pending(stack) == expected
