"""Logs and metrics through the API, on both back ends: JSON lines with a timestamp, the
request id, account and inbox; one line per batch and per job; backlog, oldest wait and
open load read at scrape; skips that do not grow with every batch; webhook failures; HTTP
counts and durations; readiness that says when no worker runs."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from autoassign.adapters import logging_setup
from autoassign.config import Settings
from tests.api.conftest import Account, Api

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    logging_setup.configure("INFO", stream=stream, fmt="json")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging_setup.reset()
    root.setLevel(level)


def metrics(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = api.client.get("/metrics").text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**values: object) -> frozenset[tuple[str, str]]:
    return frozenset((k, str(v)) for k, v in values.items())


def engine_of(api: Api) -> Any:
    return api.client.app.state.engine  # type: ignore[attr-defined]


def test_a_request_logs_one_json_line_with_its_id_account_and_inbox(
    api: Api, account: Account, log_lines: Lines
):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    path = f"/api/v1/accounts/{account.id}/inboxes/{inbox['id']}/assign"
    headers = {**account.headers, "X-Request-ID": "req-42"}
    response = api.client.post(path, headers=headers)
    assert response.headers["x-request-id"] == "req-42"
    mine = [line for line in log_lines() if line.get("request_id") == "req-42"]
    http = [line for line in mine if line["logger"] == "autoassign.http"]
    assert len(http) == 1
    line = http[0]
    assert line["level"] == "info"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line["timestamp"])
    assert (line["account_id"], line["inbox_id"], line["status"]) == (account.id, inbox["id"], 200)
    assert line["route"] == "/api/v1/accounts/{account_id}/inboxes/{inbox_id}/assign"
    assert line["event"] == f"POST {path} 200"
    assert line["duration_ms"] > 0
    batch = [entry for entry in mine if entry.get("action") == "batch"]
    assert len(batch) == 1  # the batch ran inside the request: it carries the request id
    assert batch[0]["account_id"] == account.id
    assert batch[0]["inbox_id"] == inbox["id"]
    assert {"assigned", "considered", "skipped", "duration_ms"} <= batch[0].keys()


def test_request_ids_are_made_when_missing_or_unsafe(api: Api, account: Account):
    made = api.call("GET", account, "/agents").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    unsafe = api.call("GET", account, "/agents", headers={"X-Request-ID": "a b\nforged"})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])


def test_runs_log_a_line_per_batch_and_job_with_counts(
    api: Api, account: Account, log_lines: Lines
):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    created = api.conversation(account, inbox["id"])
    lines = log_lines()
    batches = [
        line
        for line in lines
        if line.get("action") == "batch" and line["inbox_id"] == inbox["id"] and line["assigned"]
    ]
    assert batches, lines
    assert batches[-1]["considered"] == 1
    # a run queued by a request runs after it, in its own task: no stale request id
    assert "request_id" not in batches[-1]
    events = [line for line in lines if line["logger"] == "autoassign.events"]
    assert events[-1]["inbox_id"] == inbox["id"]
    assert f"conversation={created['id']}" in events[-1]["event"]
    if not engine_of(api).settings.embedded:  # Procrastinate's line per job, flattened
        jobs = [line for line in lines if line.get("action") == "job_success"]
        assert any(job.get("inbox_id") == inbox["id"] and job.get("job_id") for job in jobs)
        assert all("worker" not in job or isinstance(job["worker"], str) for job in jobs)


def test_the_log_level_and_format_settings(api: Api, account: Account):
    assert Settings(log_level="warning").log_level == "WARNING"
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="chatty")
    quiet, console = io.StringIO(), io.StringIO()
    try:
        logging_setup.configure("WARNING", stream=quiet, fmt="json")
        api.call("GET", account, "/agents")
        logging_setup.configure("INFO", stream=console, fmt="console")
        api.call("GET", account, "/agents", headers={"X-Request-ID": "human"})
    finally:
        logging_setup.reset()
        logging.getLogger().setLevel(logging.WARNING)
    assert quiet.getvalue() == ""
    line = console.getvalue().splitlines()[-1]
    assert "GET /api/v1/accounts/" in line
    assert "request_id=human" in re.sub(r"\x1b\[[0-9;]*m", "", line)


def test_backlog_oldest_wait_and_open_load_come_from_the_database(api: Api, account: Account):
    agent = api.agent(account, availability="offline")
    inbox = api.inbox(account, [agent["id"]])
    hour_ago = int(time.time()) - 3600
    for _ in range(2):
        api.conversation(account, inbox["id"], created_at=hour_ago)
    where = labels(account_id=account.id, inbox_id=inbox["id"])
    before = metrics(api)
    assert before[("autoassign_inbox_waiting_conversations", where)] == 2
    assert 3600 <= before[("autoassign_inbox_oldest_wait_seconds", where)] < 3700
    api.ok("PATCH", account, f"/agents/{agent['id']}", json={"availability": "online"})
    after = metrics(api)
    assert after[("autoassign_inbox_waiting_conversations", where)] == 0
    assert after[("autoassign_inbox_oldest_wait_seconds", where)] == 0
    load = labels(account_id=account.id, agent_id=agent["id"])
    assert after[("autoassign_agent_open_conversations", load)] == 2


def test_a_waiting_conversation_is_one_skip_however_many_batches_see_it(api: Api, account: Account):
    agent = api.agent(account, availability="offline")
    inbox = api.inbox(account, [agent["id"]])
    api.conversation(account, inbox["id"])
    for _ in range(3):
        api.ok("POST", account, f"/inboxes/{inbox['id']}/assign")
    skipped = (
        "autoassign_skipped_conversations",
        labels(inbox_id=inbox["id"], reason="no_agent_online"),
    )
    assert metrics(api)[skipped] == 1
    api.conversation(account, inbox["id"])
    assert metrics(api)[skipped] == 2
    api.ok("PATCH", account, f"/agents/{agent['id']}", json={"availability": "online"})
    assert skipped not in metrics(api)  # nothing waits any more: the series is gone


def test_http_requests_are_counted_and_timed_by_route(api: Api, account: Account):
    for _ in range(2):
        api.call("GET", account, "/agents")
    api.client.get("/no/such/page")
    found = metrics(api)
    route = "/api/v1/accounts/{account_id}/agents"
    ok = labels(method="GET", route=route, status=200)
    assert found[("autoassign_http_requests_total", ok)] == 2
    timed = ("autoassign_http_request_duration_seconds_count", labels(method="GET", route=route))
    assert found[timed] == 2
    unmatched = labels(method="GET", route="unmatched", status=404)
    assert found[("autoassign_http_requests_total", unmatched)] == 1


def test_webhook_delivery_failures_are_counted(api: Api, account: Account):
    api.ok("POST", account, "/webhooks", json={"url": "http://127.0.0.1:9/hook"})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    api.conversation(account, inbox["id"])
    api.client.portal.call(engine_of(api).webhooks.drain)  # type: ignore[union-attr]
    refused = ("autoassign_webhook_delivery_failures_total", labels(outcome="refused"))
    assert metrics(api)[refused] == 1  # loopback is refused unless allowed
    assert metrics(api)[refused] == 1  # a second scrape adds nothing


def test_readiness_says_when_no_worker_is_running(api: Api):
    engine = engine_of(api)
    body = api.client.get("/readyz").json()
    if engine.settings.embedded:  # jobs run in the serving process
        assert body == {"status": "ok", "checks": {"database": "ok", "state_store": "ok"}}
        return
    assert api.client.get("/readyz").status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["worker"].startswith("no worker is running (none registered)")
    with psycopg.connect(engine.settings.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO procrastinate_workers DEFAULT VALUES")
    assert api.client.get("/readyz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "state_store": "ok", "worker": "ok"},
    }
    with psycopg.connect(engine.settings.database_url, autocommit=True) as conn:
        conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '5 min'")
    stale = api.client.get("/readyz").json()["checks"]["worker"]
    assert stale.startswith("no worker is running (last heartbeat 300 s ago)")
