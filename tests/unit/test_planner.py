from __future__ import annotations

from collections import Counter

from autoassign.core.model import Inbox, Presence, Team
from autoassign.core.planner import InboxSnapshot, RunnableInbox, inbox_gate, plan_batch
from autoassign.core.policies import AssignmentOrder, AssignmentPolicy, ExclusionRules
from autoassign.core.reasons import AgentReason, SkipReason
from tests.factories import T0, make_agent_state, make_conversation, make_policy

INBOX = Inbox(1, 1, "Support")


def runnable(
    policy: AssignmentPolicy | None = None,
    capacity_exclusions: ExclusionRules = ExclusionRules(),
) -> RunnableInbox:
    """A snapshot starts from an inbox through the gate, as in the services."""
    gate = inbox_gate(INBOX, policy or make_policy(), capacity_exclusions)
    assert isinstance(gate, RunnableInbox)
    return gate


def snapshot(agents, conversations, *, teams=None, **gate) -> InboxSnapshot:
    return InboxSnapshot(runnable(**gate), conversations, agents, teams or {})


def test_disabled_inbox_or_policy_assigns_nothing():
    """The gate is the only way to a snapshot, so a closed inbox never reaches the planner."""
    rules = ExclusionRules()
    assert inbox_gate(Inbox(1, 1, "x", False), make_policy(), rules) is (SkipReason.INBOX_DISABLED)
    assert inbox_gate(INBOX, None, rules) is SkipReason.NO_POLICY
    disabled = make_policy(enabled=False)
    assert inbox_gate(INBOX, disabled, rules) is SkipReason.POLICY_DISABLED
    assert not isinstance(inbox_gate(INBOX, disabled, rules), RunnableInbox)  # nothing to plan


def test_round_robin_rotates_through_online_agents():
    agents = [make_agent_state(i) for i in (1, 2, 3)]
    plan = plan_batch(snapshot(agents, [make_conversation(i) for i in range(1, 8)]), T0)
    assert [a.agent_id for a in plan.assignments] == [1, 2, 3, 1, 2, 3, 1]
    assert plan.rotation == {1: 7, 2: 5, 3: 6}


def test_rotation_continues_from_the_previous_batch():
    agents = [make_agent_state(1, rotation_seq=3), make_agent_state(2, rotation_seq=1)]
    plan = plan_batch(snapshot(agents, [make_conversation(1), make_conversation(2)]), T0)
    assert [a.agent_id for a in plan.assignments] == [2, 1]


def test_busy_and_offline_agents_are_filtered_with_reasons():
    agents = [
        make_agent_state(1, presence=Presence.BUSY),
        make_agent_state(2, presence=Presence.OFFLINE),
        make_agent_state(3),
    ]
    plan = plan_batch(snapshot(agents, [make_conversation(1)]), T0)
    assert plan.assignments[0].agent_id == 3
    assert plan.agent_filters == {1: AgentReason.BUSY, 2: AgentReason.OFFLINE}


def test_nobody_online_gives_a_reason_per_conversation():
    agents = [make_agent_state(1, presence=Presence.OFFLINE)]
    plan = plan_batch(snapshot(agents, [make_conversation(1)]), T0)
    assert plan.skips[0].reason is SkipReason.NO_AGENT_ONLINE
    assert plan.skips[0].agents == {1: AgentReason.OFFLINE}


def test_capacity_is_counted_as_the_batch_goes():
    agents = [
        make_agent_state(1, capacity_limit=2, open_load=1),
        make_agent_state(2, capacity_limit=1),
    ]
    plan = plan_batch(snapshot(agents, [make_conversation(i) for i in range(1, 5)]), T0)
    assert Counter(a.agent_id for a in plan.assignments) == {1: 1, 2: 1}
    assert [s.reason for s in plan.skips] == [SkipReason.NO_ELIGIBLE_AGENT] * 2
    assert plan.skips[0].agents == {1: AgentReason.AT_CAPACITY, 2: AgentReason.AT_CAPACITY}
    assert plan.exhausted  # nobody can take more: the job does not queue another batch


def test_a_plan_with_room_left_is_not_exhausted():
    agents = [make_agent_state(1, capacity_limit=5), make_agent_state(2, capacity_limit=5)]
    plan = plan_batch(snapshot(agents, [make_conversation(i) for i in range(1, 4)]), T0)
    assert len(plan.assignments) == 3
    assert not plan.exhausted
    nobody = plan_batch(snapshot([], [make_conversation(1)]), T0)
    assert nobody.exhausted


def test_the_pool_of_a_team_skip_is_not_the_pool_of_everyone():
    """Rejections are shared between skips only for the same team and until the next
    assignment, so each skip still names the right reason per agent."""
    team = Team(7, 1, "vip", member_ids=frozenset({1}))
    agents = [make_agent_state(1, capacity_limit=1), make_agent_state(2, capacity_limit=3)]
    conversations = [
        make_conversation(1, team_id=7),
        make_conversation(2, team_id=7),
        make_conversation(3),
    ]
    plan = plan_batch(snapshot(agents, conversations, teams={7: team}), T0)
    assert [(a.conversation_id, a.agent_id) for a in plan.assignments] == [(1, 1), (3, 2)]
    [skip] = plan.skips
    assert skip.agents == {1: AgentReason.AT_CAPACITY, 2: AgentReason.NOT_TEAM_MEMBER}
    assert not plan.exhausted


def test_fair_distribution_limit_is_counted_as_the_batch_goes():
    agents = [make_agent_state(1, window_count=1), make_agent_state(2)]
    policy = make_policy(fair_distribution_limit=2)
    plan = plan_batch(
        snapshot(agents, [make_conversation(i) for i in range(1, 6)], policy=policy), T0
    )
    assert Counter(a.agent_id for a in plan.assignments) == {1: 1, 2: 2}
    assert plan.skips[-1].agents == {1: AgentReason.RATE_LIMITED, 2: AgentReason.RATE_LIMITED}


def test_team_conversations_go_only_to_team_members():
    team = Team(9, 1, "Billing", True, frozenset({2}))
    agents = [make_agent_state(1), make_agent_state(2)]
    convs = [make_conversation(1, team_id=9), make_conversation(2, team_id=9)]
    plan = plan_batch(snapshot(agents, convs, teams={9: team}), T0)
    assert [a.agent_id for a in plan.assignments] == [2, 2]
    assert all(a.team_id == 9 for a in plan.assignments)


def test_team_without_auto_assign_or_missing_skips_the_conversation():
    team = Team(9, 1, "Escalations", False, frozenset({1}))
    convs = [make_conversation(1, team_id=9), make_conversation(2, team_id=404)]
    plan = plan_batch(snapshot([make_agent_state(1)], convs, teams={9: team}), T0)
    assert [s.reason for s in plan.skips] == [
        SkipReason.TEAM_AUTO_ASSIGN_DISABLED,
        SkipReason.TEAM_NOT_FOUND,
    ]


def test_no_team_member_eligible_names_each_agent():
    team = Team(9, 1, "Billing", True, frozenset({2}))
    agents = [make_agent_state(1), make_agent_state(2, presence=Presence.OFFLINE)]
    plan = plan_batch(snapshot(agents, [make_conversation(1, team_id=9)], teams={9: team}), T0)
    assert plan.skips[0].reason is SkipReason.NO_ELIGIBLE_AGENT
    assert plan.skips[0].agents == {1: AgentReason.NOT_TEAM_MEMBER, 2: AgentReason.OFFLINE}


def test_exclusions_are_rechecked_in_the_planner():
    convs = [make_conversation(1, labels=frozenset({"spam"})), make_conversation(2)]
    plan = plan_batch(
        snapshot(
            [make_agent_state(1)], convs, capacity_exclusions=ExclusionRules(frozenset({"spam"}))
        ),
        T0,
    )
    assert [s.reason for s in plan.skips] == [SkipReason.EXCLUDED_LABEL]
    assert [a.conversation_id for a in plan.assignments] == [2]


def test_balanced_fills_the_least_loaded_first():
    agents = [
        make_agent_state(1, open_load=3),
        make_agent_state(2),
        make_agent_state(3, open_load=1),
    ]
    policy = make_policy(assignment_order=AssignmentOrder.BALANCED)
    plan = plan_batch(
        snapshot(agents, [make_conversation(i) for i in range(1, 5)], policy=policy), T0
    )
    # 2 is least loaded; at load 1 the tie goes to 3, never assigned; then alternate
    assert [a.agent_id for a in plan.assignments] == [2, 3, 2, 3]
    assert plan.assignments[0].selector == "balanced"


def test_planner_does_not_mutate_its_input():
    agents = (make_agent_state(1),)
    plan_batch(snapshot(agents, [make_conversation(1)]), T0)
    assert agents[0].open_load == 0
    assert agents[0].rotation_seq == 0
