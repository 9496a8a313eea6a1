"""Typed records of both sides: Chatwoot's objects as the connector reads them, and the
connector's own rows (connection, links, received webhooks, write-backs)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from autoassign.core.drafts import Activity
from autoassign.core.model import Presence, Priority, Status


class Kind(enum.StrEnum):
    """What a link maps: Chatwoot ids and autoassign ids are different numbers."""

    AGENT = "agent"
    INBOX = "inbox"
    TEAM = "team"


class WritebackState(enum.StrEnum):
    PENDING = "pending"
    #: Chatwoot shows the assignee (we wrote it, or it was there already)
    DONE = "done"
    #: the conversation changed hands before it was written: nothing to write
    SUPERSEDED = "superseded"
    #: Chatwoot refused it for good (e.g. the conversation is gone)
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Connection:
    id: int
    account_id: int
    base_url: str
    chatwoot_account_id: int
    api_token: str
    webhook_secret: str | None
    created_at: datetime
    synced_at: datetime | None = None
    sync_requested: bool = False


@dataclass(frozen=True, slots=True)
class ConversationLink:
    """A Chatwoot conversation (by display id) and the autoassign one, with what each
    side last showed of its assignee (Chatwoot user ids)."""

    connection_id: int
    chatwoot_id: int
    conversation_id: int
    #: Chatwoot's ``updated_at`` of the newest state applied; older events are stale
    version: float | None = None
    chatwoot_assignee_id: int | None = None
    written_assignee_id: int | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A received webhook waiting to be applied."""

    id: int
    connection_id: int
    event: str
    payload: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Writeback:
    """One assignment autoassign made, to be written to Chatwoot."""

    id: int
    connection_id: int
    assignment_id: int
    conversation_id: int
    agent_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class WritebackCounts:
    pending: int = 0
    done: int = 0
    superseded: int = 0
    failed: int = 0


# Chatwoot's objects ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CwAgent:
    id: int
    name: str
    email: str | None
    #: Chatwoot's computed ``availability_status`` (presence included)
    availability: Presence


@dataclass(frozen=True, slots=True)
class CwInbox:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CwTeam:
    id: int
    name: str
    allow_auto_assign: bool


@dataclass(frozen=True, slots=True)
class CwConversation:
    """A conversation as a webhook shows it (``id`` is the display id)."""

    id: int
    inbox_id: int
    status: Status
    created_at: datetime
    last_activity_at: datetime
    priority: Priority | None = None
    labels: frozenset[str] = field(default_factory=frozenset)
    #: None: no team; absent from the payload is also None
    team_id: int | None = None
    #: a user's id; None when unassigned
    assignee_id: int | None = None
    #: assigned to something that is not a user (an agent bot): not ours to change
    assignee_is_other: bool = False
    #: ``updated_at`` (newer Chatwoot versions); None when the payload has none
    version: float | None = None


@dataclass(frozen=True, slots=True)
class ConversationEvent:
    """conversation_created / _updated / _status_changed, and the conversation of a
    message_created / _updated (whose activity is the message's time)."""

    event: str
    conversation: CwConversation
    #: message_created: the message, which may start or stop the unanswered timer
    message: Activity | None = None


@dataclass(frozen=True, slots=True)
class DirectoryEvent:
    """Something the directory sync covers changed (an inbox was created or updated)."""

    event: str


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """An event the connector has no use for (contacts, typing, the widget...)."""

    event: str


Event = ConversationEvent | DirectoryEvent | IgnoredEvent
