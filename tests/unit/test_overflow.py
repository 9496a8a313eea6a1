"""Overflow (issue 13.5) on a fake clock: a team conversation waits for its team until
``overflow_after_seconds``, wakes its inbox then, and widens to the overflow team or to
every member."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from autoassign.core.model import Inbox, Presence, Team
from autoassign.core.planner import InboxSnapshot, RunnableInbox, inbox_gate, plan_batch
from autoassign.core.policies import AssignmentPolicy, ExclusionRules
from autoassign.core.reasons import AgentReason, SkipReason
from tests.factories import T0, make_agent_state, make_conversation, make_policy

TEAM = Team(10, 1, "Billing", True, frozenset({1}))
OVERFLOW = Team(11, 1, "Backup", True, frozenset({3}))


def snapshot(policy: AssignmentPolicy, created_ago: float) -> InboxSnapshot:
    gate = inbox_gate(Inbox(1, 1, "x"), policy, ExclusionRules())
    assert isinstance(gate, RunnableInbox)
    conversation = make_conversation(
        1, team_id=TEAM.id, created_at=T0 - timedelta(seconds=created_ago)
    )
    agents = [
        make_agent_state(1, presence=Presence.OFFLINE),  # the team's only member
        make_agent_state(2),
        make_agent_state(3),
    ]
    return InboxSnapshot(gate, [conversation], agents, {TEAM.id: TEAM, OVERFLOW.id: OVERFLOW})


def test_before_the_overflow_it_waits_for_its_team_and_wakes_the_inbox_then():
    plan = plan_batch(snapshot(make_policy(overflow_after_seconds=60), created_ago=20), T0)
    [skip] = plan.skips
    assert skip.reason is SkipReason.NO_ELIGIBLE_AGENT
    assert skip.agents == {
        1: AgentReason.OFFLINE,
        2: AgentReason.NOT_TEAM_MEMBER,
        3: AgentReason.NOT_TEAM_MEMBER,
    }
    assert plan.wake_at == T0 + timedelta(seconds=40)


def test_after_the_overflow_it_goes_to_every_member():
    plan = plan_batch(snapshot(make_policy(overflow_after_seconds=60), created_ago=60), T0)
    [planned] = plan.assignments
    assert planned.agent_id in {2, 3}
    assert planned.team_id == TEAM.id  # the claim still checks the team it has


def test_after_the_overflow_it_goes_to_the_overflow_team_only():
    policy = make_policy(overflow_after_seconds=60, overflow_team_id=OVERFLOW.id)
    plan = plan_batch(snapshot(policy, created_ago=61), T0)
    assert [p.agent_id for p in plan.assignments] == [3]


def test_without_overflow_a_team_conversation_never_leaves_its_team():
    plan = plan_batch(snapshot(make_policy(), created_ago=10_000), T0)
    assert plan.assignments == ()
    assert plan.wake_at is None


@settings(max_examples=200, deadline=None)
@given(
    after=st.none() | st.integers(0, 120),
    ago=st.integers(0, 240),
    to_team=st.booleans(),
    online=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_a_team_conversation_leaves_its_team_only_by_overflow(
    after: int | None, ago: int, to_team: bool, online: list[bool]
):
    policy = make_policy(
        overflow_after_seconds=after,
        overflow_team_id=OVERFLOW.id if to_team and after is not None else None,
    )
    snap = snapshot(policy, created_ago=ago)
    agents = [
        make_agent_state(i + 1, presence=Presence.ONLINE if up else Presence.OFFLINE)
        for i, up in enumerate(online)
    ]
    snap = InboxSnapshot(snap.runnable, snap.candidates, agents, snap.teams)
    for planned in plan_batch(snap, T0).assignments:
        if planned.agent_id in TEAM.member_ids:
            continue
        assert after is not None
        assert ago >= after
        if to_team:
            assert planned.agent_id in OVERFLOW.member_ids
