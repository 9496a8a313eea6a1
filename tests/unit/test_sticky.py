"""Sticky and preferred agents (issue 13.3) on a fake clock: the preferred agent gets
the conversation when they can; online but at a limit, it waits for them until the
hold ends (a wake-up); offline, it goes to anyone at once."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from autoassign.core.eligibility import AgentState
from autoassign.core.model import Inbox, Presence
from autoassign.core.planner import (
    AssignmentPlan,
    InboxSnapshot,
    RunnableInbox,
    inbox_gate,
    plan_batch,
)
from autoassign.core.policies import AssignmentPolicy, ExclusionRules
from autoassign.core.reasons import SkipReason
from tests.factories import T0, make_agent_state, make_conversation, make_policy


def plan(
    policy: AssignmentPolicy, agents: list[AgentState], created_ago: float = 0
) -> AssignmentPlan:
    gate = inbox_gate(Inbox(1, 1, "x"), policy, ExclusionRules())
    assert isinstance(gate, RunnableInbox)
    conversation = make_conversation(
        1, preferred_agent_id=2, created_at=T0 - timedelta(seconds=created_ago)
    )
    return plan_batch(InboxSnapshot(gate, [conversation], agents), T0)


def test_the_preferred_agent_gets_it_over_the_rotation():
    agents = [make_agent_state(1, rotation_seq=0), make_agent_state(2, rotation_seq=9)]
    [planned] = plan(make_policy(), agents).assignments
    assert (planned.agent_id, planned.reason) == (2, "preferred agent")


def test_at_a_limit_it_waits_for_them_until_the_hold_ends():
    policy = make_policy(preferred_hold_seconds=60)
    busy = [make_agent_state(1), make_agent_state(2, open_load=1, capacity_limit=1)]
    held = plan(policy, busy, created_ago=20)
    [skip] = held.skips
    assert skip.reason is SkipReason.HELD_FOR_PREFERRED_AGENT
    assert held.wake_at == T0 + timedelta(seconds=40)
    [after] = plan(policy, busy, created_ago=60).assignments
    assert after.agent_id == 1


def test_offline_it_goes_to_anyone_at_once():
    policy = make_policy(preferred_hold_seconds=3600)
    away = [make_agent_state(1), make_agent_state(2, presence=Presence.OFFLINE)]
    [planned] = plan(policy, away).assignments
    assert planned.agent_id == 1


@settings(max_examples=200, deadline=None)
@given(
    load=st.integers(0, 3),
    limit=st.none() | st.integers(1, 3),
    window=st.integers(0, 3),
    presence=st.sampled_from(list(Presence)),
    hold=st.integers(0, 120),
    ago=st.integers(0, 240),
)
def test_a_preferred_agent_who_can_take_it_always_gets_it(
    load: int, limit: int | None, window: int, presence: Presence, hold: int, ago: int
):
    policy = make_policy(preferred_hold_seconds=hold, fair_distribution_limit=3)
    preferred = make_agent_state(
        2, presence=presence, open_load=load, capacity_limit=limit, window_count=window
    )
    result = plan(policy, [make_agent_state(1), preferred], created_ago=ago)
    can_take = presence is Presence.ONLINE and (limit is None or load < limit) and window < 3
    if can_take:
        assert [p.agent_id for p in result.assignments] == [2]
    elif presence is Presence.ONLINE and ago < hold:
        assert [s.reason for s in result.skips] == [SkipReason.HELD_FOR_PREFERRED_AGENT]
    else:
        assert [p.agent_id for p in result.assignments] == [1]
