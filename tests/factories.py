"""Builders with sensible defaults, shared by tests and hypothesis strategies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from autoassign.bootstrap import Engine
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Account, Agent, Conversation, Inbox, Presence, Status, Team
from autoassign.core.policies import AssignmentPolicy, CapacityPolicy, ExclusionRules

T0 = datetime.fromisoformat("2026-11-25T12:00:00+00:00")


def make_policy(**over: object) -> AssignmentPolicy:
    values: dict[str, object] = {"id": 1, "account_id": 1, "name": "Default"}
    values.update(over)
    return AssignmentPolicy(**values)  # type: ignore[arg-type]


def make_conversation(cid: int, **over: object) -> Conversation:
    values: dict[str, object] = {
        "id": cid,
        "account_id": 1,
        "inbox_id": 1,
        "created_at": T0 - timedelta(minutes=1000 - cid),
        "last_activity_at": T0 - timedelta(minutes=1000 - cid),
    }
    values.update(over)
    return Conversation(**values)  # type: ignore[arg-type]


def make_agent_state(agent_id: int, **over: object) -> AgentState:
    values: dict[str, object] = {"agent_id": agent_id, "presence": Presence.ONLINE}
    values.update(over)
    return AgentState(**values)  # type: ignore[arg-type]


@dataclass
class World:
    """A seeded account on a real store: what most service tests start from."""

    account: Account
    inbox: Inbox
    agents: list[Agent]
    policy: AssignmentPolicy
    conversation_ids: list[int] = field(default_factory=list)


async def seed_world(
    engine: Engine,
    *,
    agents: Sequence[Presence] = (Presence.ONLINE,) * 3,
    conversations: int = 10,
    policy: dict[str, object] | None = None,
    capacity: int | None = None,
    excluded_labels: Sequence[str] = (),
    enable_auto_assignment: bool = True,
) -> World:
    now = engine.clock.now()
    c = engine.catalog
    account = await c.add_account(Account(0, "Acme"), now)
    inbox = await c.add_inbox(Inbox(0, account.id, "Support", enable_auto_assignment), now)
    made = [
        await c.add_agent(Agent(0, account.id, f"agent{i}", availability=p), now)
        for i, p in enumerate(agents)
    ]
    await c.add_inbox_members(account.id, inbox.id, [a.id for a in made])
    saved = await c.add_policy(make_policy(account_id=account.id, **(policy or {})), now)
    await c.link_policy(account.id, inbox.id, saved.id)
    if capacity is not None or excluded_labels:
        cap = await c.add_capacity_policy(
            CapacityPolicy(
                0,
                account.id,
                "Cap",
                exclusion_rules=ExclusionRules(frozenset(excluded_labels)),
                inbox_limits={inbox.id: capacity if capacity is not None else 10_000},
            ),
            now,
        )
        for agent in made:
            await c.set_agent_capacity_policy(account.id, agent.id, cap.id)
    world = World(account, inbox, made, saved)
    if conversations:
        world.conversation_ids = await add_conversations(engine, world, conversations)
    return world


async def add_conversations(engine: Engine, world: World, count: int, **over: object) -> list[int]:
    now = engine.clock.now()
    drafts = [
        make_conversation(
            0,
            **{
                "account_id": world.account.id,
                "inbox_id": world.inbox.id,
                "created_at": now - timedelta(minutes=count - i),
                "last_activity_at": now - timedelta(minutes=count - i),
                **over,
            },
        )
        for i in range(count)
    ]
    return await engine.catalog.add_conversations(world.account.id, drafts, now)


async def add_team(
    engine: Engine, world: World, members: Sequence[int], allow: bool = True
) -> Team:
    return await engine.catalog.add_team(
        Team(0, world.account.id, "Team", allow, frozenset(members)), engine.clock.now()
    )


__all__ = [
    "T0",
    "Status",
    "World",
    "add_conversations",
    "add_team",
    "make_agent_state",
    "make_conversation",
    "make_policy",
    "seed_world",
]
