"""Weighted shares (issue 13.6): over long runs no member's count lags their share
(count so far * weight / total weight) by a whole assignment or more."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from autoassign.core.model import Inbox
from autoassign.core.planner import InboxSnapshot, RunnableInbox, inbox_gate, plan_batch
from autoassign.core.policies import AssignmentOrder, ExclusionRules
from tests.factories import T0, make_agent_state, make_conversation, make_policy


def run(weights: list[int], conversations: int, order: AssignmentOrder) -> Counter[int]:
    gate = inbox_gate(
        Inbox(1, 1, "x"),
        make_policy(fair_distribution_limit=100_000, assignment_order=order),
        ExclusionRules(),
    )
    assert isinstance(gate, RunnableInbox)
    agents = [make_agent_state(i + 1, weight=w) for i, w in enumerate(weights)]
    candidates = [make_conversation(c) for c in range(1, conversations + 1)]
    plan = plan_batch(InboxSnapshot(gate, candidates, agents), T0)
    return Counter(p.agent_id for p in plan.assignments)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=6), st.integers(0, 300))
def test_no_count_lags_its_share_by_a_whole_assignment(weights: list[int], n: int):
    counts = run(weights, n, AssignmentOrder.ROUND_ROBIN)
    total = sum(weights)
    for i, weight in enumerate(weights):
        share = n * weight / total
        assert counts[i + 1] > share - 1, (weights, n, dict(counts))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=6), st.integers(0, 300))
def test_the_balanced_order_fills_members_by_their_weight(weights: list[int], n: int):
    counts = run(weights, n, AssignmentOrder.BALANCED)
    total = sum(weights)
    for i, weight in enumerate(weights):
        assert counts[i + 1] > n * weight / total - 1, (weights, n, dict(counts))


def test_three_to_one():
    assert run([3, 1], 8, AssignmentOrder.ROUND_ROBIN) == {1: 6, 2: 2}
