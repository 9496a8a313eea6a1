"""Design §3 invariants on the pure planner, over generated inboxes."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from autoassign.core.model import Inbox, Presence, Team
from autoassign.core.planner import InboxSnapshot, RunnableInbox, inbox_gate, plan_batch
from autoassign.core.policies import AssignmentOrder, AssignmentPolicy, ExclusionRules
from tests.factories import T0, make_agent_state, make_conversation, make_policy

presences = st.sampled_from(list(Presence))


def runnable(policy: AssignmentPolicy) -> RunnableInbox:
    gate = inbox_gate(Inbox(1, 1, "x"), policy, ExclusionRules())
    assert isinstance(gate, RunnableInbox)
    return gate


@st.composite
def snapshots(draw: st.DrawFn) -> InboxSnapshot:
    n_agents = draw(st.integers(0, 8))
    agents = []
    for agent_id in range(1, n_agents + 1):
        limit = draw(st.none() | st.integers(1, 6))
        total = draw(st.none() | st.integers(1, 10))
        agents.append(
            make_agent_state(
                agent_id,
                presence=draw(presences),
                capacity_limit=limit,
                open_load=draw(st.integers(0, limit if limit is not None else 6)),
                window_count=draw(st.integers(0, 5)),
                rotation_seq=draw(st.integers(0, 20)),
                presence_expired=draw(st.booleans()),
                opted_out=draw(st.booleans()),
                total_limit=total,
                total_load=draw(st.integers(0, total if total is not None else 10)),
            )
        )
    agent_ids = [a.agent_id for a in agents]
    teams = {}
    for team_id in (100, 101):
        members = draw(st.frozensets(st.sampled_from(agent_ids))) if agent_ids else frozenset()
        teams[team_id] = Team(team_id, 1, f"t{team_id}", draw(st.booleans()), members)
    conversations = [
        make_conversation(cid, team_id=draw(st.sampled_from([None, None, 100, 101, 999])))
        for cid in range(1, draw(st.integers(0, 40)) + 1)
    ]
    policy = make_policy(
        assignment_order=draw(st.sampled_from(list(AssignmentOrder))),
        fair_distribution_limit=draw(st.integers(1, 8)),
    )
    return InboxSnapshot(runnable(policy), conversations, agents, teams)


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_every_assignment_respects_every_rule(snap: InboxSnapshot):
    plan = plan_batch(snap, T0)
    by_id = {a.agent_id: a for a in snap.agents}
    conversations = {c.id: c for c in snap.candidates}
    given_out = Counter(p.agent_id for p in plan.assignments)
    assert policy_limit_holds(snap, given_out)
    seen: set[int] = set()
    for planned in plan.assignments:
        assert planned.conversation_id not in seen  # never two assignees
        seen.add(planned.conversation_id)
        agent = by_id[planned.agent_id]
        assert agent.presence is Presence.ONLINE
        assert not agent.presence_expired
        assert not agent.opted_out  # watchers and supervisors never get work
        if agent.total_limit is not None:  # nor does anyone past their total
            assert agent.total_load + given_out[agent.agent_id] <= agent.total_limit
        conversation = conversations[planned.conversation_id]
        if conversation.team_id is not None:
            team = snap.teams[conversation.team_id]
            assert team.allow_auto_assign
            assert agent.agent_id in team.member_ids
        if agent.capacity_limit is not None:
            assert agent.open_load + given_out[agent.agent_id] <= agent.capacity_limit
    decided = {p.conversation_id for p in plan.assignments} | {
        s.conversation_id for s in plan.skips
    }
    assert decided == set(conversations)  # every conversation gets a decision


def policy_limit_holds(snap: InboxSnapshot, given_out: Counter[int]) -> bool:
    limit = snap.runnable.policy.fair_distribution_limit
    return all(
        a.window_count + given_out[a.agent_id] <= max(limit, a.window_count) for a in snap.agents
    ) and all(given_out[a.agent_id] == 0 for a in snap.agents if a.window_count >= limit)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10), st.integers(0, 60), st.lists(st.integers(0, 30), min_size=10, max_size=10)
)
def test_round_robin_counts_differ_by_at_most_one(n_agents: int, n_convs: int, seqs: list[int]):
    agents = [make_agent_state(i + 1, rotation_seq=seqs[i]) for i in range(n_agents)]
    snap = InboxSnapshot(
        runnable(make_policy(fair_distribution_limit=1000)),
        [make_conversation(c) for c in range(1, n_convs + 1)],
        agents,
    )
    counts = Counter(p.agent_id for p in plan_batch(snap, T0).assignments)
    values = [counts[a.agent_id] for a in agents]
    assert max(values) - min(values) <= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=8), st.integers(0, 80))
def test_balanced_levels_loads_to_within_one(loads: list[int], n_convs: int):
    agents = [make_agent_state(i + 1, open_load=load) for i, load in enumerate(loads)]
    snap = InboxSnapshot(
        runnable(
            make_policy(assignment_order=AssignmentOrder.BALANCED, fair_distribution_limit=1000)
        ),
        [make_conversation(c) for c in range(1, n_convs + 1)],
        agents,
    )
    counts = Counter(p.agent_id for p in plan_batch(snap, T0).assignments)
    final = [a.open_load + counts[a.agent_id] for a in agents]
    needed = sum(max(loads) - load for load in loads)
    if n_convs >= needed:
        assert max(final) - min(final) <= 1
    else:  # not enough work to level: nobody above the old maximum, lowest raised first
        assert max(final) <= max(loads)
        assert all(
            counts[a.agent_id] == 0 or final[i] <= min(final) + 1 for i, a in enumerate(agents)
        )
