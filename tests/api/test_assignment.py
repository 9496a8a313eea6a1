"""Assignment through HTTP: triggers, run-now, manual assignment, explanations, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import Account, Api


def explain(api: Api, account: Account, conversation_id: int) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        "GET", account, f"/conversations/{conversation_id}/assignment_explanation"
    )
    return result


def test_a_new_open_conversation_is_assigned_and_explained(api: Api, account):
    a, b = api.agent(account, "A")["id"], api.agent(account, "B")["id"]
    inbox = api.inbox(account, [a, b])
    first = api.conversation(account, inbox["id"], labels=["billing"])
    second = api.conversation(account, inbox["id"])
    assert [first["assignee_id"], second["assignee_id"]] == [a, b]
    why = explain(api, account, first["id"])
    assert why["result"] == "assigned"
    assert why["assignment"]["selector"] == "round_robin"
    assert why["assignment"]["policy_id"] == inbox["policy_id"]
    assert "eligible" in why["assignment"]["reason"]


def test_run_now_reports_every_outcome(api: Api, account):
    agent = api.agent(account, availability="offline")
    inbox = api.inbox(account, [agent["id"]])
    conversation = api.conversation(account, inbox["id"])
    result = api.ok("POST", account, f"/inboxes/{inbox['id']}/assign?limit=10")
    assert result["assigned"] == 0
    assert result["outcomes"] == [
        {
            "conversation_id": conversation["id"],
            "agent_id": None,
            "result": "no_agent_online",
            "detail": "",
            "agents": [{"agent_id": agent["id"], "reason": "offline"}],
        }
    ]
    assert result["agent_filters"] == [{"agent_id": agent["id"], "reason": "offline"}]
    bad = api.call("POST", account, f"/inboxes/{inbox['id']}/assign?limit=0")
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "limit"


def test_an_agent_coming_online_gets_the_waiting_conversations(api: Api, account):
    agent = api.agent(account, availability="offline")
    inbox = api.inbox(account, [agent["id"]])
    waiting = api.conversation(account, inbox["id"])
    assert waiting["assignee_id"] is None
    api.ok("PATCH", account, f"/agents/{agent['id']}", json={"availability": "online"})
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == agent["id"]


def test_resolving_frees_capacity_and_the_next_conversation_is_assigned(api: Api, account):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "One at a time"})
    base = f"/agent_capacity_policies/{capacity['id']}"
    api.ok(
        "POST",
        account,
        f"{base}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 1},
    )
    api.ok("POST", account, f"{base}/users", json={"user_id": agent["id"]})
    first = api.conversation(account, inbox["id"])
    second = api.conversation(account, inbox["id"])
    assert first["assignee_id"] == agent["id"]
    assert second["assignee_id"] is None
    why = explain(api, account, second["id"])
    assert why["result"] == "no_eligible_agent"
    assert why["agents"] == [{"agent_id": agent["id"], "reason": "at_capacity"}]
    api.ok("PATCH", account, f"/conversations/{first['id']}", json={"status": "resolved"})
    assert api.ok("GET", account, f"/conversations/{second['id']}")["assignee_id"] == agent["id"]


def test_raising_a_capacity_limit_assigns_at_once(api: Api, account):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "Cap"})
    base = f"/agent_capacity_policies/{capacity['id']}"
    limit = api.ok(
        "POST",
        account,
        f"{base}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 1},
    )
    api.ok("POST", account, f"{base}/users", json={"user_id": agent["id"]})
    api.conversation(account, inbox["id"])
    waiting = api.conversation(account, inbox["id"])
    api.ok("PATCH", account, f"{base}/inbox_limits/{limit['id']}", json={"conversation_limit": 2})
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == agent["id"]


def test_manual_assignment_unassignment_and_reassignment(api: Api, account):
    a, b = api.agent(account, "A")["id"], api.agent(account, "B")["id"]
    inbox = api.inbox(account, [a])
    conversation = api.conversation(account, inbox["id"], status="pending")
    assert conversation["assignee_id"] is None
    manual = api.ok(
        "POST", account, f"/conversations/{conversation['id']}/assignments", json={"assignee_id": b}
    )
    assert manual["assignee_id"] == b
    why = explain(api, account, conversation["id"])
    assert why["assignment"]["selector"] == "manual"
    api.ok("PATCH", account, f"/conversations/{conversation['id']}", json={"status": "open"})
    unassigned = api.ok(
        "POST",
        account,
        f"/conversations/{conversation['id']}/assignments",
        json={"assignee_id": None},
    )
    assert unassigned["assignee_id"] is None
    # unassigning an open conversation offers it to the engine again
    assert api.ok("GET", account, f"/conversations/{conversation['id']}")["assignee_id"] == a
    missing = api.call(
        "POST",
        account,
        f"/conversations/{conversation['id']}/assignments",
        json={"assignee_id": 424242},
    )
    assert missing.status_code == 404


def test_moving_to_a_team_the_assignee_is_not_in_reassigns(api: Api, account):
    a, b = api.agent(account, "A")["id"], api.agent(account, "B")["id"]
    inbox = api.inbox(account, [a, b])
    team = api.ok("POST", account, "/teams", json={"name": "Billing"})
    api.ok("POST", account, f"/teams/{team['id']}/team_members", json={"user_ids": [b]})
    conversation = api.conversation(account, inbox["id"])
    assert conversation["assignee_id"] == a
    moved = api.ok(
        "PATCH", account, f"/conversations/{conversation['id']}", json={"team_id": team["id"]}
    )
    assert moved["team_id"] == team["id"]
    assert api.ok("GET", account, f"/conversations/{conversation['id']}")["assignee_id"] == b


def test_explanations_for_each_reason(api: Api, account):
    now = datetime.now(UTC)
    online, busy = (
        api.agent(account, "On")["id"],
        api.agent(account, "Busy", availability="busy")["id"],
    )
    rate_limited = api.inbox(account, [online], policy={"fair_distribution_limit": 1})
    api.conversation(account, rate_limited["id"])
    limited = api.conversation(account, rate_limited["id"])
    why = explain(api, account, limited["id"])
    [first] = api.ok("GET", account, "/assignment_events", params={"agent_id": online})["payload"]
    opens = first["assigned_at"] + 3600  # the default window: "rate_limited until …"
    assert why["agents"] == [{"agent_id": online, "reason": "rate_limited", "until": opens}]
    assert why["waits_until"] == opens

    inbox = api.inbox(account, [online, busy])
    closed_team = api.ok(
        "POST", account, "/teams", json={"name": "Closed", "allow_auto_assign": False}
    )
    other_team = api.ok("POST", account, "/teams", json={"name": "Other"})
    capacity = api.ok(
        "POST",
        account,
        "/agent_capacity_policies",
        json={"name": "C", "exclusion_rules": {"excluded_labels": ["spam"]}},
    )
    api.ok(
        "POST",
        account,
        f"/agent_capacity_policies/{capacity['id']}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 50},
    )
    cases: dict[str, dict[str, Any]] = {
        "excluded_label": {"labels": ["spam"]},
        "too_old": {
            "created_at": (now - timedelta(days=30)).isoformat(),
            "last_activity_at": (now - timedelta(days=8)).isoformat(),
        },
        "team_auto_assign_disabled": {"team_id": closed_team["id"]},
        "no_eligible_agent": {"team_id": other_team["id"]},
        "not_assignable": {"status": "resolved"},
    }
    for expected, fields in cases.items():
        conversation = api.conversation(account, inbox["id"], **fields)
        why = explain(api, account, conversation["id"])
        assert why["result"] == expected, (expected, why)
        if expected == "no_eligible_agent":
            assert why["agents"] == [
                {"agent_id": online, "reason": "not_team_member"},
                {"agent_id": busy, "reason": "busy"},
            ]

    no_policy = api.inbox(account, [online], policy={"skip": True})
    assert (
        explain(api, account, api.conversation(account, no_policy["id"])["id"])["result"]
        == "no_assignment_policy"
    )
    disabled = api.inbox(account, [online], policy={"enabled": False})
    assert (
        explain(api, account, api.conversation(account, disabled["id"])["id"])["result"]
        == "assignment_policy_disabled"
    )
    off = api.inbox(account, [online], enable_auto_assignment=False)
    assert (
        explain(api, account, api.conversation(account, off["id"])["id"])["result"]
        == "inbox_auto_assignment_disabled"
    )


def test_a_heartbeat_brings_an_auto_offline_agent_back_to_work(api: Api, account):
    watcher = api.agent(account, "Watcher", auto_offline=True)
    inbox = api.inbox(account, [watcher["id"]])
    conversation = api.conversation(account, inbox["id"])
    why = explain(api, account, conversation["id"])
    assert why["result"] == "no_agent_online"
    assert why["agents"] == [{"agent_id": watcher["id"], "reason": "presence_expired"}]
    assert api.call("POST", account, f"/agents/{watcher['id']}/heartbeat").status_code == 204
    assert (
        api.ok("GET", account, f"/conversations/{conversation['id']}")["assignee_id"]
        == (watcher["id"])
    )


def test_conversation_list_filters_and_pages(api: Api, account):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]], policy={"enabled": False})
    for i in range(5):
        api.conversation(
            account,
            inbox["id"],
            labels=["vip"] if i % 2 else [],
            priority="high" if i == 0 else None,
        )
    page = api.ok("GET", account, f"/conversations?inbox_id={inbox['id']}&per_page=2&page=2")
    assert page["meta"] == {"page": 2, "per_page": 2, "total": 5}
    assert len(page["payload"]) == 2
    assert api.ok("GET", account, "/conversations?label=vip")["meta"]["total"] == 2
    assert (
        api.ok("GET", account, "/conversations?unassigned=true&status=open")["meta"]["total"] == 5
    )
    assert api.call("GET", account, "/conversations?status=closed").status_code == 422
    assert api.call("GET", account, "/conversations?per_page=101").status_code == 422


def test_assignment_events_filter_by_inbox_agent_and_time(api: Api, account):
    a, b = api.agent(account, "A")["id"], api.agent(account, "B")["id"]
    inbox = api.inbox(account, [a, b])
    for _ in range(3):
        api.conversation(account, inbox["id"])
    events = api.ok("GET", account, "/assignment_events")
    assert events["meta"]["total"] == 3
    assert [e["agent_id"] for e in events["payload"]] == [a, b, a][::-1]  # newest first
    assert api.ok("GET", account, f"/assignment_events?agent_id={b}")["meta"]["total"] == 1
    assert (
        api.ok("GET", account, f"/assignment_events?inbox_id={inbox['id']}&per_page=1")["meta"][
            "total"
        ]
        == 3
    )
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        api.ok("GET", account, "/assignment_events", params={"since": future})["meta"]["total"] == 0
    )
    assert (
        api.ok("GET", account, "/assignment_events", params={"until": future})["meta"]["total"] == 3
    )
