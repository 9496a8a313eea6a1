"""HttpChatwootApi: Chatwoot's application API over HTTP, with an access token.

Every request is one of the document's operations (``application_swagger.json``), sent
as the document describes it: the ``api_access_token`` header, JSON bodies, integer path
ids. Network failures, timeouts, 5xx and 429 are ``ChatwootUnavailable`` (try again
later); other 4xx are ``ChatwootRejected``. A body that is not in the documented shape
is ``ChatwootUnavailable`` too: a proxy's error page or a half-upgraded server is a
passing state, not a reason to drop work.

The base URL is the operator's choice, so it is not checked against the address policy
that guards autoassign's own webhooks: a Chatwoot on a private network is the usual case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx2

from autoassign.chatwoot import payloads
from autoassign.chatwoot.ports import ChatwootRejected, ChatwootUnavailable
from autoassign.chatwoot.records import Connection, CwAgent, CwInbox, CwTeam

T = TypeVar("T")
TIMEOUT = 10.0


class HttpChatwootApi:
    def __init__(
        self,
        base_url: str,
        account_id: int,
        token: str,
        *,
        timeout: float = TIMEOUT,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self._prefix = f"/api/v1/accounts/{account_id}"
        self._client = httpx2.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"api_access_token": token, "Accept": "application/json"},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )

    @classmethod
    def for_connection(cls, connection: Connection, *, timeout: float = TIMEOUT) -> HttpChatwootApi:
        return cls(
            connection.base_url,
            connection.chatwoot_account_id,
            connection.api_token,
            timeout=timeout,
        )

    async def _call(self, method: str, path: str, parse: Callable[[Any], T], body: Any = None) -> T:
        url = self._prefix + path
        try:
            response = await self._client.request(method, url, json=body)
        except httpx2.HTTPError as exc:
            raise ChatwootUnavailable(f"{method} {url}: {type(exc).__name__} {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ChatwootUnavailable(f"{method} {url}: Chatwoot answered {response.status_code}")
        if response.status_code >= 400:
            raise ChatwootRejected(response.status_code, f"{method} {url}: {response.text[:200]}")
        try:
            return parse(response.json() if response.content else None)
        except (ValueError, payloads.PayloadError) as exc:
            raise ChatwootUnavailable(f"{method} {url}: unreadable answer: {exc}") from exc

    async def agents(self) -> list[CwAgent]:
        return await self._call("GET", "/agents", payloads.agents)

    async def inboxes(self) -> list[CwInbox]:
        return await self._call("GET", "/inboxes", payloads.inboxes)

    async def inbox_member_ids(self, inbox_id: int) -> list[int]:
        return await self._call("GET", f"/inbox_members/{inbox_id}", payloads.member_ids)

    async def teams(self) -> list[CwTeam]:
        return await self._call("GET", "/teams", payloads.teams)

    async def team_member_ids(self, team_id: int) -> list[int]:
        return await self._call("GET", f"/teams/{team_id}/team_members", payloads.member_ids)

    async def conversation_assignee(self, conversation_id: int) -> int | None:
        return await self._call(
            "GET", f"/conversations/{conversation_id}", payloads.conversation_assignee
        )

    async def assign(self, conversation_id: int, agent_id: int) -> None:
        """The answer (the agent, or ``null``) is not needed: the next read shows it."""
        await self._call(
            "POST",
            f"/conversations/{conversation_id}/assignments",
            lambda _answer: None,
            {"assignee_id": agent_id},
        )

    async def webhook_urls(self) -> dict[str, int]:
        return await self._call("GET", "/webhooks", payloads.webhook_urls)

    async def add_webhook(self, url: str, subscriptions: Sequence[str]) -> str | None:
        body = {"url": url, "subscriptions": list(subscriptions)}
        return await self._call("POST", "/webhooks", payloads.webhook_secret, body)

    async def aclose(self) -> None:
        await self._client.aclose()
