"""Working hours and time off through the API on both back ends (issue 13.1): off-duty
agents are passed over with the reason and when they are back; a leave ending wakes
the inbox (no sweep, no event); bad input is a 4xx."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.api.conftest import Account, Api


def why(api: Api, account: Account, cid: int) -> dict[str, Any]:
    found: dict[str, Any] = api.ok("GET", account, f"/conversations/{cid}/assignment_explanation")
    return found


def test_outside_working_hours_and_on_leave(api: Api, account: Account):
    now = datetime.now(UTC)
    night, worker = api.agent(account, "Night")["id"], api.agent(account, "Worker")["id"]
    inbox = api.inbox(account, [night, worker])
    # the night shift: a two-hour window twelve hours away, every day, in Tokyo time
    start = (now.astimezone(ZoneInfo("Asia/Tokyo")).hour + 12) % 24
    shifts = [
        {"day": d, "start": f"{start:02d}:00", "end": f"{(start + 2) % 24:02d}:00"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ]
    hours = api.ok(
        "PUT",
        account,
        f"/agents/{night}/working_hours",
        json={"time_zone": "Asia/Tokyo", "shifts": shifts},
    )
    assert hours["time_zone"] == "Asia/Tokyo"
    assert len(hours["shifts"]) == 7
    for _ in range(2):
        assert api.conversation(account, inbox["id"])["assignee_id"] == worker
    posted = int(time.time())
    leave = {"starts_at": posted - 60, "ends_at": posted + 3}
    on_leave = api.ok("POST", account, f"/agents/{worker}/time_off", json={**leave, "reason": "x"})
    assert on_leave["time_off"][0]["reason"] == "x"
    waiting = api.conversation(account, inbox["id"])
    assert waiting["assignee_id"] is None
    verdicts = {a["agent_id"]: a for a in why(api, account, waiting["id"])["agents"]}
    assert verdicts[night]["reason"] == "outside_working_hours"
    assert verdicts[night]["until"] > now.timestamp()
    assert verdicts[worker] == {"agent_id": worker, "reason": "on_leave", "until": leave["ends_at"]}
    # the leave ends: its end was the inbox's wake-up
    deadline = time.monotonic() + 15
    while api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] is None:
        assert time.monotonic() < deadline, "not assigned when the leave ended"
        time.sleep(0.1)
        api.drain()
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == worker
    # clearing the shifts: the night agent works at all hours again
    cleared = api.ok("PUT", account, f"/agents/{night}/working_hours", json={"shifts": []})
    assert cleared["shifts"] == []


def test_time_off_can_be_removed_and_bad_input_is_refused(api: Api, account: Account):
    agent = api.agent(account)["id"]
    now = int(time.time())
    created = api.ok(
        "POST", account, f"/agents/{agent}/time_off", json={"starts_at": now, "ends_at": now + 3600}
    )
    [leave] = created["time_off"]
    api.ok("DELETE", account, f"/agents/{agent}/time_off/{leave['id']}")
    assert api.ok("GET", account, f"/agents/{agent}/working_hours")["time_off"] == []
    missing = api.call("DELETE", account, f"/agents/{agent}/time_off/{leave['id']}")
    assert missing.status_code == 404
    for body in (
        {"time_zone": "Mars/Olympus", "shifts": []},
        {"shifts": [{"day": "someday", "start": "09:00", "end": "17:00"}]},
        {"shifts": [{"day": "monday", "start": "9am", "end": "17:00"}]},
        {"shifts": [{"day": "monday", "start": "09:00", "end": "09:00"}]},
    ):
        response = api.call("PUT", account, f"/agents/{agent}/working_hours", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]
    backwards = api.call(
        "POST", account, f"/agents/{agent}/time_off", json={"starts_at": now, "ends_at": now}
    )
    assert backwards.status_code == 422
    assert api.call("GET", account, "/agents/999999/working_hours").status_code == 404


def test_a_closed_inbox_assigns_nothing_until_it_opens(api: Api, account: Account):
    agent = api.agent(account)["id"]
    inbox = api.inbox(account, [agent])
    now = datetime.now(UTC)
    closed_day = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
        (now.weekday() + 3) % 7
    ]
    hours = {"time_zone": "UTC", "shifts": [{"day": closed_day, "start": "00:00", "end": "01:00"}]}
    saved = api.ok("PUT", account, f"/inboxes/{inbox['id']}/business_hours", json=hours)
    assert saved == hours
    waiting = api.conversation(account, inbox["id"])
    assert waiting["assignee_id"] is None
    why = api.ok("GET", account, f"/conversations/{waiting['id']}/assignment_explanation")
    assert why["result"] == "outside_business_hours"
    assert why["waits_until"] > now.timestamp()
    # open now: setting the hours runs the inbox
    everyday = [
        {"day": d, "start": "00:00", "end": "24:00"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ]
    api.ok(
        "PUT",
        account,
        f"/inboxes/{inbox['id']}/business_hours",
        json={"time_zone": "Pacific/Auckland", "shifts": everyday},
    )
    assert api.ok("GET", account, f"/conversations/{waiting['id']}")["assignee_id"] == agent
    assert api.ok("GET", account, f"/inboxes/{inbox['id']}/business_hours")["shifts"][0] == {
        "day": "monday",
        "start": "00:00",
        "end": "24:00",
    }
