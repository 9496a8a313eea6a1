"""Apply Chatwoot's webhooks to autoassign's conversations, through its services.

A conversation payload is the conversation's whole state, so applying one is making
autoassign's copy equal to it: status, labels, priority, team and activity through
``update_conversation``, a new conversation through ``create_conversation``. That makes
a duplicate harmless (the second finds nothing to change) and an out-of-order one too:
newer Chatwoot versions stamp ``updated_at``, and a state older than the newest applied
is dropped.

The assignee needs one more rule, because autoassign assigns ahead of Chatwoot (its
write-back is on the way) and Chatwoot's payloads do not say who acted. Chatwoot's
assignee is applied only when it *changed in Chatwoot* since the last payload: a person
assigned or unassigned there (respected: ``assign_by_hand``), or our own write came
back (then autoassign has it already). An unchanged Chatwoot assignee never undoes an
assignment autoassign has made and not yet written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from autoassign.chatwoot import payloads
from autoassign.chatwoot.records import (
    Connection,
    ConversationEvent,
    ConversationLink,
    CwConversation,
    DirectoryEvent,
    Inbound,
    Kind,
)
from autoassign.core import errors
from autoassign.core.drafts import Activity, ConversationPatch
from autoassign.core.model import Conversation
from autoassign.core.views import ConversationView
from autoassign.services import conversations
from autoassign.services.chatwoot_context import Connector

logger = logging.getLogger(__name__)

#: syncs the directory at most once per call site (an unknown id after a sync stays so)
Resync = Callable[[], Awaitable[frozenset[int]]]


class UnknownInChatwoot(errors.InvalidInput):
    """The payload names an inbox the directory sync does not know (even after a sync)."""


async def apply_inbound(
    cx: Connector, connection: Connection, inbound: Inbound, resync: Resync
) -> frozenset[int]:
    """Apply one received webhook; returns the inboxes to run. PayloadError and
    UnknownInChatwoot are for good; BackendUnavailable (ours or Chatwoot's) passes."""
    found = payloads.event(inbound.payload.encode("utf-8", "surrogatepass"))
    if isinstance(found, DirectoryEvent):
        await cx.store.request_sync(connection.id)
        return frozenset()
    if isinstance(found, ConversationEvent):
        run = await apply_conversation(cx, connection, found.conversation, resync)
        if found.message is not None:
            run |= await _apply_message(cx, connection, found.conversation.id, found.message)
        return run
    return frozenset()


async def _apply_message(
    cx: Connector, connection: Connection, chatwoot_id: int, message: Activity
) -> frozenset[int]:
    """A customer message or an agent's reply: the wait the unanswered timer reads."""
    link = await cx.store.conversation_link(connection.id, chatwoot_id)
    if link is None:
        return frozenset()
    changed = await conversations.record_activity(
        cx.deps, connection.account_id, link.conversation_id, message
    )
    return changed.run


async def _local(
    cx: Connector, connection: Connection, kind: Kind, chatwoot_id: int, resync: Resync
) -> int | None:
    """The autoassign id of a Chatwoot id; one sync when it is unknown (it is new)."""
    links = await cx.store.links(connection.id, kind)
    if chatwoot_id not in links:
        await resync()
        links = await cx.store.links(connection.id, kind)
    return links.get(chatwoot_id)


async def apply_conversation(
    cx: Connector, connection: Connection, cw: CwConversation, resync: Resync
) -> frozenset[int]:
    link = await cx.store.conversation_link(connection.id, cw.id)
    if link is not None and _stale(link, cw):
        logger.info("chatwoot: stale state of conversation %s dropped", cw.id)
        return frozenset()
    inbox_id = await _local(cx, connection, Kind.INBOX, cw.inbox_id, resync)
    if inbox_id is None:
        raise UnknownInChatwoot(f"Chatwoot inbox {cw.inbox_id} is not in Chatwoot's inbox list")
    team_id = None
    if cw.team_id is not None:
        team_id = await _local(cx, connection, Kind.TEAM, cw.team_id, resync)
    assignee = None
    if cw.assignee_id is not None:
        assignee = await _local(cx, connection, Kind.AGENT, cw.assignee_id, resync)
    current = await _current(cx, connection, link)
    if link is None or current is None:
        return await _create(cx, connection, cw, inbox_id, team_id, assignee)
    run: set[int] = set()
    patch = _patch(current, cw, team_id)
    if patch:
        changed = await conversations.update_conversation(
            cx.deps, connection.account_id, current.id, patch
        )
        run |= changed.run
        current = changed.value
    seen = link.chatwoot_assignee_id
    if not cw.assignee_is_other and cw.assignee_id != seen:
        known = cw.assignee_id is None or assignee is not None
        if known and assignee != current.assignee_id:
            changed = await conversations.assign_by_hand(
                cx.deps, connection.account_id, current.id, assignee
            )
            run |= changed.run
        seen = cw.assignee_id
    version = max(v for v in (link.version, cw.version, 0.0) if v is not None) or None
    await cx.store.save_conversation_link(replace(link, version=version, chatwoot_assignee_id=seen))
    return frozenset(run)


def _stale(link: ConversationLink, cw: CwConversation) -> bool:
    return cw.version is not None and link.version is not None and cw.version < link.version


async def _current(
    cx: Connector, connection: Connection, link: ConversationLink | None
) -> ConversationView | None:
    if link is None:
        return None
    try:
        return await conversations.get_conversation(
            cx.deps, connection.account_id, link.conversation_id
        )
    except errors.ConversationNotFound:  # its inbox was deleted and made again
        return None


async def _create(
    cx: Connector,
    connection: Connection,
    cw: CwConversation,
    inbox_id: int,
    team_id: int | None,
    assignee: int | None,
) -> frozenset[int]:
    """Created with Chatwoot's assignee, if any: that is not an assignment autoassign
    made, so it is in no history and written back nowhere."""
    draft = Conversation(
        id=0,
        account_id=connection.account_id,
        inbox_id=inbox_id,
        created_at=cw.created_at,
        last_activity_at=cw.last_activity_at,
        status=cw.status,
        labels=cw.labels,
        priority=cw.priority,
        team_id=team_id,
        assignee_id=assignee,
    )
    changed = await conversations.create_conversation(cx.deps, draft)
    await cx.store.save_conversation_link(
        ConversationLink(
            connection.id,
            cw.id,
            changed.value.id,
            version=cw.version,
            chatwoot_assignee_id=cw.assignee_id,
        )
    )
    return changed.run


def _patch(current: ConversationView, cw: CwConversation, team_id: int | None) -> ConversationPatch:
    """What differs between autoassign's copy and Chatwoot's state."""
    patch = ConversationPatch()
    if current.status is not cw.status:
        patch["status"] = cw.status
    if set(current.labels) != cw.labels:
        patch["labels"] = sorted(cw.labels)
    if current.priority is not cw.priority:
        patch["priority"] = cw.priority
    if current.team_id != team_id and (cw.team_id is None or team_id is not None):
        patch["team_id"] = team_id
    if current.last_activity_at != cw.last_activity_at:
        patch["last_activity_at"] = cw.last_activity_at
    return patch
