"""Each named step of the planner on its own: the gate, the presence filter, the skip
reasons and the running batch (``_Batch``: the pool, the cached reasons and ``take``)."""

from __future__ import annotations

from autoassign.core.model import Inbox, Presence, Team
from autoassign.core.planner import (
    RunnableInbox,
    _Batch,
    _presence_filter,
    _skip_reasons,
    inbox_gate,
)
from autoassign.core.policies import AssignmentOrder, ExclusionRules
from autoassign.core.reasons import AgentReason, SkipReason
from tests.factories import T0, make_agent_state, make_conversation, make_policy

INBOX = Inbox(1, 1, "Support")


def test_gate_checks_inbox_then_link_then_policy():
    off = Inbox(1, 1, "x", False)
    assert inbox_gate(off, None, ExclusionRules()) is SkipReason.INBOX_DISABLED
    assert inbox_gate(off, make_policy(enabled=False), ExclusionRules()) is (
        SkipReason.INBOX_DISABLED
    )
    assert inbox_gate(INBOX, None, ExclusionRules()) is SkipReason.NO_POLICY


def test_gate_merges_the_policy_age_limit_with_the_capacity_rules():
    policy = make_policy(exclude_older_than_hours=48)
    capacity = ExclusionRules(frozenset({"spam"}), 24)
    assert inbox_gate(INBOX, policy, capacity) == RunnableInbox(
        INBOX, policy, ExclusionRules(frozenset({"spam"}), 24)
    )
    lenient = ExclusionRules(frozenset({"bot"}), 72)
    gate = inbox_gate(INBOX, policy, lenient)
    assert isinstance(gate, RunnableInbox)
    assert gate.rules == ExclusionRules(frozenset({"bot"}), 48)  # the strictest age wins
    no_age = make_policy(exclude_older_than_hours=None)
    gate = inbox_gate(INBOX, no_age, ExclusionRules())
    assert isinstance(gate, RunnableInbox)
    assert gate.rules == ExclusionRules()


def test_presence_filter_keeps_member_order_and_names_the_rest():
    agents = [
        make_agent_state(4),
        make_agent_state(1, presence=Presence.BUSY),
        make_agent_state(3),
        make_agent_state(2, presence=Presence.OFFLINE),
        make_agent_state(5, presence_expired=True),
    ]
    online, filters = _presence_filter(agents, T0)
    assert [a.agent_id for a in online] == [4, 3]
    assert online[0] is agents[0]  # the same objects: the batch mutates its own copies
    assert filters == {
        1: AgentReason.BUSY,
        2: AgentReason.OFFLINE,
        5: AgentReason.PRESENCE_EXPIRED,
    }
    assert _presence_filter([], T0) == ([], {})


def test_skip_reasons_add_each_online_rejection_to_the_presence_filters():
    team = Team(9, 1, "Billing", True, frozenset({1, 2}))
    online = [
        make_agent_state(1, window_count=3),
        make_agent_state(2, open_load=2, capacity_limit=2),
        make_agent_state(3),
    ]
    filters = {7: AgentReason.OFFLINE}
    reasons = _skip_reasons(online, team, 3, filters)
    assert reasons == {
        7: AgentReason.OFFLINE,
        1: AgentReason.RATE_LIMITED,
        2: AgentReason.AT_CAPACITY,
        3: AgentReason.NOT_TEAM_MEMBER,
    }
    assert filters == {7: AgentReason.OFFLINE}  # the filters are not touched
    # without a team, agent 3 passes every rule and has no reason
    assert _skip_reasons(online, None, 3, {}) == {
        1: AgentReason.RATE_LIMITED,
        2: AgentReason.AT_CAPACITY,
    }


def test_batch_starts_from_copies_with_a_pool_under_both_limits():
    agents = [
        make_agent_state(1, rotation_seq=4),
        make_agent_state(2, window_count=2),
        make_agent_state(3, open_load=1, capacity_limit=1),
        make_agent_state(4, presence=Presence.BUSY, rotation_seq=9),
    ]
    batch = _Batch.start(make_policy(fair_distribution_limit=2), agents, T0)
    assert [a.agent_id for a in batch.online] == [1, 2, 3]
    assert all(copy is not agent for copy, agent in zip(batch.online, agents, strict=False))
    assert [a.agent_id for a in batch.pool] == [1]
    assert batch.filters == {4: AgentReason.BUSY}
    assert batch.next_seq == 10  # after the highest rotation of any member, online or not
    assert batch.members == 4
    assert batch.selector.name == "round_robin"
    balanced = _Batch.start(make_policy(assignment_order=AssignmentOrder.BALANCED), [], T0)
    assert balanced.selector.name == "balanced"
    assert balanced.next_seq == 1
    assert balanced.plan(1).exhausted


def test_eligible_is_the_pool_or_its_team_members():
    batch = _Batch.start(make_policy(), [make_agent_state(i) for i in (1, 2, 3)], T0)
    assert batch.eligible(None) is batch.pool
    team = Team(9, 1, "Billing", True, frozenset({3, 1}))
    assert [a.agent_id for a in batch.eligible(team)] == [1, 3]


def test_take_counts_the_assignment_at_once_and_drops_a_full_agent_from_the_pool():
    batch = _Batch.start(
        make_policy(fair_distribution_limit=2),
        [make_agent_state(1, rotation_seq=5), make_agent_state(2, capacity_limit=1)],
        T0,
    )
    first, second = batch.pool
    batch.take(second, make_conversation(10, team_id=9), considered=2)
    assert (second.open_load, second.window_count, second.rotation_seq) == (1, 1, 6)
    assert batch.pool == [first]  # at capacity now
    assert batch.rotation == {2: 6}
    assert batch.next_seq == 7
    [planned] = batch.assignments
    assert (planned.conversation_id, planned.agent_id, planned.team_id) == (10, 2, 9)
    assert planned.selector == "round_robin"
    assert planned.reason == "round_robin among 2 eligible of 2 members"
    batch.take(first, make_conversation(11), considered=1)
    batch.take(first, make_conversation(12), considered=1)
    assert first.window_count == 2
    assert batch.pool == []  # at the fair-distribution limit now
    assert batch.rotation == {2: 6, 1: 8}
    assert batch.plan(1).exhausted


def test_skip_reasons_are_cached_per_team_until_the_next_take():
    team = Team(9, 1, "Billing", True, frozenset({2}))
    batch = _Batch.start(
        make_policy(),
        [make_agent_state(1, capacity_limit=1), make_agent_state(2, presence=Presence.BUSY)],
        T0,
    )
    for_team = batch.skip_reasons(team)
    assert for_team == {1: AgentReason.NOT_TEAM_MEMBER, 2: AgentReason.BUSY}
    assert batch.skip_reasons(team) is for_team  # cached: skips change nothing
    assert batch.skip_reasons(None) == {2: AgentReason.BUSY}  # one entry per team
    [agent] = batch.pool
    batch.take(agent, make_conversation(1), considered=1)
    assert batch.rejections == {}
    assert batch.skip_reasons(None) == {1: AgentReason.AT_CAPACITY, 2: AgentReason.BUSY}


def test_plan_reports_what_the_batch_decided():
    batch = _Batch.start(
        make_policy(), [make_agent_state(1), make_agent_state(2, presence=Presence.OFFLINE)], T0
    )
    batch.take(batch.pool[0], make_conversation(1), considered=1)
    plan = batch.plan(7)
    assert plan.inbox_id == 7
    assert [(a.conversation_id, a.agent_id) for a in plan.assignments] == [(1, 1)]
    assert plan.skips == ()
    assert plan.agent_filters == {2: AgentReason.OFFLINE}
    assert plan.rotation == {1: 1}
    assert not plan.exhausted
