"""Write each assignment autoassign makes to Chatwoot, exactly once, and respect the
assignments people make there.

The outbox is durable (``ConnectorStore.collect_writebacks`` fills it from the
``assignments`` table), so a restart loses nothing. Each row is delivered by looking
before writing:

1. autoassign's conversation is no longer with that agent → superseded (nothing to do);
2. Chatwoot already shows the agent → done (e.g. the write went through but its answer
   was lost, or a retry after a restart): this is what makes delivery exactly-once;
3. Chatwoot shows someone else, and not someone we wrote → a person assigned it there
   meanwhile: superseded, and autoassign follows that person (``assign_by_hand``);
4. otherwise ``POST …/assignments``.

Chatwoot down (network, 5xx, 429) postpones the row with doubling backoff and stops the
round: the rest wait for Chatwoot rather than each finding it down.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from autoassign.chatwoot.ports import ChatwootApi, ChatwootRejected, ChatwootUnavailable
from autoassign.chatwoot.records import (
    Connection,
    ConversationLink,
    Kind,
    Writeback,
    WritebackState,
)
from autoassign.core import errors
from autoassign.services import conversations
from autoassign.services.chatwoot_context import Connector

logger = logging.getLogger(__name__)

#: write-backs tried per round
ROUND = 50


async def collect(cx: Connector, connection: Connection) -> int:
    """Put new assignments of Chatwoot conversations in the outbox."""
    now = cx.now()
    return await cx.store.collect_writebacks(connection.id, now, now - cx.settings.settle)


async def deliver_due(cx: Connector, connection: Connection) -> tuple[frozenset[int], bool]:
    """One round of due write-backs; returns the inboxes to run and whether Chatwoot
    was reachable (False: it is down, the caller should wait)."""
    due = await cx.store.due_writebacks(connection.id, cx.now(), ROUND)
    if not due:
        return frozenset(), True
    run: set[int] = set()
    api = cx.api(connection)
    try:
        for row in due:
            try:
                run |= await deliver(cx, connection, api, row)
            except ChatwootUnavailable as exc:
                await _postpone(cx, row, str(exc))
                return frozenset(run), False
            except ChatwootRejected as exc:
                if exc.status in (401, 403):  # a token problem the operator fixes: keep it
                    await _postpone(cx, row, str(exc))
                    return frozenset(run), False
                await _finish(cx, row, WritebackState.FAILED, str(exc))
    finally:
        await api.aclose()
    return frozenset(run), True


async def deliver(
    cx: Connector, connection: Connection, api: ChatwootApi, row: Writeback
) -> frozenset[int]:
    link = await cx.store.conversation_link_of(row.conversation_id)
    agent_links = await cx.store.links(connection.id, Kind.AGENT)
    target = next((cw for cw, local in agent_links.items() if local == row.agent_id), None)
    if link is None or target is None:
        await _finish(cx, row, WritebackState.FAILED, "the conversation or agent is not Chatwoot's")
        return frozenset()
    try:
        view = await conversations.get_conversation(
            cx.deps, connection.account_id, row.conversation_id
        )
    except errors.ConversationNotFound:
        view = None
    if view is None or view.assignee_id != row.agent_id:
        await _finish(cx, row, WritebackState.SUPERSEDED)
        return frozenset()
    if link.chatwoot_assignee_id == target:
        await _finish(cx, row, WritebackState.DONE)
        return frozenset()
    shown = await api.conversation_assignee(link.chatwoot_id)
    if shown == target:
        await cx.store.save_conversation_link(replace(link, chatwoot_assignee_id=shown))
        await _finish(cx, row, WritebackState.DONE)
        return frozenset()
    if shown is not None and shown != link.written_assignee_id:
        return await _respect(cx, connection, link, row, shown, agent_links.get(shown))
    await api.assign(link.chatwoot_id, target)
    await cx.store.save_conversation_link(
        replace(link, chatwoot_assignee_id=target, written_assignee_id=target)
    )
    await _finish(cx, row, WritebackState.DONE)
    logger.info(
        "chatwoot: conversation %s assigned to %s",
        link.chatwoot_id,
        target,
        extra={"action": "chatwoot_writeback", "account_id": connection.account_id},
    )
    return frozenset()


async def _respect(
    cx: Connector,
    connection: Connection,
    link: ConversationLink,
    row: Writeback,
    shown: int,
    local: int | None,
) -> frozenset[int]:
    """A person in Chatwoot assigned it to ``shown``: autoassign follows."""
    await cx.store.save_conversation_link(replace(link, chatwoot_assignee_id=shown))
    await _finish(cx, row, WritebackState.SUPERSEDED, f"assigned in Chatwoot to {shown}")
    if local is None:
        return frozenset()
    changed = await conversations.assign_by_hand(
        cx.deps, connection.account_id, row.conversation_id, local
    )
    return changed.run


async def _finish(
    cx: Connector, row: Writeback, state: WritebackState, error: str | None = None
) -> None:
    await cx.store.finish_writeback(row.id, state, cx.now(), error)


async def _postpone(cx: Connector, row: Writeback, error: str) -> None:
    at = cx.now() + cx.backoff(row.attempts)
    await cx.store.postpone_writeback(row.id, row.attempts + 1, at, error)
    logger.warning(
        "chatwoot write-back postponed (try %d): %s",
        row.attempts + 1,
        error,
        extra={"action": "chatwoot_writeback_retry", "writeback_id": row.id},
    )
