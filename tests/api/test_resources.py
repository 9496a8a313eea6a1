"""CRUD of every resource through HTTP, happy paths and their error cases."""

from __future__ import annotations

from tests.api.conftest import Api


def test_agents_crud(api: Api, account):
    created = api.ok("POST", account, "/agents", json={"name": "Ann", "email": "ann@example.com"})
    assert created["name"] == "Ann"
    blank = api.call("POST", account, "/agents", json={"name": " \r\n"})
    assert blank.status_code == 422
    assert blank.json()["details"][0]["field"] == "name"
    assert created["availability"] == "offline"  # new agents take no work until online
    assert created["auto_offline"] is False
    agent_id = created["id"]
    assert api.ok("GET", account, f"/agents/{agent_id}") == created
    assert [a["id"] for a in api.ok("GET", account, "/agents")] == [agent_id]
    updated = api.ok("PATCH", account, f"/agents/{agent_id}", json={"availability": "busy"})
    assert updated["availability"] == "busy"
    bad = api.call("PATCH", account, f"/agents/{agent_id}", json={"availability": "away"})
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "availability"
    null = api.call("PATCH", account, f"/agents/{agent_id}", json={"name": None})
    assert null.status_code == 422
    assert null.json()["details"] == [{"field": "name", "message": "Value error, must not be null"}]
    assert (
        api.call("POST", account, "/agents", json={"name": "x", "email": "nope"}).status_code == 422
    )
    assert api.call("DELETE", account, f"/agents/{agent_id}").status_code == 204
    assert api.call("GET", account, f"/agents/{agent_id}").status_code == 404


def test_inboxes_and_members(api: Api, account):
    a, b, c = (api.agent(account, n)["id"] for n in ("A", "B", "C"))
    inbox = api.ok("POST", account, "/inboxes", json={"name": "Web"})
    assert inbox["enable_auto_assignment"] is True
    assert api.ok("GET", account, "/inboxes")["payload"] == [inbox]
    members = api.ok(
        "POST", account, "/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [a, b]}
    )
    assert [m["id"] for m in members["payload"]] == [a, b]
    replaced = api.ok(
        "PATCH", account, "/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [b, c]}
    )
    assert [m["id"] for m in replaced["payload"]] == [b, c]
    removed = api.ok(
        "DELETE", account, "/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [b]}
    )
    assert [m["id"] for m in removed["payload"]] == [c]
    assert [
        m["id"] for m in api.ok("GET", account, f"/inbox_members/{inbox['id']}")["payload"]
    ] == [c]
    unknown = api.call(
        "POST", account, "/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [999999]}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "agent 999999 not found"
    renamed = api.ok(
        "PATCH", account, f"/inboxes/{inbox['id']}", json={"enable_auto_assignment": False}
    )
    assert renamed["enable_auto_assignment"] is False
    assert api.call("DELETE", account, f"/inboxes/{inbox['id']}").status_code == 204
    assert api.call("GET", account, f"/inbox_members/{inbox['id']}").status_code == 404


def test_teams_and_members(api: Api, account):
    a, b = api.agent(account, "A")["id"], api.agent(account, "B")["id"]
    team = api.ok("POST", account, "/teams", json={"name": "Billing"})
    assert team["allow_auto_assign"] is True
    assert [
        m["id"]
        for m in api.ok(
            "POST", account, f"/teams/{team['id']}/team_members", json={"user_ids": [a, b]}
        )
    ] == [a, b]
    assert [
        m["id"]
        for m in api.ok(
            "PATCH", account, f"/teams/{team['id']}/team_members", json={"user_ids": [b]}
        )
    ] == [b]
    assert (
        api.ok("DELETE", account, f"/teams/{team['id']}/team_members", json={"user_ids": [b]}) == []
    )
    assert (
        api.ok("PATCH", account, f"/teams/{team['id']}", json={"allow_auto_assign": False})[
            "allow_auto_assign"
        ]
        is False
    )
    assert api.ok("GET", account, "/teams") == [api.ok("GET", account, f"/teams/{team['id']}")]
    assert api.call("DELETE", account, f"/teams/{team['id']}").status_code == 204


def test_assignment_policies_crud_and_links(api: Api, account):
    policy = api.ok("POST", account, "/assignment_policies", json={"name": "Minimal Policy"})
    assert policy == {
        **policy,
        "assignment_order": "round_robin",
        "conversation_priority": "earliest_created",
        "fair_distribution_limit": 100,
        "fair_distribution_window": 3600,
        "enabled": True,
        "exclude_older_than_hours": 168,
        "assigned_inbox_count": 0,
    }
    duplicate = api.call("POST", account, "/assignment_policies", json={"name": "Minimal Policy"})
    assert duplicate.status_code == 409
    window = api.call(
        "POST", account, "/assignment_policies", json={"name": "W", "fair_distribution_window": 0}
    )
    assert window.status_code == 422
    assert window.json()["details"][0]["field"] == "fair_distribution_window"
    order = api.call(
        "POST", account, "/assignment_policies", json={"name": "O", "assignment_order": "random"}
    )
    assert order.status_code == 422
    assert "round_robin" in order.json()["details"][0]["message"]
    assert api.call("POST", account, "/assignment_policies", json={"name": ""}).status_code == 422

    changed = api.ok(
        "PATCH",
        account,
        f"/assignment_policies/{policy['id']}",
        json={"assignment_order": "balanced", "exclude_older_than_hours": None},
    )
    assert changed["assignment_order"] == "balanced"
    assert changed["exclude_older_than_hours"] is None
    assert (
        api.ok("PUT", account, f"/assignment_policies/{policy['id']}", json={"enabled": False})[
            "enabled"
        ]
        is False
    )
    assert (
        api.call(
            "PATCH", account, f"/assignment_policies/{policy['id']}", json={"enabled": None}
        ).status_code
        == 422
    )

    inbox = api.ok("POST", account, "/inboxes", json={"name": "Web"})
    none = api.call("GET", account, f"/inboxes/{inbox['id']}/assignment_policy")
    assert none.status_code == 404
    linked = api.ok(
        "POST",
        account,
        f"/inboxes/{inbox['id']}/assignment_policy",
        json={"assignment_policy_id": policy["id"]},
    )
    assert linked["id"] == policy["id"]
    assert linked["assigned_inbox_count"] == 1
    assert api.ok("GET", account, f"/inboxes/{inbox['id']}/assignment_policy")["id"] == policy["id"]
    assert [
        i["id"]
        for i in api.ok("GET", account, f"/assignment_policies/{policy['id']}/inboxes")["inboxes"]
    ] == [inbox["id"]]
    other = api.ok("POST", account, "/assignment_policies", json={"name": "Other"})
    api.ok(
        "POST",
        account,
        f"/inboxes/{inbox['id']}/assignment_policy",
        json={"assignment_policy_id": other["id"]},
    )
    assert (
        api.ok("GET", account, f"/assignment_policies/{policy['id']}/inboxes")["inboxes"] == []
    )  # replaced
    assert (
        api.call("DELETE", account, f"/inboxes/{inbox['id']}/assignment_policy").status_code == 204
    )
    assert (
        api.call("DELETE", account, f"/inboxes/{inbox['id']}/assignment_policy").status_code == 404
    )
    assert (
        api.call(
            "POST",
            account,
            f"/inboxes/{inbox['id']}/assignment_policy",
            json={"assignment_policy_id": 999999},
        ).status_code
        == 404
    )
    assert api.call("DELETE", account, f"/assignment_policies/{policy['id']}").status_code == 204
    assert [p["id"] for p in api.ok("GET", account, "/assignment_policies")] == [other["id"]]


def test_capacity_policies_users_and_inbox_limits(api: Api, account):
    agent = api.agent(account)
    inbox = api.ok("POST", account, "/inboxes", json={"name": "Web"})
    policy = api.ok(
        "POST",
        account,
        "/agent_capacity_policies",
        json={
            "name": "Standard",
            "exclusion_rules": {"excluded_labels": ["spam"], "exclude_older_than_hours": 24},
        },
    )
    assert policy["exclusion_rules"] == {
        "excluded_labels": ["spam"],
        "exclude_older_than_hours": 24,
    }
    assert policy["assigned_agent_count"] == 0
    base = f"/agent_capacity_policies/{policy['id']}"
    limit = api.ok(
        "POST",
        account,
        f"{base}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 3},
    )
    assert limit == {
        **limit,
        "agent_capacity_policy_id": policy["id"],
        "inbox_id": inbox["id"],
        "conversation_limit": 3,
    }
    dup = api.call(
        "POST",
        account,
        f"{base}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 5},
    )
    assert dup.status_code == 409
    zero = api.call(
        "POST",
        account,
        f"{base}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 0},
    )
    assert zero.status_code == 422
    assert (
        api.ok(
            "PUT", account, f"{base}/inbox_limits/{limit['id']}", json={"conversation_limit": 4}
        )["conversation_limit"]
        == 4
    )
    assert (
        api.ok("POST", account, f"{base}/users", json={"user_id": agent["id"]})[
            "capacity_policy_id"
        ]
        == policy["id"]
    )
    assert [u["id"] for u in api.ok("GET", account, f"{base}/users")] == [agent["id"]]
    shown = api.ok("GET", account, base)
    assert shown["assigned_agent_count"] == 1
    assert [(x["inbox_id"], x["conversation_limit"]) for x in shown["inbox_capacity_limits"]] == [
        (inbox["id"], 4)
    ]
    renamed = api.ok(
        "PATCH", account, base, json={"exclusion_rules": {"excluded_labels": ["bot", "bot"]}}
    )
    assert renamed["exclusion_rules"] == {
        "excluded_labels": ["bot"],
        "exclude_older_than_hours": None,
    }
    assert api.call("DELETE", account, f"{base}/users/{agent['id']}").status_code == 204
    assert api.call("DELETE", account, f"{base}/users/{agent['id']}").status_code == 404
    assert api.call("DELETE", account, f"{base}/inbox_limits/{limit['id']}").status_code == 204
    assert api.call("DELETE", account, f"{base}/inbox_limits/{limit['id']}").status_code == 404
    assert api.call("DELETE", account, base).status_code == 204
    assert api.ok("GET", account, "/agent_capacity_policies") == []


def test_webhooks_crud(api: Api, account):
    hook = api.ok("POST", account, "/webhooks", json={"url": "https://example.com/hook"})
    assert hook["subscriptions"] == ["assignee_changed"]
    assert len(hook["secret"]) == 64
    assert api.ok("GET", account, "/webhooks")["payload"] == [hook]
    assert api.call("POST", account, "/webhooks", json={"url": "ftp://x"}).status_code == 422
    assert (
        api.call(
            "POST", account, "/webhooks", json={"url": "https://x", "subscriptions": ["nope"]}
        ).status_code
        == 422
    )
    moved = api.ok(
        "PATCH", account, f"/webhooks/{hook['id']}", json={"url": "https://example.org/h"}
    )
    assert moved["url"] == "https://example.org/h"
    assert api.call("DELETE", account, f"/webhooks/{hook['id']}").status_code == 204
    assert api.call("GET", account, f"/webhooks/{hook['id']}").status_code == 404
