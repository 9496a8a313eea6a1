"""Each reassignment reason through the HTTP API on both back ends (issue 11): short
grace periods, the wake-up that fires them (no sweep), the assignment event with the
previous agent and the reason, the explanation's timer, and the activity endpoint."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.api.conftest import Account, Api


def eventually(api: Api, check: Callable[[], bool], seconds: float = 15) -> None:
    """Let the job queue run (a wake-up job is due only once its time has come)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reassigned in time"
        time.sleep(0.1)
        api.drain()


def two_agents(api: Api, account: Account, **policy: Any) -> tuple[int, int, dict[str, Any]]:
    """A holds a new conversation; B is online and free."""
    a, b = api.agent(account, "A")["id"], api.agent(account, "B", availability="offline")["id"]
    inbox = api.inbox(account, [a, b], policy=policy)
    conversation = api.conversation(account, inbox["id"])
    assert conversation["assignee_id"] == a
    api.ok("PATCH", account, f"/agents/{b}", json={"availability": "online"})
    return a, b, conversation


def assignee(api: Api, account: Account, cid: int) -> int | None:
    found: int | None = api.ok("GET", account, f"/conversations/{cid}")["assignee_id"]
    return found


def last_event(api: Api, account: Account, cid: int) -> dict[str, Any]:
    page = api.ok("GET", account, "/assignment_events", params={"conversation_id": cid})
    newest: dict[str, Any] = page["payload"][0]
    return newest


def message(api: Api, account: Account, cid: int, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.ok("POST", account, f"/conversations/{cid}/messages", json=body)
    return result


def test_an_offline_assignee_loses_it_to_an_online_agent(api: Api, account: Account):
    a, b, conversation = two_agents(api, account, reassign_after_absent_seconds=0)
    api.ok("PATCH", account, f"/agents/{a}", json={"availability": "offline"})
    assert assignee(api, account, conversation["id"]) == b
    event = last_event(api, account, conversation["id"])
    assert (event["agent_id"], event["previous_agent_id"], event["reassign_reason"]) == (
        b,
        a,
        "assignee_offline",
    )
    moved = api.ok("GET", account, f"/conversations/{conversation['id']}")
    assert moved["reassignments"] == 1
    assert moved["previous_assignee_id"] is None  # assigned again


def test_removed_from_the_inbox_after_a_one_second_grace(api: Api, account: Account):
    a, b, conversation = two_agents(api, account, reassign_after_absent_seconds=1)
    cid = conversation["id"]
    api.ok(
        "DELETE",
        account,
        "/inbox_members",
        json={"inbox_id": conversation["inbox_id"], "user_ids": [a]},
    )
    why = api.ok("GET", account, f"/conversations/{cid}/assignment_explanation")
    assert why["timer"]["reason"] == "assignee_removed"
    assert assignee(api, account, cid) == a  # still within the grace
    eventually(api, lambda: assignee(api, account, cid) == b)
    assert last_event(api, account, cid)["reassign_reason"] == "assignee_removed"


def test_unanswered_is_offered_to_another_agent(api: Api, account: Account):
    a, b, conversation = two_agents(api, account, reassign_unanswered_after_seconds=1)
    cid = conversation["id"]
    waiting = message(api, account, cid, message_type="incoming", sender={"type": "Contact"})
    assert waiting["waiting_since"] is not None
    why = api.ok("GET", account, f"/conversations/{cid}/assignment_explanation")
    assert why["timer"]["reason"] == "unanswered"
    eventually(api, lambda: assignee(api, account, cid) == b)
    event = last_event(api, account, cid)
    assert (event["previous_agent_id"], event["reassign_reason"]) == (a, "unanswered")


def test_a_reply_stops_the_unanswered_timer(api: Api, account: Account):
    a, _b, conversation = two_agents(api, account, reassign_unanswered_after_seconds=1)
    cid = conversation["id"]
    replied = message(api, account, cid, message_type="outgoing", sender_type="user")
    assert replied["waiting_since"] is None
    assert replied["first_reply_created_at"] is not None
    # a private note and a bot's message are no replies, nor customer messages
    message(api, account, cid, message_type="outgoing", private=True)
    message(api, account, cid, message_type="outgoing", sender={"type": "AgentBot"})
    assert "timer" not in api.ok("GET", account, f"/conversations/{cid}/assignment_explanation")
    time.sleep(1.3)
    api.drain()
    assert assignee(api, account, cid) == a


def test_reopened_while_the_assignee_is_offline(api: Api, account: Account):
    a, b, conversation = two_agents(api, account, reassign_on_reopen=True)
    cid = conversation["id"]
    api.ok("PATCH", account, f"/conversations/{cid}", json={"status": "resolved"})
    api.ok("PATCH", account, f"/agents/{a}", json={"availability": "offline"})
    api.ok("PATCH", account, f"/conversations/{cid}", json={"status": "open"})
    assert assignee(api, account, cid) == b
    assert last_event(api, account, cid)["reassign_reason"] == "reopened"


def test_reopened_while_the_assignee_can_take_it_stays(api: Api, account: Account):
    a, _b, conversation = two_agents(api, account, reassign_on_reopen=True)
    cid = conversation["id"]
    api.ok("PATCH", account, f"/conversations/{cid}", json={"status": "resolved"})
    api.ok("PATCH", account, f"/conversations/{cid}", json={"status": "open"})
    assert assignee(api, account, cid) == a


def test_the_policy_settings_round_trip_and_bad_values_are_refused(api: Api, account: Account):
    settings = {
        "reassign_after_absent_seconds": 0,
        "reassign_only_unreplied": True,
        "reassign_unanswered_after_seconds": 5,
        "max_reassignments": 2,
        "reassign_on_reopen": True,
    }
    created = api.ok("POST", account, "/assignment_policies", json={"name": "R", **settings})
    assert {k: created[k] for k in settings} == settings
    off = api.ok(
        "PATCH",
        account,
        f"/assignment_policies/{created['id']}",
        json={"reassign_after_absent_seconds": None, "reassign_unanswered_after_seconds": None},
    )
    assert off["reassign_after_absent_seconds"] is None
    assert off["reassign_unanswered_after_seconds"] is None
    for bad in (
        {"reassign_after_absent_seconds": -1},
        {"reassign_unanswered_after_seconds": 0},
        {"max_reassignments": 0},
        {"reassign_on_reopen": "sometimes"},
    ):
        response = api.call("POST", account, "/assignment_policies", json={"name": "X", **bad})
        assert response.status_code == 422, bad
    defaults = api.ok("POST", account, "/assignment_policies", json={"name": "D"})
    assert defaults["reassign_after_absent_seconds"] is None  # every rule off by default
    assert defaults["reassign_unanswered_after_seconds"] is None
    assert defaults["reassign_on_reopen"] is False


def test_bad_messages_are_refused_and_change_nothing(api: Api, account: Account):
    _a, _b, conversation = two_agents(api, account)
    cid = conversation["id"]
    before = api.ok("GET", account, f"/conversations/{cid}")
    for body in (
        {"message_type": "shout"},
        {"message_type": "incoming", "sender": {"type": "Robot"}},
        {},
        {"message_type": "incoming", "created_at": "yesterday"},
    ):
        response = api.call("POST", account, f"/conversations/{cid}/messages", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]
    missing = api.call(
        "POST", account, "/conversations/999999/messages", json={"message_type": "incoming"}
    )
    assert missing.status_code == 404
    assert api.ok("GET", account, f"/conversations/{cid}") == before
