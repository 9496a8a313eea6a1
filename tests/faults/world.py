"""A scenario's world (seeded through the services the API uses) and its live traffic.

The world: one account; ``inboxes`` inboxes of ``agents`` online agents each, under
short fair-distribution windows (``LIMIT`` per ``WINDOW`` s; round robin and balanced
alternate); and one extra inbox whose agents have a capacity limit (``CAPACITY`` open
conversations each), where traffic also resolves conversations, so capacity keeps being
freed (a trigger of its own) and taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

from autoassign.bootstrap import Engine
from autoassign.core.drafts import ConversationPatch, Membership
from autoassign.core.model import Agent, Conversation, Inbox, Status
from autoassign.core.policies import AssignmentOrder, AssignmentPolicy, CapacityPolicy
from autoassign.core.views import ConversationFilter, Paging
from autoassign.services import accounts, inboxes, policies, runs
from autoassign.services import agents as agent_service
from autoassign.services import capacity as capacity_service
from autoassign.services import conversations as conversation_service

logger = logging.getLogger(__name__)

LIMIT = 3
WINDOW = 3
CAPACITY = 4


@dataclass
class World:
    account_id: int
    token: str
    #: every inbox, the capacity-limited one last
    inbox_ids: list[int]
    capped_inbox_id: int
    members: dict[int, list[int]] = field(default_factory=dict)


async def seed(engine: Engine, *, inbox_count: int, agents: int, capped: bool = True) -> World:
    deps = engine.deps
    account = await accounts.create_account(deps, "Faults")
    made = [
        await policies.create_policy(
            deps,
            AssignmentPolicy(
                0,
                account.id,
                f"{order.value} {LIMIT}/{WINDOW}s",
                assignment_order=order,
                fair_distribution_limit=LIMIT,
                fair_distribution_window=WINDOW,
            ),
        )
        for order in (AssignmentOrder.ROUND_ROBIN, AssignmentOrder.BALANCED)
    ]
    cap = await capacity_service.create_policy(deps, CapacityPolicy(0, account.id, "Cap"))
    world = World(account.id, account.api_access_token, [], 0)
    for i in range(inbox_count + (1 if capped else 0)):
        is_capped = capped and i == inbox_count
        inbox = await inboxes.create_inbox(
            deps, Inbox(0, account.id, "capped" if is_capped else f"inbox {i}")
        )
        ids = [
            (await agent_service.create_agent(deps, Agent(0, account.id, f"a{i}.{j}"))).id
            for j in range(agents)
        ]
        await inboxes.change_members(deps, account.id, inbox.id, ids, Membership.ADD)
        await inboxes.link_policy(deps, account.id, inbox.id, made[i % 2].id)
        if is_capped:
            await capacity_service.add_limit(deps, account.id, cap.id, inbox.id, CAPACITY)
            for agent_id in ids:
                await capacity_service.add_user(deps, account.id, cap.id, agent_id)
            world.capped_inbox_id = inbox.id
        world.inbox_ids.append(inbox.id)
        world.members[inbox.id] = ids
    return world


async def add_conversations(
    engine: Engine, world: World, per_inbox: dict[int, int], *, queue: bool = True
) -> list[int]:
    """Created through the service (each writes its run request); their runs queued
    unless ``queue`` is false (as when the creating process dies)."""
    now = engine.clock.now()
    drafts = [
        Conversation(
            id=0,
            account_id=world.account_id,
            inbox_id=inbox_id,
            created_at=now - timedelta(milliseconds=n - k),
            last_activity_at=now - timedelta(milliseconds=n - k),
        )
        for inbox_id, n in per_inbox.items()
        for k in range(n)
    ]
    if not drafts:
        return []
    changed = await conversation_service.create_conversations(engine.deps, world.account_id, drafts)
    if queue:
        await runs.request_runs(engine.jobs, changed.run)
    created: list[int] = changed.value
    return created


class Traffic:
    """Conversations arriving at ``rate`` per second over all inboxes, and in the capped
    inbox conversations resolved as they come, until stopped. Errors while a server is
    down are counted, not raised: the API would answer 503 and the client retry."""

    def __init__(self, engine: Engine, world: World, rate: float, seed: object = 7) -> None:
        self.engine = engine
        self.world = world
        self.rate = rate
        self.random = random.Random(str(seed))
        self.created = 0
        self.resolved = 0
        self.errors = 0
        self.last_error = ""
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._flowing = asyncio.Event()

    def start(self) -> None:
        self._flowing.set()
        self._task = asyncio.create_task(self._loop())

    def pause(self) -> None:
        """No new work (recovery is then measured without fresh triggers' help)."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def cancel(self) -> None:
        """Stop without judging (a failed scenario's clean-up)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def stop(self, *, errors_allowed: bool = False) -> None:
        """Stop; unless ``errors_allowed`` (a database outage), every call succeeded."""
        self._stop.set()
        if self._task is not None:
            await self._task
        assert self.created > 0
        assert errors_allowed or self.errors == 0, f"traffic failed: {self.last_error}"

    async def _loop(self) -> None:
        tick = 0.25
        owed = 0.0
        while not self._stop.is_set():
            if not self._flowing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), tick)
                continue
            started = time.monotonic()
            owed += self.rate * tick
            count, owed = int(owed), owed - int(owed)
            per_inbox: dict[int, int] = {}
            for _ in range(count):
                inbox_id = self.random.choice(self.world.inbox_ids)
                per_inbox[inbox_id] = per_inbox.get(inbox_id, 0) + 1
            try:
                self.created += len(await add_conversations(self.engine, self.world, per_inbox))
                await self._resolve_some()
            except Exception as exc:
                self.errors += 1
                self.last_error = repr(exc)
                logger.debug("traffic failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stop.wait(), max(0.0, tick - (time.monotonic() - started))
                )

    async def _resolve_some(self) -> None:
        """Resolve one of the capped inbox's assigned conversations now and then."""
        if self.random.random() > 0.5:
            return
        deps = self.engine.deps
        capped = self.world.capped_inbox_id
        holder = self.random.choice(self.world.members[capped])
        page = await conversation_service.list_conversations(
            deps,
            self.world.account_id,
            ConversationFilter(inbox_id=capped, status=Status.OPEN, assignee_id=holder),
            Paging(page=1, per_page=10),
        )
        if not page.items:
            return
        target = self.random.choice(page.items)
        changed = await conversation_service.update_conversation(
            deps, self.world.account_id, target.id, ConversationPatch(status=Status.RESOLVED)
        )
        self.resolved += 1
        await runs.request_runs(self.engine.jobs, changed.run)
