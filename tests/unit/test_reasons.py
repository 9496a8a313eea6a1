"""The reason enums: the outcome of a conversation mirrors every skip reason exactly, and
every agent reason is one some rule actually gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from autoassign.core import eligibility
from autoassign.core.model import Presence, Team
from autoassign.core.reasons import AgentReason, OutcomeKind, SkipReason
from autoassign.core.schedules import Duty, Leave, Shift
from tests.factories import make_agent_state


def test_every_skip_reason_has_a_twin_outcome_of_the_same_name_and_value():
    for reason in SkipReason:
        kind = OutcomeKind.skipped(reason)
        assert kind.name == reason.name
        assert kind.value == reason.value
        assert kind.skip_reason is reason


def test_outcomes_are_the_skip_reasons_plus_assigned_and_would_assign():
    assert {k.value for k in OutcomeKind} == {r.value for r in SkipReason} | {
        "assigned",
        "would_be_assigned",
    }
    assert len(OutcomeKind) == len(SkipReason) + 2


@pytest.mark.parametrize("kind", [OutcomeKind.ASSIGNED, OutcomeKind.WOULD_ASSIGN])
def test_assigned_outcomes_have_no_skip_reason(kind: OutcomeKind):
    assert kind.skip_reason is None


def test_outcomes_read_and_serialise_as_the_plain_strings_they_replace():
    """The API, the CLI and the metrics show exactly the strings they showed before, and
    callers still holding plain strings compare equal."""
    plain: dict[str, str] = {"assigned": "assigned", "lost_race": SkipReason.LOST_RACE.value}
    assert plain["assigned"] == OutcomeKind.ASSIGNED
    assert plain["lost_race"] == OutcomeKind.LOST_RACE
    assert OutcomeKind.ASSIGNED.value == "assigned"
    assert OutcomeKind.WOULD_ASSIGN.value == "would_be_assigned"
    assert json.dumps([OutcomeKind.ASSIGNED, OutcomeKind.NO_AGENT_ONLINE]) == (
        '["assigned", "no_agent_online"]'
    )
    for kind in OutcomeKind:
        assert isinstance(kind, str)
        assert str(kind) == f"{kind}" == kind.value
        assert OutcomeKind(kind.value) is kind


def test_outcome_and_skip_reason_are_distinct_enums_with_equal_strings():
    assert str(OutcomeKind.LOST_RACE) == str(SkipReason.LOST_RACE) == "lost_race"
    assert not isinstance(OutcomeKind.LOST_RACE, SkipReason)  # yet typed apart


NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
NIGHTS = Duty("UTC", (Shift(2, 22 * 60, 6 * 60),))
AWAY = Duty("UTC", (), (Leave(NOON - timedelta(hours=1), NOON + timedelta(hours=1)),))


def test_every_agent_reason_is_given_by_some_rule():
    """No reason code is dead: each one is what some rule answers for some agent."""
    team = Team(5, 1, "A", True, frozenset({2}))
    given = {
        eligibility.presence_rule(make_agent_state(1, presence=Presence.OFFLINE)),
        eligibility.presence_rule(make_agent_state(1, presence=Presence.BUSY)),
        eligibility.presence_rule(make_agent_state(1, presence_expired=True)),
        eligibility.agent_rejection(make_agent_state(1), team, 3),
        eligibility.agent_rejection(make_agent_state(2, window_count=3), team, 3),
        eligibility.agent_rejection(make_agent_state(2, open_load=1, capacity_limit=1), team, 3),
        eligibility.previous_assignee_rule(make_agent_state(4), 4),
        eligibility.skill_rule(make_agent_state(4), {"billing": 2}),
        eligibility.presence_rule(make_agent_state(1, opted_out=True)),
        eligibility.presence_rule(make_agent_state(1, duty=NIGHTS), NOON),
        eligibility.presence_rule(make_agent_state(1, duty=AWAY), NOON),
        eligibility.agent_rejection(make_agent_state(2, total_load=2, total_limit=2), team, 3),
    }
    assert given == set(AgentReason)
