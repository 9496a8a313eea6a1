"""A double of Chatwoot generated from its OpenAPI description, served on 127.0.0.1.

Requests are routed by the document's paths, and each is validated against its
operation (parameters, the ``api_access_token`` security header, the JSON body schema);
a request the document does not describe is answered 400 and recorded as invalid, so a
test can assert that every request the connector sent was valid. Responses are
synthesised from the operation's response schema, with the double's state laid over
the synthesised object, and validated against that schema before they are sent.

The state (agents, inboxes, members, teams, conversations, webhooks) is what tests set
up. Like Chatwoot, the double POSTs webhooks to the subscribed URLs when a conversation
changes, in the shapes of shared/chatwoot/webhooks.md §3 (the document has none), and
can be stopped and started again on the same port: "Chatwoot is down".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from autoassign.chatwoot.signature import sign
from tests.chatwoot.spec import Spec, load

TOKEN = "chatwoot-admin-token"
ACCOUNT = 7


@dataclass
class Conv:
    id: int
    inbox_id: int
    status: str = "open"
    assignee_id: int | None = None
    team_id: int | None = None
    labels: list[str] = field(default_factory=list)
    priority: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))
    last_activity_at: int = field(default_factory=lambda: int(time.time()))
    updated_at: float = field(default_factory=time.time)


@dataclass
class Recorded:
    method: str
    path: str
    operation: str | None
    problems: list[str]
    body: Any


class ChatwootDouble:
    def __init__(self, spec: Spec | None = None, *, webhook_secret: str | None = None) -> None:
        self.spec = spec or load()
        self.webhook_secret = webhook_secret
        self.agents: dict[int, dict[str, Any]] = {}
        self.inboxes: dict[int, str] = {}
        self.inbox_members: dict[int, list[int]] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self.team_members: dict[int, list[int]] = {}
        self.conversations: dict[int, Conv] = {}
        self.webhooks: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        #: (conversation, assignee) of every assignment POST that changed Chatwoot
        self.assignments: list[tuple[int, int]] = []
        self.deliveries: list[tuple[str, int]] = []
        self._ids = Counter[str]()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = _free_port()
        self.app = Starlette(
            routes=[
                Route(
                    "/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]
                )
            ]
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    # serving -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (again) on the same port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:  # noqa: ASYNC110 (uvicorn exposes a flag only)
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Chatwoot is down: connections are refused until ``start``."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = None

    async def close(self) -> None:
        await self.stop()
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task

    def invalid_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.problems]

    # the API -------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        found = self.spec.match(request.method, request.url.path)
        if found is None:
            self.requests.append(
                Recorded(
                    request.method,
                    request.url.path,
                    None,
                    ["no such operation in the document"],
                    body,
                )
            )
            return JSONResponse({"description": "not in the OpenAPI document"}, status_code=400)
        op, params = found
        problems = self.spec.request_errors(op, params, dict(request.query_params), headers, body)
        parsed = json.loads(body) if body and not problems else None
        self.requests.append(
            Recorded(request.method, request.url.path, op.operation_id, problems, parsed)
        )
        if problems:
            return JSONResponse({"description": "; ".join(problems)}, status_code=400)
        if headers.get("api_access_token") != TOKEN:
            return JSONResponse({"description": "Invalid Access Token"}, status_code=401)
        if int(params.get("account_id", ACCOUNT)) != ACCOUNT:
            return JSONResponse({"description": "account not found"}, status_code=404)
        handler = getattr(self, "_op_" + op.operation_id.replace("-", "_"), None)
        if handler is None:
            return JSONResponse({"description": "the double does not do this"}, status_code=501)
        try:
            answer = handler(params, parsed)
        except KeyError:
            return JSONResponse({"description": "Resource could not be found"}, status_code=404)
        problems = self.spec.response_errors(op, 200, answer)
        assert not problems, f"the double answered outside the document: {problems}"
        return JSONResponse(answer)

    def _agent(self, agent_id: int) -> Any:
        a = self.agents[agent_id]
        status = {"online": "available"}.get(a["availability"], a["availability"])
        schema = self.spec.components["schemas"]["agent"]
        return self.spec.build(
            schema,
            id=agent_id,
            account_id=ACCOUNT,
            name=a["name"],
            available_name=a["name"],
            email=a["email"],
            availability_status=status,
            role="agent",
        )

    def _op_get_account_agents(self, p: dict[str, str], _: Any) -> Any:
        return [self._agent(i) for i in sorted(self.agents)]

    def _op_listAllInboxes(self, p: dict[str, str], _: Any) -> Any:
        schema = self.spec.components["schemas"]["inbox"]
        return {
            "payload": [
                self.spec.build(schema, id=i, name=n, enable_auto_assignment=False)
                for i, n in sorted(self.inboxes.items())
            ]
        }

    def _op_get_inbox_members(self, p: dict[str, str], _: Any) -> Any:
        members = self.inbox_members[int(p["inbox_id"])]
        return {"payload": [self._agent(a) for a in members]}

    def _op_list_all_teams(self, p: dict[str, str], _: Any) -> Any:
        schema = self.spec.components["schemas"]["team"]
        return [
            self.spec.build(
                schema, id=i, name=t["name"], allow_auto_assign=t["allow"], account_id=ACCOUNT
            )
            for i, t in sorted(self.teams.items())
        ]

    def _op_get_team_members(self, p: dict[str, str], _: Any) -> Any:
        return [self._agent(a) for a in self.team_members[int(p["team_id"])]]

    def _op_get_details_of_a_conversation(self, p: dict[str, str], _: Any) -> Any:
        c = self.conversations[int(p["conversation_id"])]
        found = self.spec.match("GET", f"/api/v1/accounts/{ACCOUNT}/conversations/1")
        assert found is not None
        schema = self.spec.response_schema(found[0])
        shown = self.spec.build(
            schema,
            id=c.id,
            inbox_id=c.inbox_id,
            account_id=ACCOUNT,
            status=c.status,
            labels=c.labels,
            created_at=c.created_at,
            last_activity_at=c.last_activity_at,
            updated_at=c.updated_at,
        )
        if c.priority:
            shown["priority"] = c.priority
        if c.assignee_id is None:
            del shown["meta"]["assignee"]
        else:
            shown["meta"]["assignee"] = {
                **shown["meta"]["assignee"],
                "id": c.assignee_id,
                "name": self.agents[c.assignee_id]["name"],
            }
        return shown

    def _op_assign_a_conversation(self, p: dict[str, str], body: Any) -> Any:
        c = self.conversations[int(p["conversation_id"])]
        agent_id = int(body["assignee_id"])
        before = c.assignee_id
        if agent_id in self.agents and before != agent_id:
            c.assignee_id = agent_id
            c.updated_at = time.time()
            self.assignments.append((c.id, agent_id))
            self._spawn(self.emit("conversation_updated", c, {"assignee_id": [before, agent_id]}))
        schema = self.spec.components["schemas"]["user"]
        return self.spec.build(
            schema, id=agent_id, account_id=ACCOUNT, name=self.agents[agent_id]["name"]
        )

    def _op_list_all_webhooks(self, p: dict[str, str], _: Any) -> Any:
        schema = self.spec.components["schemas"]["webhook"]
        return [
            self.spec.build(
                schema,
                id=w["id"],
                url=w["url"],
                subscriptions=w["subscriptions"],
                account_id=ACCOUNT,
            )
            for w in self.webhooks
        ]

    def _op_create_a_webhook(self, p: dict[str, str], body: Any) -> Any:
        hook = {
            "id": self.next_id("webhook"),
            "url": body["url"],
            "subscriptions": body["subscriptions"],
        }
        self.webhooks.append(hook)
        schema = self.spec.components["schemas"]["webhook"]
        shown = self.spec.build(schema, account_id=ACCOUNT, **hook)
        if self.webhook_secret:  # newer versions answer the signing secret too
            shown["secret"] = self.webhook_secret
        return shown

    # what people do in Chatwoot ------------------------------------------------------

    def add_agent(self, name: str, availability: str = "online") -> int:
        agent_id = self.next_id("agent") + 100
        self.agents[agent_id] = {
            "name": name,
            "email": f"{name.lower()}@example.com",
            "availability": availability,
        }
        return agent_id

    def add_inbox(self, name: str, members: list[int]) -> int:
        inbox_id = self.next_id("inbox") + 200
        self.inboxes[inbox_id] = name
        self.inbox_members[inbox_id] = list(members)
        return inbox_id

    def add_team(self, name: str, members: list[int]) -> int:
        team_id = self.next_id("team") + 300
        self.teams[team_id] = {"name": name, "allow": True}
        self.team_members[team_id] = list(members)
        return team_id

    async def new_conversation(self, inbox_id: int, **fields: Any) -> Conv:
        c = Conv(self.next_id("conversation"), inbox_id, **fields)
        self.conversations[c.id] = c
        await self.emit("conversation_created", c)
        return c

    async def change(self, conversation_id: int, **fields: Any) -> Conv:
        c = self.conversations[conversation_id]
        changed = {k: [getattr(c, k), v] for k, v in fields.items()}
        for key, value in fields.items():
            setattr(c, key, value)
        c.updated_at = time.time()
        if "status" in fields:
            await self.emit("conversation_status_changed", c, {"status": changed["status"]})
        await self.emit("conversation_updated", c, changed)
        return c

    async def message(
        self,
        conversation_id: int,
        content: str = "hi",
        incoming: bool = True,
        sender: dict[str, Any] | None = None,
    ) -> None:
        c = self.conversations[conversation_id]
        c.last_activity_at = int(time.time())
        payload = {
            "event": "message_created",
            "id": self.next_id("message"),
            "content": content,
            "message_type": "incoming" if incoming else "outgoing",
            "private": False,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "sender": sender or {"id": 1, "name": "Alice", "type": "contact"},
            "inbox": {"id": c.inbox_id, "name": self.inboxes[c.inbox_id]},
            "conversation": self.conversation_payload(c),
            "account": {"id": ACCOUNT, "name": "Acme"},
        }
        await self.deliver("message_created", payload)

    # webhooks ------------------------------------------------------------------------

    def conversation_payload(self, c: Conv) -> dict[str, Any]:
        assignee = None
        if c.assignee_id is not None:
            a = self.agents[c.assignee_id]
            assignee = {
                "id": c.assignee_id,
                "name": a["name"],
                "available_name": a["name"],
                "avatar_url": "",
                "type": "user",
                "availability_status": a["availability"],
            }
        team = {"id": c.team_id, "name": self.teams[c.team_id]["name"]} if c.team_id else None
        return {
            "id": c.id,
            "inbox_id": c.inbox_id,
            "channel": "Channel::Api",
            "status": c.status,
            "priority": c.priority,
            "labels": list(c.labels),
            "custom_attributes": {},
            "additional_attributes": {},
            "snoozed_until": None,
            "can_reply": True,
            "unread_count": 1,
            "first_reply_created_at": None,
            "waiting_since": c.created_at,
            "agent_last_seen_at": 0,
            "contact_last_seen_at": 0,
            "last_activity_at": c.last_activity_at,
            "timestamp": c.last_activity_at,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "meta": {
                "sender": {"id": 10, "name": "Alice", "type": "contact"},
                "assignee": assignee,
                "team": team,
                "hmac_verified": False,
            },
            "messages": [],
            "account": {"id": ACCOUNT, "name": "Acme"},
        }

    async def emit(self, event: str, c: Conv, changed: dict[str, list[Any]] | None = None) -> None:
        payload = {"event": event, **self.conversation_payload(c)}
        if changed is not None:
            payload["changed_attributes"] = [
                {k: {"previous_value": v[0], "current_value": v[1]}} for k, v in changed.items()
            ]
        await self.deliver(event, payload)

    async def deliver(
        self, event: str, payload: dict[str, Any], *, delivery: str | None = None
    ) -> None:
        body = json.dumps(payload).encode()
        async with httpx2.AsyncClient(timeout=5, trust_env=False) as client:
            for hook in self.webhooks:
                if event not in hook["subscriptions"]:
                    continue
                headers = {
                    "Content-Type": "application/json",
                    "X-Chatwoot-Delivery": delivery or str(uuid.uuid4()),
                }
                if self.webhook_secret:
                    now = int(time.time())
                    headers["X-Chatwoot-Timestamp"] = str(now)
                    headers["X-Chatwoot-Signature"] = sign(self.webhook_secret, now, body)
                try:
                    response = await client.post(hook["url"], content=body, headers=headers)
                    self.deliveries.append((event, response.status_code))
                except httpx2.HTTPError:
                    self.deliveries.append((event, 0))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
