"""services.simulate: an inbox's setup and recorded traffic read through the services,
and what a change means."""

from __future__ import annotations

from datetime import timedelta

from autoassign.core.model import Presence, Status
from autoassign.core.policies import AssignmentOrder
from autoassign.services import conversations as conversation_service
from autoassign.services.simulate import (
    Changes,
    InboxSetup,
    SetupAgent,
    apply_changes,
    current_setup,
    recorded_traffic,
)
from tests.factories import add_team, assign, make_policy, seed_world, set_status

SETUP = InboxSetup(
    inbox_id=1,
    name="Support",
    policy=make_policy(),
    agents=(
        SetupAgent(1, "a", Presence.ONLINE, 2),
        SetupAgent(2, "b", Presence.OFFLINE, 2),
        SetupAgent(3, "c", Presence.ONLINE, 3),
        SetupAgent(4, "d", Presence.ONLINE, 2),
    ),
)


def test_fewer_agents_keeps_the_first_online_ones():
    changed = apply_changes(SETUP, Changes(agents=1))
    assert [(a.agent_id, a.presence) for a in changed.agents] == [
        (1, Presence.ONLINE),
        (2, Presence.OFFLINE),
        (3, Presence.OFFLINE),
        (4, Presence.OFFLINE),
    ]
    assert changed.online == 1


def test_more_agents_get_the_commonest_limit_or_the_one_asked():
    more = apply_changes(SETUP, Changes(agents=5))
    assert more.online == 5
    assert [(a.agent_id, a.capacity_limit) for a in more.agents[4:]] == [(5, 2), (6, 2)]
    limited = apply_changes(SETUP, Changes(agents=4, conversation_limit=1))
    assert {a.capacity_limit for a in limited.agents} == {1}


def test_policy_changes_and_no_change():
    changed = apply_changes(
        SETUP,
        Changes(assignment_order=AssignmentOrder.BALANCED, fair_distribution_limit=5),
    )
    assert changed.policy is not None
    assert changed.policy.assignment_order is AssignmentOrder.BALANCED
    assert changed.policy.fair_distribution_limit == 5
    assert apply_changes(SETUP, Changes()) == SETUP
    assert Changes(agents=3, conversation_limit=2).describe() == (
        "agents=3",
        "conversation_limit=2",
    )


async def test_the_setup_is_read_through_the_services(engine):
    world = await seed_world(
        engine, agents=(Presence.ONLINE, Presence.BUSY), conversations=0, capacity=3
    )
    team = await add_team(engine, world, [world.agents[0].id])
    setup = await current_setup(engine.deps, world.account.id, world.inbox.id)
    assert setup.policy is not None
    assert setup.policy.id == world.policy.id
    assert [(a.agent_id, a.presence, a.capacity_limit) for a in setup.agents] == [
        (world.agents[0].id, Presence.ONLINE, 3),
        (world.agents[1].id, Presence.BUSY, 3),
    ]
    assert [(t.id, t.member_ids) for t in setup.teams] == [
        (team.id, frozenset({world.agents[0].id}))
    ]


async def test_recorded_traffic_has_first_assignments_and_resolutions(engine, clock):
    world = await seed_world(engine, conversations=3, capacity=5)
    start = clock.now() - timedelta(hours=1)
    await assign(engine, world.inbox.id)
    clock.advance(120)
    first, second, third = world.conversation_ids
    await set_status(engine, world, first, Status.RESOLVED)
    await conversation_service.assign_by_hand(engine.deps, world.account.id, third, None)
    await set_status(engine, world, third, Status.RESOLVED)
    recorded = await recorded_traffic(
        engine.deps, world.account.id, world.inbox.id, start, clock.now()
    )
    assert len(recorded.conversations) == 3
    by_created = sorted(recorded.conversations, key=lambda c: c.created_at)
    assert all(c.assigned_at is not None for c in by_created)
    assert by_created[0].resolved_at is not None
    assert by_created[1].resolved_at is None
    assert recorded.mean_handle_minutes is not None
    assert recorded.arrivals_per_minute > 0
    _ = second
