"""Opt-outs and a total capacity through the API on both back ends (issue 13.7):
watchers never receive auto-assignments; an agent's total across inboxes holds; each
decision is explained."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Account, Api


def why(api: Api, account: Account, cid: int) -> dict[str, Any]:
    found: dict[str, Any] = api.ok("GET", account, f"/conversations/{cid}/assignment_explanation")
    return found


def test_a_watcher_never_receives_auto_assignments(api: Api, account: Account):
    watcher, worker = api.agent(account, "Watcher")["id"], api.agent(account, "Worker")["id"]
    inbox = api.inbox(account, [watcher, worker])
    member = api.ok(
        "PATCH", account, f"/inboxes/{inbox['id']}/members/{watcher}", json={"auto_assign": False}
    )
    assert member == {
        "inbox_id": inbox["id"],
        "agent_id": watcher,
        "auto_assign": False,
        "weight": 1,
    }
    for _ in range(3):
        assert api.conversation(account, inbox["id"])["assignee_id"] == worker
    api.ok("PATCH", account, f"/agents/{worker}", json={"availability": "offline"})
    waiting = api.conversation(account, inbox["id"])
    assert waiting["assignee_id"] is None
    reasons = {a["agent_id"]: a["reason"] for a in why(api, account, waiting["id"])["agents"]}
    assert reasons == {watcher: "opted_out", worker: "offline"}
    # opting back in runs the inbox: the waiting conversation goes to the watcher
    api.ok(
        "PATCH", account, f"/inboxes/{inbox['id']}/members/{watcher}", json={"auto_assign": True}
    )
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == watcher
    outsider = api.agent(account, "Outsider")["id"]
    missing = api.call(
        "PATCH", account, f"/inboxes/{inbox['id']}/members/{outsider}", json={"auto_assign": False}
    )
    assert missing.status_code == 404
    bad = api.call(
        "PATCH", account, f"/inboxes/{inbox['id']}/members/{watcher}", json={"auto_assign": "maybe"}
    )
    assert bad.status_code == 422


def test_a_total_limit_holds_across_inboxes_and_frees_them_all(api: Api, account: Account):
    agent = api.agent(account, "Solo")["id"]
    first, second = api.inbox(account, [agent]), api.inbox(account, [agent])
    policy = api.ok(
        "POST", account, "/agent_capacity_policies", json={"name": "T", "total_limit": 1}
    )
    assert policy["total_limit"] == 1
    api.ok(
        "POST", account, f"/agent_capacity_policies/{policy['id']}/users", json={"user_id": agent}
    )
    held = api.conversation(account, first["id"])
    assert held["assignee_id"] == agent
    waiting = api.conversation(account, second["id"])
    assert waiting["assignee_id"] is None
    assert why(api, account, waiting["id"])["agents"] == [
        {"agent_id": agent, "reason": "at_total_capacity"}
    ]
    # resolving in the first inbox frees the place the second inbox waits for
    api.ok("PATCH", account, f"/conversations/{held['id']}", json={"status": "resolved"})
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == agent
    # raising the limit runs every inbox of the policy's agents
    third = api.conversation(account, first["id"])
    assert third["assignee_id"] is None
    raised = api.ok(
        "PATCH", account, f"/agent_capacity_policies/{policy['id']}", json={"total_limit": 2}
    )
    assert raised["total_limit"] == 2
    assert api.ok("GET", account, f"/conversations/{third['id']}")["assignee_id"] == agent
    off = api.ok(
        "PATCH", account, f"/agent_capacity_policies/{policy['id']}", json={"total_limit": None}
    )
    assert off["total_limit"] is None
    refused = api.call(
        "POST", account, "/agent_capacity_policies", json={"name": "Z", "total_limit": 0}
    )
    assert refused.status_code == 422


def test_weighted_shares(api: Api, account: Account):
    """Issue 13.6: a member with weight 3 takes three conversations for each of a member
    with weight 1 (weighted round robin)."""
    senior, junior = api.agent(account, "Senior")["id"], api.agent(account, "Junior")["id"]
    inbox = api.inbox(account, [senior, junior], policy={"fair_distribution_limit": 1000})
    weighted = api.ok(
        "PATCH", account, f"/inboxes/{inbox['id']}/members/{senior}", json={"weight": 3}
    )
    assert (weighted["weight"], weighted["auto_assign"]) == (3, True)
    got = [api.conversation(account, inbox["id"])["assignee_id"] for _ in range(8)]
    assert got.count(senior) == 6
    assert got.count(junior) == 2
    bad = api.call("PATCH", account, f"/inboxes/{inbox['id']}/members/{senior}", json={"weight": 0})
    assert bad.status_code == 422
