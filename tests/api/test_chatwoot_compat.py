"""Chatwoot's request shapes through HTTP: wrapped bodies, PUT, the policy's inboxes,
token roles, and the fields a Chatwoot client reads."""

from __future__ import annotations

import json

from autoassign.chatwoot.signature import sign
from tests.api.conftest import ADMIN, Account, Api


def test_wrapped_and_flat_bodies_are_the_same_request(api: Api, account: Account):
    wrapped = api.ok(
        "POST",
        account,
        "/assignment_policies",
        json={"assignment_policy": {"name": "Wrapped", "fair_distribution_limit": 7}},
    )
    assert wrapped["fair_distribution_limit"] == 7
    changed = api.ok(
        "PUT",
        account,
        f"/assignment_policies/{wrapped['id']}",
        json={"assignment_policy": {"enabled": False}},
    )
    assert changed["enabled"] is False
    assert changed["name"] == "Wrapped"
    capacity = api.ok(
        "POST",
        account,
        "/agent_capacity_policies",
        json={
            "agent_capacity_policy": {"name": "Cap", "exclusion_rules": {"excluded_labels": ["x"]}}
        },
    )
    inbox = api.ok("POST", account, "/inboxes", json={"name": "Support"})
    limit = api.ok(
        "POST",
        account,
        f"/agent_capacity_policies/{capacity['id']}/inbox_limits",
        json={"inbox_limit": {"inbox_id": inbox["id"], "conversation_limit": 3}},
    )
    assert limit["conversation_limit"] == 3
    both = api.call(
        "POST",
        account,
        "/assignment_policies",
        json={"assignment_policy": {"name": "A"}, "name": "B"},
    )
    assert both.status_code == 422
    assert "not both" in both.json()["details"][0]["message"]


def test_put_wherever_chatwoot_routes_it(api: Api, account: Account):
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "Cap"})
    renamed = api.ok(
        "PUT",
        account,
        f"/agent_capacity_policies/{capacity['id']}",
        json={"agent_capacity_policy": {"name": "Renamed"}},
    )
    assert renamed["name"] == "Renamed"
    agent = api.agent(account)
    assert api.ok("PUT", account, f"/agents/{agent['id']}", json={"name": "Bo"})["name"] == "Bo"
    inbox = api.ok("POST", account, "/inboxes", json={"name": "In"})
    assert api.ok("PUT", account, f"/inboxes/{inbox['id']}", json={"name": "Out"})["name"] == "Out"
    team = api.ok("POST", account, "/teams", json={"name": "T"})
    assert api.ok("PUT", account, f"/teams/{team['id']}", json={"name": "U"})["name"] == "U"
    missing = api.call("PUT", account, "/agent_capacity_policies/999999", json={"name": "x"})
    assert missing.status_code == 404


def test_inboxes_are_linked_and_unlinked_from_the_policy_side(api: Api, account: Account):
    policy = api.ok("POST", account, "/assignment_policies", json={"name": "P"})
    other = api.ok("POST", account, "/assignment_policies", json={"name": "Q"})
    inbox = api.ok("POST", account, "/inboxes", json={"name": "Support"})
    base = f"/assignment_policies/{policy['id']}"
    link = api.ok("POST", account, base + "/inboxes", json={"inbox_id": inbox["id"]})
    assert link["inbox_id"] == inbox["id"]
    assert link["assignment_policy_id"] == policy["id"]
    assert isinstance(link["created_at"], int)
    assert isinstance(link["updated_at"], int)
    shown = api.ok("GET", account, base)
    assert shown["assigned_inbox_count"] == 1
    assert isinstance(shown["created_at"], int)
    assert isinstance(shown["updated_at"], int)
    listed = api.ok("GET", account, base + "/inboxes")
    assert [i["id"] for i in listed["inboxes"]] == [inbox["id"]]
    wrong = api.call("DELETE", account, f"/assignment_policies/{other['id']}/inboxes/{inbox['id']}")
    assert wrong.status_code == 404
    assert "not linked" in wrong.json()["error"]
    assert api.call("DELETE", account, f"{base}/inboxes/{inbox['id']}").status_code == 204
    assert api.ok("GET", account, base)["assigned_inbox_count"] == 0
    unknown = api.call("POST", account, base + "/inboxes", json={"inbox_id": 999999})
    assert unknown.status_code == 404


def test_an_agent_token_gets_401_on_administration_routes(api: Api, account: Account):
    created = api.ok("POST", account, "/tokens", json={"name": "desk", "role": "agent"})
    assert created["role"] == "agent"
    assert created["api_access_token"]
    agent = Account(account.id, created["api_access_token"])
    assert api.call("GET", agent, "/agents").status_code == 200
    assert api.call("GET", agent, "/conversations").status_code == 200
    for method, path in [
        ("GET", "/assignment_policies"),
        ("POST", "/assignment_policies"),
        ("GET", "/agent_capacity_policies"),
        ("GET", "/tokens"),
        ("POST", "/agents"),
        ("GET", "/webhooks"),
    ]:
        refused = api.call(method, agent, path, json={})
        assert refused.status_code == 401, (method, path)
        assert refused.json()["error"] == "You are not authorized to do this action"


def test_tokens_are_listed_and_revoked(api: Api, account: Account):
    extra = api.ok("POST", account, "/tokens", json={"token": {"name": "ci"}})
    assert extra["role"] == "administrator"
    listed = api.ok("GET", account, "/tokens")
    assert [(t["name"], t["role"]) for t in listed] == [
        ("default", "administrator"),
        ("ci", "administrator"),
    ]
    assert all("api_access_token" not in t for t in listed)
    assert api.call("DELETE", account, f"/tokens/{extra['id']}").status_code == 204
    revoked = Account(account.id, extra["api_access_token"])
    assert api.call("GET", revoked, "/agents").status_code == 401
    assert api.call("DELETE", account, f"/tokens/{extra['id']}").status_code == 404
    bad = api.call("POST", account, "/tokens", json={"role": "owner"})
    assert bad.status_code == 422
    platform = api.client.get(
        f"/platform/api/v1/accounts/{account.id}/tokens", headers={"api_access_token": ADMIN}
    )
    assert [t["name"] for t in platform.json()] == ["default"]


def test_the_webhook_endpoint_refuses_bad_input_precisely(api: Api, account: Account):
    client = api.client
    unknown = client.post("/chatwoot/webhooks/" + "x" * 43, json={"event": "conversation_created"})
    assert unknown.status_code == 404
    assert client.post("/chatwoot/webhooks/short", json={}).status_code == 422
    assert sign("s", 1, b"{}").startswith("sha256=")
    big = client.post(
        "/chatwoot/webhooks/" + "x" * 43,
        content=json.dumps({"event": "x", "pad": "a" * 1_000_001}),
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["error"].startswith("a webhook body is at most")
