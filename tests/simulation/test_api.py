"""POST …/inboxes/{id}/what_if: the inbox as configured now against the changes asked,
on synthetic traffic or on its recorded conversations, as JSON or as the HTML report."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Account, Api


def setup(api: Api, account: Account, agents: int = 3) -> dict[str, Any]:
    ids = [api.agent(account, f"A{i}")["id"] for i in range(agents)]
    inbox = api.inbox(account, ids)
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "One"})
    api.ok(
        "POST",
        account,
        f"/agent_capacity_policies/{capacity['id']}/inbox_limits",
        json={"inbox_id": inbox["id"], "conversation_limit": 1},
    )
    for agent_id in ids:
        api.ok(
            "POST",
            account,
            f"/agent_capacity_policies/{capacity['id']}/users",
            json={"user_id": agent_id},
        )
    return inbox


def what_if(api: Api, account: Account, inbox: dict[str, Any], **body: Any) -> Any:
    return api.call("POST", account, f"/inboxes/{inbox['id']}/what_if", json=body)


def test_a_what_if_on_synthetic_traffic(api: Api, account: Account):
    inbox = setup(api, account)
    traffic = {"arrival_rate_per_minute": 2, "handle_time_minutes": 1}
    response = what_if(
        api, account, inbox, changes={"agents": 2}, traffic=traffic, duration_minutes=600
    )
    assert response.status_code == 200, response.text
    body = response.json()
    current, changed = body["current"], body["what_if"]
    assert current["parameters"]["agents"] == 3
    assert current["parameters"]["capacity"] == {"1": 3}
    assert changed["parameters"]["notes"] == ["agents=2"]
    assert current["conversations"] == changed["conversations"] > 900
    assert changed["mean_wait_seconds"] > current["mean_wait_seconds"]
    assert 0.55 < current["utilisation"] < 0.8  # 2 per minute on 3 agents


def test_the_report_as_html(api: Api, account: Account):
    inbox = setup(api, account)
    traffic = {"arrival_rate_per_minute": 1, "handle_time_minutes": 1}
    response = api.client.post(
        f"/api/v1/accounts/{account.id}/inboxes/{inbox['id']}/what_if?format=html",
        json={"changes": {"assignment_order": "balanced"}, "traffic": traffic},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f"What-if for inbox {inbox['id']}" in response.text


def test_a_replay_of_the_recorded_conversations(api: Api, account: Account):
    inbox = setup(api, account)
    made = [api.conversation(account, inbox["id"]) for _ in range(5)]
    for conversation in made[:3]:
        api.ok(
            "PATCH", account, f"/conversations/{conversation['id']}", json={"status": "resolved"}
        )
    response = what_if(api, account, inbox, changes={"agents": 1})
    assert response.status_code == 200, response.text
    current, changed = response.json()["current"], response.json()["what_if"]
    assert current["parameters"]["traffic"] == "replay"
    assert current["conversations"] == changed["conversations"] == 5


def test_questions_too_big_or_wrong_are_4xx(api: Api, account: Account):
    inbox = setup(api, account, agents=1)
    huge = {"arrival_rate_per_minute": 1000, "handle_time_minutes": 1}
    too_big = what_if(api, account, inbox, traffic=huge, duration_minutes=10_000)
    assert too_big.status_code == 422
    assert "at most" in too_big.text
    backwards = what_if(
        api, account, inbox, since="2026-01-02T00:00:00Z", until="2026-01-01T00:00:00Z"
    )
    assert backwards.status_code == 422
    unknown = api.call("POST", account, "/inboxes/999999/what_if", json={})
    assert unknown.status_code == 404
    extra = what_if(api, account, inbox, changes={"colour": "blue"})
    assert extra.status_code == 422


def test_a_what_if_over_its_time_budget_is_422(api: Api, account: Account, monkeypatch):
    from autoassign.entrypoints.api.routes import simulate

    monkeypatch.setattr(simulate, "BUDGET_SECONDS", 0.0)
    inbox = setup(api, account, agents=1)
    traffic = {"arrival_rate_per_minute": 5, "handle_time_minutes": 1}
    response = what_if(api, account, inbox, traffic=traffic, duration_minutes=600)
    assert response.status_code == 422
    assert "autoassign simulate" in response.text
