"""The admin page through HTTP, on both back ends: signing in, the live queue and agents,
edits through the existing services (and the runs they trigger), the assignment list
and explanations. The browser drives the same page in tests/browser."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.api.conftest import Account, Api

HX = {"HX-Request": "true"}


def sign_in(api: Api, account: Account) -> None:
    response = api.client.post(
        "/admin/sign-in", data={"token": account.token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/"


def row(html: str, attribute: str, value: int) -> str:
    """The table row (or list item) carrying ``data-<attribute>="<value>"``."""
    found = re.search(rf'<(tr|li) data-{attribute}="{value}">(.*?)</\1>', html, re.S)
    assert found is not None, f"no {attribute} {value} in the page"
    return found.group(2)


def text(html: str) -> str:
    """What a person reads: inline tags vanish, block and cell tags separate words."""
    inline = re.sub(r"</?(strong|em|small|span|code)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", inline).split())


def edit(api: Api, path: str, form: dict[str, Any]) -> Any:
    response = api.client.post(path, data=form, headers=HX)
    api.drain()
    return response


@pytest.fixture
def queue(api: Api, account: Account) -> dict[str, Any]:
    """An offline agent, an inbox with a policy and two conversations waiting an hour."""
    agent = api.agent(account, "Ada", availability="offline")
    inbox = api.inbox(account, [agent["id"]], policy={"name": "Front desk"}, name="Website")
    hour_ago = int(time.time()) - 3600
    conversations = [
        api.conversation(account, inbox["id"], created_at=hour_ago - i) for i in range(2)
    ]
    sign_in(api, account)
    return {"agent": agent, "inbox": inbox, "conversations": conversations}


def test_root_leads_to_the_page_and_the_page_to_sign_in(api: Api):
    response = api.client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/admin/")
    page = api.client.get("/admin/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/admin/sign-in")
    panel = api.client.get("/admin/panels/live", headers=HX)
    assert (panel.status_code, panel.headers["hx-redirect"]) == (401, "/admin/sign-in")
    form = api.client.get("/admin/sign-in")
    assert 'name="token"' in form.text
    assert "script-src 'self'" in form.headers["content-security-policy"]


def test_sign_in_keeps_the_token_in_a_strict_http_only_cookie(api: Api, account: Account):
    wrong = api.client.post("/admin/sign-in", data={"token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 401
    assert "not valid" in wrong.text
    assert "set-cookie" not in wrong.headers
    response = api.client.post(
        "/admin/sign-in", data={"token": account.token}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"autoassign_token={account.token};")
    assert {"HttpOnly", "Path=/admin", "SameSite=strict"} <= {
        part.strip() for part in cookie.split(";")
    }
    assert "Acme" in api.client.get("/admin/").text
    api.client.post("/admin/sign-out")
    assert api.client.get("/admin/", follow_redirects=False).status_code == 303


def test_the_page_shows_each_inbox_queue_and_each_agent(api: Api, queue: dict[str, Any]):
    html = api.client.get("/admin/").text
    inbox = text(row(html, "inbox", queue["inbox"]["id"]))
    assert inbox.startswith("Website 2 1 h")  # name, waiting, oldest wait
    assert "Front desk" in inbox
    assert "round robin, 100 per 1 h" in inbox
    # embedded: a timer from server start; PostgreSQL: Procrastinate's cron, to the second
    assert re.search(r"sweep (within 5 min|at \d\d:\d\d:\d\d UTC) \(every 5 min", inbox)
    agent = text(row(html, "agent", queue["agent"]["id"]))
    assert agent == "Ada offline online busy 0 Website: 0 / ∞ · window 0 / 100"
    assert 'hx-post="/admin/agents/' in row(html, "agent", queue["agent"]["id"])
    assert api.client.get("/admin/panels/live", headers=HX).text.count("data-inbox=") == 1


def test_a_policy_edit_goes_through_the_service_and_runs_the_inbox(
    api: Api, account: Account, queue: dict[str, Any]
):
    policy_id = queue["inbox"]["policy_id"]
    form = {
        "name": "Front desk",
        "assignment_order": "balanced",
        "conversation_priority": "longest_waiting",
        "fair_distribution_limit": "7",
        "fair_distribution_window": "600",
        "exclude_older_than_hours": "",
        "enabled": "true",
    }
    response = edit(api, f"/admin/policies/{policy_id}", form)
    assert response.status_code == 200
    assert response.headers["hx-trigger"] == "aa-changed"
    assert "saved" in response.text
    policy = api.ok("GET", account, f"/assignment_policies/{policy_id}")
    assert policy["assignment_order"] == "balanced"
    assert policy["fair_distribution_limit"] == 7
    assert policy["exclude_older_than_hours"] is None
    bad = edit(api, f"/admin/policies/{policy_id}", {**form, "fair_distribution_limit": "0"})
    assert bad.status_code == 422
    assert "fair_distribution_limit" in bad.text
    assert (
        api.ok("GET", account, f"/assignment_policies/{policy_id}")["fair_distribution_limit"] == 7
    )
    settings = api.client.get("/admin/panels/settings", headers=HX).text
    assert (
        'name="fair_distribution_limit" type="number" min="1" max="100000" required value="7"'
        in (settings)
    )


def test_edits_come_only_from_the_page(api: Api, queue: dict[str, Any]):
    path = f"/admin/agents/{queue['agent']['id']}/availability"
    assert api.client.post(path, data={"availability": "online"}).status_code == 403
    other_site = {**HX, "Origin": "http://evil.example"}
    assert (
        api.client.post(path, data={"availability": "online"}, headers=other_site).status_code
        == 403
    )
    same_site = {**HX, "Origin": "http://testserver"}
    assert (
        api.client.post(path, data={"availability": "busy"}, headers=same_site).status_code == 200
    )


def test_availability_online_assigns_and_the_list_shows_it_live(
    api: Api, account: Account, queue: dict[str, Any]
):
    empty = api.client.get("/admin/panels/events", headers=HX)
    assert "No assignments yet." in empty.text
    assert 'hx-get="/admin/panels/events?after=0"' in empty.text
    assert api.client.get("/admin/panels/events?after=0", headers=HX).status_code == 204
    done = edit(
        api, f"/admin/agents/{queue['agent']['id']}/availability", {"availability": "online"}
    )
    assert "Ada is online." in done.text
    fresh = api.client.get("/admin/panels/events?after=0", headers=HX)
    assert fresh.status_code == 200
    assert fresh.headers["hx-trigger"] == "aa-assigned"
    items = re.findall(r'<li data-event="(\d+)">(.*?)</li>', fresh.text, re.S)
    assert len(items) == 2
    assert all("→ Ada" in text(body) and "round robin" in text(body) for _, body in items)
    newest = max(int(i) for i, _ in items)
    assert api.client.get(f"/admin/panels/events?after={newest}", headers=HX).status_code == 204
    live = api.client.get("/admin/panels/live", headers=HX).text
    assert text(row(live, "inbox", queue["inbox"]["id"])).startswith("Website 0 -")
    assert "Website: 2 / ∞ · window 2 / 100" in text(row(live, "agent", queue["agent"]["id"]))


def test_a_full_window_says_when_it_frees(api: Api, account: Account):
    agent = api.agent(account, "Bo")
    inbox = api.inbox(account, [agent["id"]], policy={"fair_distribution_limit": 1})
    api.conversation(account, inbox["id"])
    api.conversation(account, inbox["id"])
    sign_in(api, account)
    live = api.client.get("/admin/panels/live", headers=HX).text
    assert re.search(
        r"window 1 / 1 full, frees in (59|60) min", text(row(live, "agent", agent["id"]))
    )
    assert "a full window frees in" in text(row(live, "inbox", inbox["id"]))


def test_capacity_limits_and_links_are_edited_through_their_services(
    api: Api, account: Account, queue: dict[str, Any]
):
    inbox_id = queue["inbox"]["id"]
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "Standard"})
    added = edit(
        api,
        f"/admin/capacity/{capacity['id']}/limits",
        {"inbox_id": inbox_id, "conversation_limit": "3"},
    )
    assert added.status_code == 200, added.text
    limits = api.ok("GET", account, f"/agent_capacity_policies/{capacity['id']}")[
        "inbox_capacity_limits"
    ]
    assert [(limit["inbox_id"], limit["conversation_limit"]) for limit in limits] == [(inbox_id, 3)]
    limit_path = f"/admin/capacity/{capacity['id']}/limits/{limits[0]['id']}"
    assert "set to 9" in edit(api, limit_path, {"conversation_limit": "9"}).text
    again = edit(
        api,
        f"/admin/capacity/{capacity['id']}/limits",
        {"inbox_id": inbox_id, "conversation_limit": "3"},
    )
    assert again.status_code == 409  # one limit per inbox: the service's Conflict
    assert "removed" in edit(api, f"{limit_path}/delete", {}).text
    assert (
        api.ok("GET", account, f"/agent_capacity_policies/{capacity['id']}")[
            "inbox_capacity_limits"
        ]
        == []
    )

    unlinked = edit(api, f"/admin/inboxes/{inbox_id}/policy", {"assignment_policy_id": ""})
    assert "unlinked" in unlinked.text
    assert api.call("GET", account, f"/inboxes/{inbox_id}/assignment_policy").status_code == 404
    live = api.client.get("/admin/panels/live", headers=HX).text
    assert "never: no policy linked" in text(row(live, "inbox", inbox_id))
    policy_id = queue["inbox"]["policy_id"]
    linked = edit(
        api, f"/admin/inboxes/{inbox_id}/policy", {"assignment_policy_id": str(policy_id)}
    )
    assert "Front desk" in linked.text
    assert api.ok("GET", account, f"/inboxes/{inbox_id}/assignment_policy")["id"] == policy_id
    other = api.new_account("Other")
    foreign = api.ok("POST", other, "/assignment_policies", json={"name": "theirs"})
    refused = edit(
        api, f"/admin/inboxes/{inbox_id}/policy", {"assignment_policy_id": str(foreign["id"])}
    )
    assert refused.status_code == 404


def test_explanations_read_as_sentences(api: Api, account: Account, queue: dict[str, Any]):
    waiting = queue["conversations"][0]["id"]
    html = api.client.get(f"/admin/explain?conversation_id={waiting}", headers=HX).text
    assert f"Conversation #{waiting}" in html
    assert "Not assigned: no member of its inbox is online." in text(html)
    edit(api, f"/admin/agents/{queue['agent']['id']}/availability", {"availability": "online"})
    assigned = text(api.client.get(f"/admin/explain?conversation_id=%23{waiting}").text)
    assert "Assigned to Ada." in assigned
    assert "Chosen by round robin at" in assigned
    missing = api.client.get("/admin/explain?conversation_id=999999", headers=HX)
    assert (missing.status_code, "conversation 999999 not found" in missing.text) == (404, True)
    assert api.client.get("/admin/explain?conversation_id=abc", headers=HX).status_code == 422


def test_another_accounts_objects_stay_invisible(api: Api, account: Account, queue: dict[str, Any]):
    other = api.new_account("Other")
    theirs = api.agent(other, "Zed")
    inbox = api.inbox(other, [theirs["id"]], name="Theirs")
    conversation = api.conversation(other, inbox["id"])
    html = api.client.get("/admin/").text + api.client.get("/admin/panels/settings").text
    assert "Zed" not in html
    assert "Theirs" not in html
    response = api.client.get(f"/admin/explain?conversation_id={conversation['id']}")
    assert response.status_code == 404
    path = f"/admin/agents/{theirs['id']}/availability"
    assert edit(api, path, {"availability": "offline"}).status_code == 404


def test_admin_routes_stay_out_of_the_api_document(api: Api):
    paths = api.client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith(("/admin", "/docs", "/redoc"))]
