from __future__ import annotations

import re

from starlette.testclient import TestClient

from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app
from tests.api.conftest import ADMIN, Api


def test_platform_creates_an_account_with_a_working_token(api: Api):
    account = api.new_account("Globex")
    assert api.ok("GET", account, "/agents") == []
    other = api.client.post(
        f"/platform/api/v1/accounts/{account.id}/tokens",
        json={"name": "ci"},
        headers={"api_access_token": ADMIN},
    ).json()
    assert other["api_access_token"] != account.token
    response = api.client.get(
        f"/api/v1/accounts/{account.id}/agents",
        headers={"api_access_token": other["api_access_token"]},
    )
    assert response.status_code == 200


def test_platform_needs_the_admin_token(api: Api):
    for headers in ({}, {"api_access_token": "nope"}):
        response = api.client.post("/platform/api/v1/accounts", json={"name": "x"}, headers=headers)
        assert response.status_code == 401
        assert "platform api_access_token" in response.json()["error"]


def test_platform_token_for_a_missing_account_is_404(api: Api):
    response = api.client.post(
        "/platform/api/v1/accounts/999999/tokens", json={}, headers={"api_access_token": ADMIN}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "account 999999 not found"


def test_platform_is_off_without_an_admin_token(sqlite_url):
    with TestClient(create_app(Settings(database_url=sqlite_url))) as client:
        response = client.post(
            "/platform/api/v1/accounts", json={"name": "x"}, headers={"api_access_token": ""}
        )
    assert response.status_code == 401
    assert "AUTOASSIGN_ADMIN_TOKEN" in response.json()["error"]


def test_account_routes_need_a_valid_token(api: Api, account):
    missing = api.client.get(f"/api/v1/accounts/{account.id}/agents")
    assert missing.status_code == 401
    assert missing.json() == {"error": "the api_access_token header is required", "details": []}
    wrong = api.client.get(
        f"/api/v1/accounts/{account.id}/agents", headers={"api_access_token": "forged"}
    )
    assert wrong.status_code == 401


def _fill(path: str, account_id: int) -> str:
    path = path.replace("{account_id}", str(account_id))
    return re.sub(r"\{[a-z_]+\}", "1", path)


def test_every_account_route_hides_other_accounts_with_404(api: Api):
    """Another account's token gets 404 on every route, before any object lookup."""
    mine, theirs = api.new_account("mine"), api.new_account("theirs")
    agent = api.agent(mine)
    api.inbox(mine, [agent["id"]])
    spec = api.client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/accounts/{account_id}"):
            continue
        for method in operations:
            response = api.client.request(
                method.upper(),
                _fill(path, mine.id),
                headers=theirs.headers,
                json={},
            )
            assert response.status_code == 404, f"{method} {path}: {response.status_code}"
            assert response.json()["error"] == f"account {mine.id} not found"
            checked += 1
    assert checked >= 40


def test_objects_of_another_account_are_not_found(api: Api):
    mine, theirs = api.new_account("mine"), api.new_account("theirs")
    agent = api.agent(mine)
    inbox = api.inbox(mine, [agent["id"]])
    conversation = api.conversation(mine, inbox["id"])
    team = api.ok("POST", mine, "/teams", json={"name": "T"})
    capacity = api.ok("POST", mine, "/agent_capacity_policies", json={"name": "C"})
    hook = api.ok("POST", mine, "/webhooks", json={"url": "http://127.0.0.1:9/x"})
    for method, path, body in [
        ("GET", f"/agents/{agent['id']}", None),
        ("PATCH", f"/agents/{agent['id']}", {"name": "x"}),
        ("DELETE", f"/agents/{agent['id']}", None),
        ("GET", f"/inboxes/{inbox['id']}", None),
        ("GET", f"/inbox_members/{inbox['id']}", None),
        ("POST", "/inbox_members", {"inbox_id": inbox["id"], "user_ids": []}),
        ("GET", f"/inboxes/{inbox['id']}/assignment_policy", None),
        ("POST", f"/inboxes/{inbox['id']}/assign", None),
        ("GET", f"/conversations/{conversation['id']}", None),
        ("PATCH", f"/conversations/{conversation['id']}", {"status": "resolved"}),
        ("POST", f"/conversations/{conversation['id']}/assignments", {"assignee_id": None}),
        ("GET", f"/conversations/{conversation['id']}/assignment_explanation", None),
        ("GET", f"/assignment_policies/{inbox['policy_id']}", None),
        ("DELETE", f"/assignment_policies/{inbox['policy_id']}", None),
        ("GET", f"/teams/{team['id']}", None),
        ("GET", f"/agent_capacity_policies/{capacity['id']}", None),
        ("GET", f"/webhooks/{hook['id']}", None),
    ]:
        response = api.call(method, theirs, path, json=body)
        assert response.status_code == 404, f"{method} {path}: {response.text}"
    # a foreign agent cannot be added to one's own inbox either
    own_inbox = api.inbox(theirs, [])
    response = api.call(
        "POST",
        theirs,
        "/inbox_members",
        json={"inbox_id": own_inbox["id"], "user_ids": [agent["id"]]},
    )
    assert response.status_code == 404
    assert response.json()["error"] == f"agent {agent['id']} not found"
    # nothing of the other account changed
    assert api.ok("GET", mine, f"/conversations/{conversation['id']}")["status"] == "open"
    assert api.ok("GET", mine, f"/agents/{agent['id']}")["name"] == "Ann"
