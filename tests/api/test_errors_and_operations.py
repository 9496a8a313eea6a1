"""Bad input gets a precise 4xx and changes nothing; health, readiness, metrics, OpenAPI."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inbox_id": "one"}, "inbox_id"),
        ({"inbox_id": 0}, "inbox_id"),
        ({"inbox_id": 2**64}, "inbox_id"),
        ({"inbox_id": 1, "status": "closed"}, "status"),
        ({"inbox_id": 1, "labels": ["a\x00b"]}, "labels.0"),
        ({"inbox_id": 1, "labels": "vip"}, "labels"),
        ({"inbox_id": 1, "created_at": "yesterday"}, "created_at"),
        ({"inbox_id": 1, "colour": "red"}, "colour"),
        ({}, "inbox_id"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(api: Api, account, body, field):
    response = api.call("POST", account, "/conversations", json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == "invalid request"
    assert field in [d["field"] for d in payload["details"]]


def test_malformed_json_is_400(api: Api, account):
    response = api.call(
        "POST",
        account,
        "/agents",
        content=b'{"name": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "request body is not valid JSON"


def test_out_of_range_path_ids_are_422_not_500(api: Api, account):
    assert api.call("GET", account, f"/agents/{2**53}").status_code == 422
    assert api.call("GET", account, f"/agents/{2**63}").status_code == 422
    assert api.call("GET", account, "/agents/0").status_code == 422
    assert api.client.get("/api/v1/accounts/99999999999999999999/agents").status_code == 422


def test_unknown_references_are_404_and_change_nothing(api: Api, account):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    response = api.call(
        "POST", account, "/conversations", json={"inbox_id": inbox["id"], "team_id": 999999}
    )
    assert response.status_code == 404
    assert response.json() == {"error": "team 999999 not found", "details": []}
    assert api.ok("GET", account, "/conversations")["meta"]["total"] == 0
    batch = api.call(
        "PATCH",
        account,
        "/inbox_members",
        json={"inbox_id": inbox["id"], "user_ids": [agent["id"], 999999]},
    )
    assert batch.status_code == 404
    members = api.ok("GET", account, f"/inbox_members/{inbox['id']}")["payload"]
    assert [m["id"] for m in members] == [agent["id"]]  # the failed replace changed nothing


def test_unknown_route_and_method(api: Api, account):
    assert api.call("GET", account, "/nothing-here").json()["error"] == "Not Found"
    assert api.call("PUT", account, "/agents").status_code == 405


def test_health_and_readiness(api: Api):
    assert api.client.get("/healthz").json() == {"status": "ok", "checks": {}}
    checks = api.client.get("/readyz").json()["checks"]
    # (the worker check of the distributed back end: tests/api/test_logs_and_metrics.py)
    assert {checks["database"], checks["state_store"]} == {"ok"}


def test_metrics_count_assignments_and_skips(api: Api, account):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]], policy={"fair_distribution_limit": 1})
    api.conversation(account, inbox["id"])
    api.conversation(account, inbox["id"])
    text = api.client.get("/metrics").text
    assert "autoassign_assignments_total 1.0" in text
    labels = f'inbox_id="{inbox["id"]}",reason="no_eligible_agent"'
    assert f"autoassign_skipped_conversations{{{labels}}} 1.0" in text
    runs = re.search(r"^autoassign_batch_duration_seconds_count (\S+)$", text, re.M)
    assert runs is not None
    assert float(runs.group(1)) >= 2  # every trigger is a run: members, policy link, 2 creates
    assert "autoassign_queue_depth 0.0" in text


def test_openapi_lists_every_route_with_its_errors(api: Api):
    spec = api.client.get("/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert len(routes) >= 50
    expected = {
        ("POST", "/platform/api/v1/accounts"),
        ("POST", "/api/v1/accounts/{account_id}/inboxes/{inbox_id}/assign"),
        (
            "GET",
            "/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignment_explanation",
        ),
        ("POST", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments"),
        ("GET", "/api/v1/accounts/{account_id}/assignment_events"),
        (
            "PUT",
            "/api/v1/accounts/{account_id}/agent_capacity_policies/{policy_id}/inbox_limits/{limit_id}",
        ),
        ("GET", "/metrics"),
        ("GET", "/readyz"),
    }
    assert expected <= routes
    for path, operations in spec["paths"].items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                assert {"401", "404", "422"} <= set(operation["responses"]), (method, path)
    assert api.client.get("/docs").status_code == 200
