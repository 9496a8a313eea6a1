"""An HTTP client per back end pair: SQLite + memory, and PostgreSQL + Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app
from tests.conftest import REDIS_URL

ADMIN = "admin-secret"


@dataclass
class Account:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"api_access_token": self.token}


class Api:
    """A test client that knows the platform token and account prefixes."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def new_account(self, name: str = "Acme") -> Account:
        response = self.client.post(
            "/platform/api/v1/accounts", json={"name": name}, headers={"api_access_token": ADMIN}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Account(body["id"], body["api_access_token"])

    def call(self, method: str, account: Account, path: str, **kwargs: Any) -> httpx2.Response:
        url = f"/api/v1/accounts/{account.id}{path}"
        headers = {**account.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, url, headers=headers, **kwargs)
        if method != "GET":
            self.drain()
        return response

    def drain(self) -> None:
        """Let the job queue run what the last request triggered."""
        engine = self.client.app.state.engine  # type: ignore[attr-defined]
        self.client.portal.call(engine.jobs.drain)  # type: ignore[union-attr]

    def ok(self, method: str, account: Account, path: str, **kwargs: Any) -> Any:
        response = self.call(method, account, path, **kwargs)
        assert response.status_code in (200, 204), f"{method} {path}: {response.text}"
        return response.json() if response.status_code == 200 else None

    # builders -------------------------------------------------------------------------

    def agent(self, account: Account, name: str = "Ann", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "availability": "online", **fields}
        result: dict[str, Any] = self.ok("POST", account, "/agents", json=body)
        return result

    def inbox(
        self,
        account: Account,
        agents: list[int],
        policy: dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """An inbox with members and a linked policy (unless policy is {"skip": True})."""
        inbox: dict[str, Any] = self.ok(
            "POST", account, "/inboxes", json={"name": "Support", **fields}
        )
        if agents:
            self.ok(
                "POST",
                account,
                "/inbox_members",
                json={"inbox_id": inbox["id"], "user_ids": agents},
            )
        if not (policy or {}).get("skip"):
            body = {"name": f"policy-{uuid.uuid4().hex[:8]}", **(policy or {})}
            created = self.ok("POST", account, "/assignment_policies", json=body)
            self.ok(
                "POST",
                account,
                f"/inboxes/{inbox['id']}/assignment_policy",
                json={"assignment_policy_id": created["id"]},
            )
            inbox["policy_id"] = created["id"]
        return inbox

    def conversation(self, account: Account, inbox_id: int, **fields: Any) -> dict[str, Any]:
        """Create, then read back: the assignment runs after the create response is built."""
        created = self.ok("POST", account, "/conversations", json={"inbox_id": inbox_id, **fields})
        result: dict[str, Any] = self.ok("GET", account, f"/conversations/{created['id']}")
        return result


def _settings(request: pytest.FixtureRequest) -> Settings:
    common: dict[str, Any] = {"admin_token": ADMIN, "webhook_retry_delay": 0.05}
    if request.param == "sqlite-memory":
        return Settings(database_url=request.getfixturevalue("sqlite_url"), **common)
    request.getfixturevalue("redis_client")  # flushed before and after
    return Settings(
        database_url=request.getfixturevalue("pg_url"),
        redis_url=REDIS_URL,
        redis_prefix=f"api{uuid.uuid4().hex[:6]}",
        **common,
    )


@pytest.fixture(params=["sqlite-memory", "postgres-redis"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with TestClient(create_app(_settings(request))) as client:
        yield Api(client)


@pytest.fixture
def account(api: Api) -> Account:
    return api.new_account()
