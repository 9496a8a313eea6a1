from __future__ import annotations

import pytest

from autoassign.core import errors
from autoassign.core.model import Presence, parse_enum
from autoassign.core.policies import (
    AssignmentOrder,
    ConversationPriority,
    ExclusionRules,
    combine_exclusions,
    validate_conversation_limit,
)
from tests.factories import T0, make_policy


def test_policy_defaults_match_the_reference():
    policy = make_policy()
    assert policy.assignment_order is AssignmentOrder.ROUND_ROBIN
    assert policy.conversation_priority is ConversationPriority.EARLIEST_CREATED
    assert (policy.fair_distribution_limit, policy.fair_distribution_window) == (100, 3600)
    assert policy.enabled is True
    assert policy.exclude_older_than_hours == 168


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fair_distribution_window", 0),
        ("fair_distribution_window", -5),
        ("fair_distribution_limit", 0),
        ("fair_distribution_limit", -1),
        ("fair_distribution_limit", 1.5),
        ("fair_distribution_limit", True),
        ("exclude_older_than_hours", 0),
    ],
)
def test_policy_rejects_out_of_range_numbers_naming_the_field(field, value):
    with pytest.raises(errors.InvalidPolicy) as info:
        make_policy(**{field: value})
    assert info.value.field == field
    assert field in info.value.message
    assert "greater than 0" in info.value.message


def test_policy_rejects_blank_name():
    with pytest.raises(errors.InvalidPolicy, match="name must not be blank"):
        make_policy(name="  ")


def test_policy_accepts_enum_values_as_strings_and_rejects_unknown_ones():
    policy = make_policy(assignment_order="balanced", conversation_priority="longest_waiting")
    assert policy.assignment_order is AssignmentOrder.BALANCED
    assert policy.conversation_priority is ConversationPriority.LONGEST_WAITING
    with pytest.raises(errors.InvalidValue, match="conversation_priority must be one of"):
        make_policy(conversation_priority="newest")


def test_policy_allows_no_age_limit():
    assert make_policy(exclude_older_than_hours=None).exclude_older_than_hours is None


def test_unknown_enum_value_lists_the_allowed_ones():
    with pytest.raises(errors.InvalidValue) as info:
        parse_enum(AssignmentOrder, "fastest", field_name="assignment_order")
    assert info.value.message == (
        "assignment_order must be one of: round_robin, balanced (got 'fastest')"
    )
    assert parse_enum(Presence, "busy", field_name="availability") is Presence.BUSY


def test_exclusions_combine_every_label_and_the_strictest_age():
    merged = combine_exclusions(
        [
            ExclusionRules(frozenset({"spam"}), 48),
            ExclusionRules(frozenset({"bot"}), None),
            ExclusionRules(frozenset(), 24),
        ]
    )
    assert merged == ExclusionRules(frozenset({"spam", "bot"}), 24)
    assert combine_exclusions([]) == ExclusionRules()


def test_age_cutoff_is_hours_before_now():
    assert ExclusionRules(exclude_older_than_hours=2).age_cutoff(T0) == T0.replace(hour=10)
    assert ExclusionRules().age_cutoff(T0) is None


def test_conversation_limit_must_be_positive():
    assert validate_conversation_limit(3) == 3
    with pytest.raises(errors.InvalidPolicy, match="conversation_limit"):
        validate_conversation_limit(0)
