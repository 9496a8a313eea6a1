"""Chatwoot's JSON → records: REST responses in the shapes its OpenAPI document gives,
and webhook payloads in the shapes its listener sends (shared/chatwoot/webhooks.md §3).

Chatwoot's document marks no field as required and versions differ, so a field the
connector needs (an id) must be there and of its type, and the rest has safe defaults.
Where the document and the server disagree both spellings are read: the document's
``available`` is the server's ``online``, and timestamps come as epoch numbers, numeric
strings or ISO 8601. A payload that cannot be read raises ``PayloadError``, whose
message names the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from autoassign.chatwoot.records import (
    ConversationEvent,
    CwAgent,
    CwConversation,
    CwInbox,
    CwTeam,
    DirectoryEvent,
    Event,
    IgnoredEvent,
)
from autoassign.core.drafts import Activity, MessageType, SenderType
from autoassign.core.model import Presence, Priority, Status

#: conversation payloads (the object itself is the conversation)
CONVERSATION_EVENTS = frozenset(
    {
        "conversation_created",
        "conversation_updated",
        "conversation_status_changed",
        # older names, still sent by some versions
        "conversation_opened",
        "conversation_resolved",
    }
)
#: message payloads (the conversation is ``conversation``)
MESSAGE_EVENTS = frozenset({"message_created", "message_updated"})
#: the directory changed: sync now rather than at the next period
DIRECTORY_EVENTS = frozenset({"inbox_created", "inbox_updated"})
#: what the connector subscribes to (the document's enum has no inbox events)
SUBSCRIPTIONS = (
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
    "message_created",
    "message_updated",
)
_AVAILABILITY = {
    "online": Presence.ONLINE,
    "available": Presence.ONLINE,  # the OpenAPI document's name for it
    "busy": Presence.BUSY,
    "offline": Presence.OFFLINE,
}
MAX_NAME = 255


class PayloadError(ValueError):
    """Chatwoot's JSON is not in a shape the connector can read."""


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be an array")
    return value


def _id(value: Any, where: str) -> int:
    """Ids are integers; the document types some as ``number``, so 5.0 is 5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{where} must be a positive integer id")
    if value != int(value) or not 1 <= value <= 2**63 - 1:
        raise PayloadError(f"{where} must be a positive integer id")
    return int(value)


def _name(value: Any, fallback: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    text = text.replace("\x00", "")[:MAX_NAME].strip()
    return text or fallback


def timestamp(value: Any, where: str) -> datetime | None:
    """Epoch seconds (int, float or numeric string) or ISO 8601; 0 and None are unset."""
    if value is None or value == 0 or value == "":
        return None
    if isinstance(value, bool):
        raise PayloadError(f"{where} must be a timestamp")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise PayloadError(f"{where} must be a timestamp") from None
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    if not isinstance(value, int | float) or not 0 < value < 32_503_680_000:  # year 3000
        raise PayloadError(f"{where} must be a timestamp")
    return datetime.fromtimestamp(value, UTC)


def _version(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        parsed = timestamp(value, "updated_at")
        return parsed.timestamp() if parsed else None
    return number if number > 0 else None


# REST responses -------------------------------------------------------------------------


def agent(data: Any, where: str = "agent") -> CwAgent:
    item = _obj(data, where)
    agent_id = _id(item.get("id"), f"{where}.id")
    status = item.get("availability_status")
    email = item.get("email")
    return CwAgent(
        id=agent_id,
        name=_name(item.get("available_name") or item.get("name"), f"agent {agent_id}"),
        email=email if isinstance(email, str) and "@" in email and len(email) <= 255 else None,
        availability=_AVAILABILITY.get(status, Presence.OFFLINE)
        if isinstance(status, str)
        else Presence.OFFLINE,
    )


def agents(data: Any) -> list[CwAgent]:
    """GET …/agents: an array of agent."""
    return [agent(a, f"agents[{i}]") for i, a in enumerate(_list(data, "agents"))]


def member_ids(data: Any) -> list[int]:
    """GET …/inbox_members/{id}: ``{"payload": [agent]}``; GET …/team_members: [agent]."""
    items = _obj(data, "inbox members").get("payload") if isinstance(data, Mapping) else data
    return [agent(a, f"members[{i}]").id for i, a in enumerate(_list(items, "members"))]


def inboxes(data: Any) -> list[CwInbox]:
    """GET …/inboxes: ``{"payload": [inbox]}``."""
    items = _list(_obj(data, "inboxes").get("payload"), "inboxes.payload")
    found = []
    for i, raw in enumerate(items):
        item = _obj(raw, f"inboxes[{i}]")
        inbox_id = _id(item.get("id"), f"inboxes[{i}].id")
        found.append(CwInbox(inbox_id, _name(item.get("name"), f"inbox {inbox_id}")))
    return found


def teams(data: Any) -> list[CwTeam]:
    """GET …/teams: an array of team."""
    found = []
    for i, raw in enumerate(_list(data, "teams")):
        item = _obj(raw, f"teams[{i}]")
        team_id = _id(item.get("id"), f"teams[{i}].id")
        allow = item.get("allow_auto_assign")
        name = _name(item.get("name"), f"team {team_id}")
        found.append(CwTeam(team_id, name, allow if isinstance(allow, bool) else True))
    return found


def conversation_assignee(data: Any) -> int | None:
    """GET …/conversations/{id} (conversation_show): ``meta.assignee.id`` or None."""
    meta = _obj(data, "conversation").get("meta")
    if not isinstance(meta, Mapping) or meta.get("assignee") is None:
        return None
    return _id(_obj(meta["assignee"], "meta.assignee").get("id"), "meta.assignee.id")


def webhook_urls(data: Any) -> dict[str, int]:
    """GET …/webhooks: an array of webhook → {url: id}."""
    found = {}
    for i, raw in enumerate(_list(data, "webhooks")):
        item = _obj(raw, f"webhooks[{i}]")
        if isinstance(item.get("url"), str):
            found[item["url"]] = _id(item.get("id"), f"webhooks[{i}].id")
    return found


def webhook_secret(data: Any) -> str | None:
    """POST …/webhooks answers the webhook; newer versions include its signing secret
    (sometimes under ``payload``)."""
    item = _obj(data, "webhook")
    inner = item.get("payload")
    source = inner if isinstance(inner, Mapping) else item
    secret = source.get("secret")
    return secret if isinstance(secret, str) and secret else None


# webhook payloads -----------------------------------------------------------------------


def _label(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255 and "\x00" not in value


def conversation(data: Any, where: str = "conversation") -> CwConversation:
    """The conversation object of webhooks.md §3.1."""
    item = _obj(data, where)
    conversation_id = _id(item.get("id"), f"{where}.id")
    status = item.get("status", "open")
    if status not in {s.value for s in Status}:
        raise PayloadError(f"{where}.status must be one of open, pending, resolved, snoozed")
    priority = item.get("priority")
    if priority is not None and priority not in {p.value for p in Priority}:
        raise PayloadError(f"{where}.priority must be null or low, medium, high, urgent")
    labels = item.get("labels") or []
    if not all(_label(x) for x in _list(labels, f"{where}.labels")):
        raise PayloadError(f"{where}.labels must be strings of 1 to 255 characters")
    raw_meta = item.get("meta")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
    team = meta.get("team")
    assignee = meta.get("assignee")
    other = isinstance(assignee, Mapping) and assignee.get("type") not in (None, "user")
    created = timestamp(item.get("created_at"), f"{where}.created_at")
    activity = timestamp(item.get("last_activity_at") or item.get("timestamp"), where)
    now = datetime.now(UTC)
    return CwConversation(
        id=conversation_id,
        inbox_id=_id(item.get("inbox_id"), f"{where}.inbox_id"),
        status=Status(status),
        created_at=created or activity or now,
        last_activity_at=activity or created or now,
        priority=Priority(priority) if priority else None,
        labels=frozenset(labels),
        team_id=_id(_obj(team, "meta.team").get("id"), "meta.team.id") if team else None,
        assignee_id=None
        if assignee is None or other
        else _id(_obj(assignee, "meta.assignee").get("id"), "meta.assignee.id"),
        assignee_is_other=other,
        version=_version(item.get("updated_at")),
    )


_SENDERS = {
    "contact": SenderType.CONTACT,
    "user": SenderType.USER,
    "agent_bot": SenderType.AGENT_BOT,
}


def message(item: Mapping[str, Any], sent: datetime | None) -> Activity | None:
    """A created message as the unanswered timer sees it (None: a kind it ignores)."""
    try:
        kind = MessageType(str(item.get("message_type")))
    except ValueError:
        return None  # Chatwoot's numeric or unknown kinds change no wait
    sender = item.get("sender")
    raw = sender.get("type") if isinstance(sender, Mapping) else item.get("sender_type")
    named = (
        _SENDERS.get(raw.lower().replace("agentbot", "agent_bot")) if isinstance(raw, str) else None
    )
    return Activity(kind, named, bool(item.get("private")), sent)


def event(body: bytes) -> Event:
    """A webhook delivery's body → the event the connector applies."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"the body is not valid JSON: {exc}") from None
    item = _obj(data, "the body")
    name = item.get("event")
    if not isinstance(name, str) or not name:
        raise PayloadError("event must be the event's name")
    if name in CONVERSATION_EVENTS:
        return ConversationEvent(name, conversation(item))
    if name in MESSAGE_EVENTS:
        found = conversation(item.get("conversation"), "conversation")
        if item.get("private") is True:  # an internal note: no activity of the contact
            return ConversationEvent(name, found)
        sent = timestamp(item.get("created_at"), "created_at")
        if sent is not None and sent > found.last_activity_at:
            found = replace(found, last_activity_at=sent)
        created = message(item, sent) if name == "message_created" else None
        return ConversationEvent(name, found, created)
    if name in DIRECTORY_EVENTS:
        return DirectoryEvent(name)
    return IgnoredEvent(name)
