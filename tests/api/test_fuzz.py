"""Schemathesis fuzzes every operation of the served OpenAPI document against a live server.

No generated request may get a 5xx, and every response must match the documented status
codes and schemas. Requests carry a valid token, and the account in the path is the
token's account, so the fuzzer reaches the handlers rather than the auth wall.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings

from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app
from tests.api.conftest import ADMIN


class LiveServer:
    def __init__(self, database_url: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        app = create_app(Settings(database_url=database_url, admin_token=ADMIN, webhook_attempts=1))
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(
    sqlite_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, object]]:
    """A server with one account holding one of each object, so ids 1 exist."""
    target = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    shutil.copyfile(sqlite_template, target)
    server = LiveServer(f"sqlite:///{target}")
    created = requests.post(
        f"{server.base}/platform/api/v1/accounts",
        json={"name": "Fuzz"},
        headers={"api_access_token": ADMIN},
        timeout=10,
    ).json()
    headers = {"api_access_token": created["api_access_token"]}
    prefix = f"{server.base}/api/v1/accounts/{created['id']}"

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{prefix}{path}", json=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    agent = post("/agents", {"name": "A", "availability": "online"})
    inbox = post("/inboxes", {"name": "I"})
    post("/inbox_members", {"inbox_id": inbox["id"], "user_ids": [agent["id"]]})
    policy = post("/assignment_policies", {"name": "P"})
    post(f"/inboxes/{inbox['id']}/assignment_policy", {"assignment_policy_id": policy["id"]})
    post("/conversations", {"inbox_id": inbox["id"]})
    post("/teams", {"name": "T"})
    capacity = post("/agent_capacity_policies", {"name": "C"})
    post(
        f"/agent_capacity_policies/{capacity['id']}/inbox_limits",
        {"inbox_id": inbox["id"], "conversation_limit": 5},
    )
    post("/webhooks", {"url": "http://127.0.0.1:9/hook"})
    yield {"server": server, "account_id": created["id"], "headers": headers}
    server.stop()


def test_no_request_gets_a_server_error_or_an_undocumented_answer(live):
    server = live["server"]
    assert isinstance(server, LiveServer)
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 50

    for operation in operations:
        headers = (
            {"api_access_token": ADMIN}
            if operation.path.startswith("/platform")
            else dict(live["headers"])
        )
        _fuzzer(operation, server.base, headers, live["account_id"])()


def _fuzzer(operation, base: str, headers: dict[str, str], account_id: object):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=DERANDOMIZE,
        database=None,
    )
    @given(case=operation.as_strategy())
    def fuzz(case):
        if case.path_parameters and "account_id" in case.path_parameters:
            case.path_parameters["account_id"] = account_id
        if case.headers:
            case.headers.pop("api_access_token", None)
        case.call_and_validate(base_url=base, headers=headers)

    return fuzz


#: examples per operation; raise it for a deeper run (AUTOASSIGN_TEST_FUZZ_EXAMPLES=200)
EXAMPLES = int(os.environ.get("AUTOASSIGN_TEST_FUZZ_EXAMPLES", "12"))
#: derandomized in CI so a failure reproduces; AUTOASSIGN_TEST_FUZZ_RANDOM=1 explores
DERANDOMIZE = os.environ.get("AUTOASSIGN_TEST_FUZZ_RANDOM") != "1"
