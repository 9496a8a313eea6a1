"""Skills with proficiency through the API on both back ends (issue 13.4): requirements
set directly or by label, the most proficient first, missing skills explained, and the
relaxation ladder firing as a wake-up."""

from __future__ import annotations

import time
from typing import Any

from tests.api.conftest import Account, Api


def why(api: Api, account: Account, cid: int) -> dict[str, Any]:
    found: dict[str, Any] = api.ok("GET", account, f"/conversations/{cid}/assignment_explanation")
    return found


def test_skills_route_to_the_most_proficient_and_relax_with_time(api: Api, account: Account):
    junior, senior = api.agent(account, "Junior")["id"], api.agent(account, "Senior")["id"]
    novice = api.agent(account, "Novice")["id"]
    inbox = api.inbox(
        account,
        [junior, senior, novice],
        policy={"skill_relaxation": [{"after_seconds": 1, "lower_by": 5}]},
    )
    assert api.ok("PUT", account, f"/agents/{junior}/skills", json={"skills": {"billing": 2}}) == {
        "skills": {"billing": 2}
    }
    api.ok("PUT", account, f"/agents/{senior}/skills", json={"skills": {"billing": 5}})
    api.ok(
        "PUT",
        account,
        f"/inboxes/{inbox['id']}/skill_labels",
        json={"labels": {"vip": {"billing": 4}}},
    )
    direct = api.conversation(account, inbox["id"], required_skills={"billing": 2})
    assert direct["required_skills"] == {"billing": 2}
    assert direct["assignee_id"] == senior  # both qualify; the more proficient goes first
    by_label = api.conversation(account, inbox["id"], labels=["vip"])
    assert by_label["assignee_id"] == senior
    # nobody speaks german: explained, then the ladder drops the requirement after 1 s
    rare = api.conversation(account, inbox["id"], required_skills={"german": 3})
    assert rare["assignee_id"] is None
    reasons = {a["agent_id"]: a["reason"] for a in why(api, account, rare["id"])["agents"]}
    assert set(reasons.values()) == {"missing_skill"}
    deadline = time.monotonic() + 15
    while api.ok("GET", account, f"/conversations/{rare['id']}")["assignee_id"] is None:
        assert time.monotonic() < deadline, "the ladder never relaxed"
        time.sleep(0.1)
        api.drain()
    policy = api.ok("GET", account, f"/inboxes/{inbox['id']}/assignment_policy")
    assert policy["skill_relaxation"] == [{"after_seconds": 1, "lower_by": 5}]
    for bad in ({"skills": {"billing": 6}}, {"skills": {"": 2}}, {"skills": "billing"}):
        response = api.call("PUT", account, f"/agents/{junior}/skills", json=bad)
        assert response.status_code == 422, bad
    refused = api.call(
        "POST",
        account,
        "/conversations",
        json={"inbox_id": inbox["id"], "required_skills": {"x": 0}},
    )
    assert refused.status_code == 422
