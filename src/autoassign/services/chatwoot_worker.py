"""One round of the connector's work, for every connection it holds.

A round, per connection: sync the directory when it is due (every ``sync_interval``, or
at once when a webhook asked), apply the received webhooks in arrival order, put new
assignments in the outbox and deliver the due ones, and now and then forget old rows.

Only one connector works a connection at a time (a lease in its row, renewed each
round), so webhooks are applied in order and each write-back is tried by one process.
What is held in memory here (``RunnerState``) is only pacing, when to try Chatwoot
again; everything that must survive a restart is in the connector's tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from autoassign.chatwoot.payloads import PayloadError
from autoassign.chatwoot.ports import ChatwootRejected, ChatwootUnavailable
from autoassign.chatwoot.records import Connection
from autoassign.core import errors
from autoassign.services import chatwoot_writeback
from autoassign.services.chatwoot_context import Connector
from autoassign.services.chatwoot_events import apply_inbound
from autoassign.services.chatwoot_sync import sync

logger = logging.getLogger(__name__)

#: received webhooks applied per round
INBOUND_ROUND = 100
PRUNE_EVERY = timedelta(hours=1)
#: what a webhook cannot be applied for, for good (the rest passes and is tried again)
PERMANENT = (PayloadError, errors.InvalidInput, errors.NotFound, errors.Conflict)


@dataclass
class RunnerState:
    """Pacing kept in memory by one runner: when Chatwoot may be tried again."""

    owner: str
    failures: dict[int, int] = field(default_factory=dict)
    resume_at: dict[int, datetime] = field(default_factory=dict)
    sync_at: dict[int, datetime] = field(default_factory=dict)
    pruned_at: dict[int, datetime] = field(default_factory=dict)

    def down(self, connection_id: int, cx: Connector) -> None:
        fails = self.failures.get(connection_id, 0)
        self.failures[connection_id] = fails + 1
        self.resume_at[connection_id] = cx.now() + cx.backoff(fails)

    def up(self, connection_id: int) -> None:
        self.failures.pop(connection_id, None)
        self.resume_at.pop(connection_id, None)


@dataclass(frozen=True, slots=True)
class Round:
    #: inboxes to run now that the round's changes have committed
    run: frozenset[int]
    #: more work is waiting: go again without pausing
    busy: bool


async def work_round(cx: Connector, state: RunnerState) -> Round:
    run: set[int] = set()
    busy = False
    for connection in await cx.store.connections():
        now = cx.now()
        until = now + timedelta(seconds=cx.settings.lease)
        if not await cx.store.lease(connection.id, state.owner, until, now):
            continue
        done = await work_connection(cx, connection, state)
        run |= done.run
        busy = busy or done.busy
    return Round(frozenset(run), busy)


async def release_all(cx: Connector, state: RunnerState) -> None:
    for connection in await cx.store.connections():
        await cx.store.release(connection.id, state.owner)


async def work_connection(cx: Connector, connection: Connection, state: RunnerState) -> Round:
    run: set[int] = set()
    synced = False

    async def resync() -> frozenset[int]:
        nonlocal synced
        if synced:
            return frozenset()
        synced = True
        return await _sync(cx, connection, state, force=True)

    run |= await _sync(cx, connection, state, force=False)
    pending = await cx.store.pending_inbound(connection.id, INBOUND_ROUND)
    for inbound in pending:
        try:
            run |= await apply_inbound(cx, connection, inbound, resync)
        except PERMANENT as exc:
            logger.warning("chatwoot webhook %s not applied: %s", inbound.id, exc)
            await cx.store.finish_inbound(inbound.id, cx.now(), str(exc))
        except (errors.BackendUnavailable, ChatwootRejected) as exc:
            if inbound.attempts + 1 >= cx.settings.inbound_attempts:
                await cx.store.finish_inbound(inbound.id, cx.now(), f"gave up: {exc}")
                continue
            await cx.store.retry_inbound(inbound.id, str(exc))
            break  # the next ones wait: they are applied in order
        else:
            await cx.store.finish_inbound(inbound.id, cx.now(), None)
    busy = len(pending) == INBOUND_ROUND
    await chatwoot_writeback.collect(cx, connection)
    resume = state.resume_at.get(connection.id)
    if resume is None or cx.now() >= resume:
        delivered, reachable = await chatwoot_writeback.deliver_due(cx, connection)
        run |= delivered
        if reachable:
            state.up(connection.id)
        else:
            state.down(connection.id, cx)
    await _prune(cx, connection, state)
    return Round(frozenset(run), busy)


async def _sync(
    cx: Connector, connection: Connection, state: RunnerState, *, force: bool
) -> frozenset[int]:
    now = cx.now()
    current = await cx.store.connection(connection.account_id) or connection
    due = (
        force
        or current.sync_requested
        or current.synced_at is None
        or (now - current.synced_at).total_seconds() >= cx.settings.sync_interval
    )
    retry = state.sync_at.get(connection.id)
    if not due or (retry is not None and now < retry):
        return frozenset()
    try:
        found = await sync(cx, current)
    except (ChatwootUnavailable, ChatwootRejected) as exc:
        logger.warning("chatwoot sync failed: %s", exc, extra={"action": "chatwoot_sync"})
        state.sync_at[connection.id] = now + cx.backoff(state.failures.get(connection.id, 0))
        return frozenset()
    state.sync_at.pop(connection.id, None)
    return found


async def _prune(cx: Connector, connection: Connection, state: RunnerState) -> None:
    now = cx.now()
    if (
        now - state.pruned_at.get(connection.id, datetime.min.replace(tzinfo=now.tzinfo))
        < PRUNE_EVERY
    ):
        return
    state.pruned_at[connection.id] = now
    await cx.store.prune_inbound(connection.id, now - cx.settings.keep)
    await cx.store.prune_writebacks(connection.id, now - cx.settings.keep)
