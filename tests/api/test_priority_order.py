"""The priority and SLA orders through the API on both back ends (issue 13.2): the most
urgent, or the one due first, is served first; priority and due time round-trip."""

from __future__ import annotations

import time
from typing import Any

from tests.api.conftest import Account, Api


def served_first(api: Api, account: Account, order: str, shapes: list[dict[str, Any]]) -> int:
    """Conversations wait while the only agent is offline; then the agent (capacity 1)
    comes online and takes one: its index in ``shapes``."""
    agent = api.agent(account, "Solo", availability="offline")["id"]
    inbox = api.inbox(account, [agent], policy={"conversation_priority": order})
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": f"one-{order}"})
    api.ok(
        "POST",
        account,
        f"/agent_capacity_policies/{capacity['id']}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 1},
    )
    api.ok(
        "POST",
        account,
        f"/agent_capacity_policies/{capacity['id']}/users",
        json={"user_id": agent},
    )
    ids = [api.conversation(account, inbox["id"], **shape)["id"] for shape in shapes]
    api.ok("PATCH", account, f"/agents/{agent}", json={"availability": "online"})
    mine = api.ok("GET", account, "/conversations", params={"assignee_id": agent})["payload"]
    assert len(mine) == 1
    return ids.index(mine[0]["id"])


def test_the_priority_order_serves_the_most_urgent_first(api: Api, account: Account):
    shapes: list[dict[str, Any]] = [
        {"priority": "low"},
        {},
        {"priority": "urgent"},
        {"priority": "high"},
    ]
    assert served_first(api, account, "priority", shapes) == 2
    assert served_first(api, account, "earliest_created", shapes) == 0


def test_the_sla_order_serves_the_earliest_due_first(api: Api, account: Account):
    soon, later = int(time.time()) + 60, int(time.time()) + 600
    shapes: list[dict[str, Any]] = [
        {"priority": "urgent"},
        {"sla_due_at": later},
        {"sla_due_at": soon, "priority": "low"},
        {"sla_due_at": soon, "priority": "high"},
    ]
    assert served_first(api, account, "sla_due", shapes) == 3  # due first; high breaks the tie


def test_due_time_and_priority_round_trip(api: Api, account: Account):
    agent = api.agent(account)["id"]
    inbox = api.inbox(account, [agent])
    due = int(time.time()) + 300
    created = api.conversation(account, inbox["id"], priority="high", sla_due_at=due)
    assert (created["priority"], created["sla_due_at"]) == ("high", due)
    cleared = api.ok("PATCH", account, f"/conversations/{created['id']}", json={"sla_due_at": None})
    assert cleared["sla_due_at"] is None
    bad = api.call(
        "POST", account, "/conversations", json={"inbox_id": inbox["id"], "sla_due_at": "soon"}
    )
    assert bad.status_code == 422
    policy = api.call(
        "POST", account, "/assignment_policies", json={"name": "P", "conversation_priority": "vip"}
    )
    assert policy.status_code == 422


def test_a_team_conversation_overflows_after_the_wait(api: Api, account: Account):
    """Issue 13.5: the team's member is offline; after one second the conversation
    widens to the overflow team, woken by its own timer (no sweep, no event)."""
    member = api.agent(account, "Member", availability="offline")["id"]
    backup, other = api.agent(account, "Backup")["id"], api.agent(account, "Other")["id"]
    team = api.ok("POST", account, "/teams", json={"name": "Billing"})
    api.ok("POST", account, f"/teams/{team['id']}/team_members", json={"user_ids": [member]})
    spare = api.ok("POST", account, "/teams", json={"name": "Backup"})
    api.ok("POST", account, f"/teams/{spare['id']}/team_members", json={"user_ids": [backup]})
    inbox = api.inbox(
        account,
        [member, backup, other],
        policy={"overflow_after_seconds": 1, "overflow_team_id": spare["id"]},
    )
    waiting = api.conversation(account, inbox["id"], team_id=team["id"])
    assert waiting["assignee_id"] is None
    why = api.ok("GET", account, f"/conversations/{waiting['id']}/assignment_explanation")
    assert why["waits_until"] >= waiting["created_at"] + 1
    deadline = time.monotonic() + 15
    while api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] is None:
        assert time.monotonic() < deadline, "did not overflow"
        time.sleep(0.1)
        api.drain()
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == backup
    elsewhere = api.new_account("Elsewhere")
    foreign = api.ok("POST", elsewhere, "/teams", json={"name": "Theirs"})
    refused = api.call(
        "POST",
        account,
        "/assignment_policies",
        json={"name": "X", "overflow_after_seconds": 5, "overflow_team_id": foreign["id"]},
    )
    assert refused.status_code == 404
    lonely = api.call(
        "POST", account, "/assignment_policies", json={"name": "Y", "overflow_team_id": spare["id"]}
    )
    assert lonely.status_code == 422


def test_a_returning_contact_gets_their_earlier_agent(api: Api, account: Account):
    """Issue 13.3: sticky_days remembers the contact's agent in the inbox; an explicit
    preferred agent wins too; a preferred agent at a limit is waited for, then not."""
    a, b = api.agent(account, "A")["id"], api.agent(account, "B")["id"]
    inbox = api.inbox(account, [a, b], policy={"sticky_days": 30, "preferred_hold_seconds": 1})
    first = api.conversation(account, inbox["id"], contact_id=77)
    agent = first["assignee_id"]
    api.ok("PATCH", account, f"/conversations/{first['id']}", json={"status": "resolved"})
    for _ in range(3):  # the rotation would alternate; the contact stays with their agent
        again = api.conversation(account, inbox["id"], contact_id=77)
        assert again["assignee_id"] == agent
        api.ok("PATCH", account, f"/conversations/{again['id']}", json={"status": "resolved"})
    other = b if agent == a else a
    named = api.conversation(account, inbox["id"], contact_id=77, preferred_agent_id=other)
    assert named["assignee_id"] == other
    # the preferred agent at a capacity of 1: held one second for them, then anyone
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "one"})
    api.ok(
        "POST",
        account,
        f"/agent_capacity_policies/{capacity['id']}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 1},
    )
    api.ok(
        "POST", account, f"/agent_capacity_policies/{capacity['id']}/users", json={"user_id": other}
    )
    held = api.conversation(account, inbox["id"], preferred_agent_id=other)
    assert held["assignee_id"] is None
    why = api.ok("GET", account, f"/conversations/{held['id']}/assignment_explanation")
    assert why["result"] == "held_for_preferred_agent"
    deadline = time.monotonic() + 15
    while api.ok("GET", account, f"/conversations/{held['id']}")["assignee_id"] is None:
        assert time.monotonic() < deadline, "the hold never ended"
        time.sleep(0.1)
        api.drain()
    assert api.ok("GET", account, f"/conversations/{held['id']}")["assignee_id"] == agent
