"""Builders with sensible defaults, shared by tests and hypothesis strategies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from autoassign.bootstrap import Engine
from autoassign.core.drafts import ConversationPatch, Membership
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Agent, Conversation, Inbox, Presence, Status, Team
from autoassign.core.policies import AssignmentPolicy, CapacityPolicy, ExclusionRules
from autoassign.core.views import AgentView, ConversationView, InboxView, PolicyView, TeamView
from autoassign.services import accounts, inboxes, policies, runs
from autoassign.services import agents as agent_service
from autoassign.services import capacity as capacity_service
from autoassign.services import conversations as conversation_service
from autoassign.services import teams as team_service
from autoassign.services.accounts import NewAccount
from autoassign.services.assign import BatchResult

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

    account: NewAccount
    inbox: InboxView
    agents: list[AgentView]
    policy: PolicyView
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
    """Seeds through the services the API uses (their triggered runs are not queued)."""
    deps = engine.deps
    account = await accounts.create_account(deps, "Acme")
    inbox = await inboxes.create_inbox(
        deps, Inbox(0, account.id, "Support", enable_auto_assignment)
    )
    made = [
        await agent_service.create_agent(deps, Agent(0, account.id, f"agent{i}", availability=p))
        for i, p in enumerate(agents)
    ]
    await inboxes.change_members(deps, account.id, inbox.id, [a.id for a in made], Membership.ADD)
    saved = await policies.create_policy(deps, make_policy(account_id=account.id, **(policy or {})))
    await inboxes.link_policy(deps, account.id, inbox.id, saved.id)
    if capacity is not None or excluded_labels:
        cap = await capacity_service.create_policy(
            deps,
            CapacityPolicy(
                0,
                account.id,
                "Cap",
                exclusion_rules=ExclusionRules(frozenset(excluded_labels)),
                inbox_limits={inbox.id: capacity if capacity is not None else 10_000},
            ),
        )
        for agent in made:
            await capacity_service.add_user(deps, account.id, cap.id, agent.id)
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
    created = await conversation_service.create_conversations(engine.deps, world.account.id, drafts)
    return created.value


async def add_team(
    engine: Engine, world: World, members: Sequence[int], allow: bool = True
) -> TeamView:
    team = Team(0, world.account.id, "Team", allow, frozenset(members))
    return await team_service.create_team(engine.deps, team)


async def assign(engine: Engine, inbox_id: int, limit: int | None = None) -> BatchResult:
    """One batch of the inbox, as a job runs it."""
    return await runs.run_batch(engine.deps, inbox_id, limit)


async def conversation(engine: Engine, account_id: int, conversation_id: int) -> ConversationView:
    return await conversation_service.get_conversation(engine.deps, account_id, conversation_id)


async def set_status(engine: Engine, world: World, conversation_id: int, status: Status) -> None:
    """Through the conversation service, as the API does (its runs are not queued)."""
    patch = ConversationPatch(status=status)
    await conversation_service.update_conversation(
        engine.deps, world.account.id, conversation_id, patch
    )


__all__ = [
    "T0",
    "Status",
    "World",
    "add_conversations",
    "add_team",
    "assign",
    "conversation",
    "make_agent_state",
    "make_conversation",
    "make_policy",
    "seed_world",
    "set_status",
]
