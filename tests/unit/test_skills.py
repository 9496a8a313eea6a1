"""Skills with proficiency (issue 13.4) on a fake clock: requirements from the
conversation and its labels, the most proficient first, the relaxation ladder and its
wake-ups, and never below a required level unless the ladder relaxed it."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from autoassign.core import skills
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Inbox
from autoassign.core.planner import (
    AssignmentPlan,
    InboxSnapshot,
    RunnableInbox,
    inbox_gate,
    plan_batch,
)
from autoassign.core.policies import AssignmentPolicy, ExclusionRules
from autoassign.core.reasons import AgentReason, SkipReason
from autoassign.core.skills import Relaxation
from tests.factories import T0, make_agent_state, make_conversation, make_policy

LABELS = {"vip": {"billing": 4}}
LADDER = (Relaxation(60, 1), Relaxation(300, 5))


def plan(
    policy: AssignmentPolicy,
    agents: list[AgentState],
    needs: dict[str, int],
    labels: frozenset[str] = frozenset(),
    waited: float = 0,
) -> AssignmentPlan:
    gate = inbox_gate(Inbox(1, 1, "x", skill_labels=LABELS), policy, ExclusionRules())
    assert isinstance(gate, RunnableInbox)
    conversation = make_conversation(
        1, required_skills=needs, labels=labels, created_at=T0 - timedelta(seconds=waited)
    )
    return plan_batch(InboxSnapshot(gate, [conversation], agents), T0)


def test_only_agents_meeting_every_requirement_and_the_most_proficient_first():
    agents = [
        make_agent_state(1, skills={"billing": 3}),
        make_agent_state(2, skills={"billing": 5, "german": 2}),
        make_agent_state(3, skills={"billing": 4, "german": 4}),
        make_agent_state(4),
    ]
    [planned] = plan(make_policy(), agents, {"billing": 3, "german": 2}).assignments
    assert planned.agent_id == 3  # 4 + 4 beats 5 + 2; agent 1 lacks german
    assert plan(make_policy(), agents, {"billing": 5}).assignments[0].agent_id == 2


def test_labels_add_requirements_and_missing_skills_are_explained():
    agents = [make_agent_state(1, skills={"billing": 3}), make_agent_state(2)]
    result = plan(make_policy(), agents, {}, labels=frozenset({"vip"}))
    [skip] = result.skips
    assert skip.reason is SkipReason.NO_ELIGIBLE_AGENT
    assert skip.agents == {1: AgentReason.MISSING_SKILL, 2: AgentReason.MISSING_SKILL}
    assert result.wake_at is None  # no ladder: only an event can help


def test_the_ladder_lowers_then_drops_and_each_step_is_a_wake_up():
    policy = make_policy(skill_relaxation=LADDER)
    agents = [make_agent_state(1, skills={"billing": 3}), make_agent_state(2)]
    early = plan(policy, agents, {"billing": 4}, waited=10)
    assert early.assignments == ()
    assert early.wake_at == T0 + timedelta(seconds=50)
    lowered = plan(policy, agents, {"billing": 4}, waited=60)
    assert [p.agent_id for p in lowered.assignments] == [1]
    dropped = plan(policy, [make_agent_state(2)], {"billing": 4}, waited=300)
    assert [p.agent_id for p in dropped.assignments] == [2]


@settings(max_examples=300, deadline=None)
@given(
    levels=st.lists(st.integers(0, 5), min_size=1, max_size=5),
    need=st.integers(1, 5),
    waited=st.integers(0, 600),
)
def test_never_below_a_required_level_unless_the_ladder_relaxed_it(
    levels: list[int], need: int, waited: int
):
    agents = [
        make_agent_state(i + 1, skills={"billing": lv} if lv else {}) for i, lv in enumerate(levels)
    ]
    policy = make_policy(skill_relaxation=LADDER)
    result = plan(policy, agents, {"billing": need}, waited=waited)
    in_force = skills.relaxed({"billing": need}, LADDER, T0 - timedelta(seconds=waited), T0)
    for planned in result.assignments:
        assert levels[planned.agent_id - 1] >= in_force.get("billing", 0)
    able = [lv for lv in levels if lv >= in_force.get("billing", 0)]
    assert bool(result.assignments) == bool(able)  # someone able always gets it
    if result.assignments and in_force:  # and the most proficient one
        assert levels[result.assignments[0].agent_id - 1] == max(able)
