from __future__ import annotations

from datetime import timedelta

from autoassign.core import eligibility
from autoassign.core.model import Presence, Status, Team
from autoassign.core.policies import ExclusionRules
from autoassign.core.reasons import AgentReason, SkipReason
from tests.factories import T0, make_agent_state, make_conversation


def test_closed_or_assigned_conversations_are_not_assignable():
    rules = ExclusionRules()
    assert (
        eligibility.conversation_exclusion(make_conversation(1, status=Status.PENDING), rules, T0)
        is SkipReason.NOT_ASSIGNABLE
    )
    assert (
        eligibility.conversation_exclusion(make_conversation(1, assignee_id=3), rules, T0)
        is SkipReason.NOT_ASSIGNABLE
    )


def test_any_excluded_label_excludes():
    rules = ExclusionRules(frozenset({"spam", "bot"}))
    tagged = make_conversation(1, labels=frozenset({"billing", "bot"}))
    assert eligibility.conversation_exclusion(tagged, rules, T0) is SkipReason.EXCLUDED_LABEL
    clean = make_conversation(2, labels=frozenset({"billing"}))
    assert eligibility.conversation_exclusion(clean, rules, T0) is None


def test_age_is_judged_by_last_activity():
    rules = ExclusionRules(exclude_older_than_hours=24)
    old_but_active = make_conversation(
        1, created_at=T0 - timedelta(days=30), last_activity_at=T0 - timedelta(hours=1)
    )
    idle = make_conversation(
        2, created_at=T0 - timedelta(days=2), last_activity_at=T0 - timedelta(hours=25)
    )
    assert eligibility.conversation_exclusion(old_but_active, rules, T0) is None
    assert eligibility.conversation_exclusion(idle, rules, T0) is SkipReason.TOO_OLD


def test_team_rules():
    teams = {5: Team(5, 1, "A", True, frozenset({1})), 6: Team(6, 1, "B", False)}
    assert eligibility.team_rule(make_conversation(1), teams) is None
    assert eligibility.team_rule(make_conversation(1, team_id=5), teams) is None
    assert eligibility.team_rule(make_conversation(1, team_id=6), teams) is (
        SkipReason.TEAM_AUTO_ASSIGN_DISABLED
    )
    assert eligibility.team_rule(make_conversation(1, team_id=9), teams) is (
        SkipReason.TEAM_NOT_FOUND
    )


def test_presence_rule():
    assert eligibility.presence_rule(make_agent_state(1)) is None
    assert (
        eligibility.presence_rule(make_agent_state(1, presence=Presence.BUSY)) is AgentReason.BUSY
    )
    assert eligibility.presence_rule(make_agent_state(1, presence=Presence.OFFLINE)) is (
        AgentReason.OFFLINE
    )
    assert eligibility.presence_rule(make_agent_state(1, presence_expired=True)) is (
        AgentReason.PRESENCE_EXPIRED
    )


def test_agent_rules_in_order_team_then_rate_then_capacity():
    team = Team(5, 1, "A", True, frozenset({2}))
    full = make_agent_state(1, window_count=3, open_load=4, capacity_limit=4)
    assert eligibility.agent_rejection(full, team, 3) is AgentReason.NOT_TEAM_MEMBER
    assert eligibility.agent_rejection(full, None, 3) is AgentReason.RATE_LIMITED
    assert eligibility.agent_rejection(full, None, 4) is AgentReason.AT_CAPACITY
    assert eligibility.agent_rejection(make_agent_state(1, open_load=9), None, 4) is None
