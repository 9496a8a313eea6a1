"""The two ports of the connector: Chatwoot's REST API, and the connector's own tables.

The connector changes autoassign only through autoassign's services; its own state (the
connection, id links, received webhooks, the write-back outbox) is behind
``ConnectorStore``, one short transaction per call, so no call is ever held open across
a service call or an HTTP request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from autoassign.chatwoot.records import (
    Connection,
    ConversationLink,
    CwAgent,
    CwInbox,
    CwTeam,
    Inbound,
    Kind,
    Writeback,
    WritebackCounts,
    WritebackState,
)
from autoassign.core import errors


class ChatwootUnavailable(errors.BackendUnavailable):
    """Chatwoot could not be reached, timed out, or answered 5xx/429: try again later."""


class ChatwootRejected(errors.AutoassignError):
    """Chatwoot answered a 4xx: the request will not succeed as it is."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"Chatwoot answered {status}: {message}")


class ChatwootApi(Protocol):
    """One Chatwoot account, through its application API and an access token."""

    async def agents(self) -> list[CwAgent]: ...
    async def inboxes(self) -> list[CwInbox]: ...
    async def inbox_member_ids(self, inbox_id: int) -> list[int]: ...
    async def teams(self) -> list[CwTeam]: ...
    async def team_member_ids(self, team_id: int) -> list[int]: ...
    async def conversation_assignee(self, conversation_id: int) -> int | None:
        """The user a conversation is assigned to now (by display id)."""
        ...

    async def assign(self, conversation_id: int, agent_id: int) -> None:
        """POST …/conversations/{id}/assignments with the agent."""
        ...

    async def webhook_urls(self) -> dict[str, int]: ...
    async def add_webhook(self, url: str, subscriptions: Sequence[str]) -> str | None:
        """Subscribe ``url``; the signing secret when this Chatwoot version has one."""
        ...

    async def aclose(self) -> None: ...


class ChatwootApiFactory(Protocol):
    def __call__(self, connection: Connection) -> ChatwootApi: ...


class ConnectorStore(Protocol):
    # connections --------------------------------------------------------------------
    async def add_connection(
        self,
        account_id: int,
        base_url: str,
        chatwoot_account_id: int,
        api_token: str,
        webhook_token_hash: str,
        webhook_secret: str | None,
        now: datetime,
        lease: tuple[str, datetime] | None = None,
    ) -> Connection:
        """Conflict when the account is connected already. ``lease``: held by this
        owner until then from the start (so no connector works it while it is set up)."""
        ...

    async def connection(self, account_id: int) -> Connection | None: ...
    async def connection_by_webhook(self, webhook_token_hash: str) -> Connection | None: ...
    async def connections(self) -> list[Connection]: ...
    async def set_webhook_secret(self, connection_id: int, secret: str | None) -> None: ...
    async def remove_connection(self, account_id: int) -> bool: ...
    async def lease(self, connection_id: int, owner: str, until: datetime, now: datetime) -> bool:
        """Take or renew the right to work this connection (one connector at a time)."""
        ...

    async def release(self, connection_id: int, owner: str) -> None: ...
    async def request_sync(self, connection_id: int) -> None: ...
    async def synced(self, connection_id: int, now: datetime) -> None: ...

    # links --------------------------------------------------------------------------
    async def links(self, connection_id: int, kind: Kind) -> dict[int, int]:
        """Chatwoot id → autoassign id."""
        ...

    async def link(
        self, connection_id: int, kind: Kind, chatwoot_id: int, local_id: int
    ) -> None: ...
    async def unlink(self, connection_id: int, kind: Kind, chatwoot_id: int) -> None: ...
    async def conversation_link(
        self, connection_id: int, chatwoot_id: int
    ) -> ConversationLink | None: ...
    async def conversation_link_of(self, conversation_id: int) -> ConversationLink | None: ...
    async def save_conversation_link(self, link: ConversationLink) -> None:
        """Insert or replace (by connection and Chatwoot id)."""
        ...

    # received webhooks --------------------------------------------------------------
    async def add_inbound(
        self, connection_id: int, delivery_id: str, event: str, payload: str, now: datetime
    ) -> bool:
        """False when this delivery was received before (a duplicate)."""
        ...

    async def pending_inbound(self, connection_id: int, limit: int) -> list[Inbound]:
        """Oldest first: they are applied in the order they arrived."""
        ...

    async def finish_inbound(self, inbound_id: int, now: datetime, error: str | None) -> None: ...
    async def retry_inbound(self, inbound_id: int, error: str) -> None: ...
    async def prune_inbound(self, connection_id: int, before: datetime) -> int: ...

    # write-backs --------------------------------------------------------------------
    async def collect_writebacks(
        self, connection_id: int, now: datetime, settled_before: datetime
    ) -> int:
        """Add an outbox row for each new assignment of a linked conversation; returns
        how many. Assignments older than ``settled_before`` are never looked at again."""
        ...

    async def due_writebacks(
        self, connection_id: int, now: datetime, limit: int
    ) -> list[Writeback]: ...
    async def finish_writeback(
        self, writeback_id: int, state: WritebackState, now: datetime, error: str | None = None
    ) -> None: ...
    async def postpone_writeback(
        self, writeback_id: int, attempts: int, at: datetime, error: str
    ) -> None: ...
    async def writeback_counts(self, connection_id: int) -> WritebackCounts: ...
    async def prune_writebacks(self, connection_id: int, before: datetime) -> int: ...
