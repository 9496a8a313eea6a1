"""Row ⇄ domain converters: the one place that knows both shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import sqlalchemy as sa

from autoassign.core.model import Agent, Conversation, Inbox, Presence, Priority, Status
from autoassign.core.policies import (
    AssignmentOrder,
    AssignmentPolicy,
    ConversationPriority,
    ExclusionRules,
)

AnyRow: TypeAlias = sa.Row[*tuple[Any, ...]]


def inbox(row: AnyRow) -> Inbox:
    return Inbox(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        enable_auto_assignment=bool(row.enable_auto_assignment),
    )


def agent(row: AnyRow) -> Agent:
    return Agent(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        availability=Presence(row.availability),
        auto_offline=bool(row.auto_offline),
        capacity_policy_id=row.capacity_policy_id,
    )


def policy(m: Mapping[Any, Any], prefix: str = "") -> AssignmentPolicy:
    """From a row's mapping; ``prefix`` when the columns were labelled (in a join)."""
    return AssignmentPolicy(
        id=m[f"{prefix}id"],
        account_id=m[f"{prefix}account_id"],
        name=m[f"{prefix}name"],
        description=m[f"{prefix}description"],
        assignment_order=AssignmentOrder(m[f"{prefix}assignment_order"]),
        conversation_priority=ConversationPriority(m[f"{prefix}conversation_priority"]),
        fair_distribution_limit=m[f"{prefix}fair_distribution_limit"],
        fair_distribution_window=m[f"{prefix}fair_distribution_window"],
        enabled=bool(m[f"{prefix}enabled"]),
        exclude_older_than_hours=m[f"{prefix}exclude_older_than_hours"],
    )


def policy_values(policy: AssignmentPolicy) -> dict[str, Any]:
    """The columns an AssignmentPolicy writes (not its id or timestamps)."""
    return {
        "account_id": policy.account_id,
        "name": policy.name,
        "description": policy.description,
        "assignment_order": policy.assignment_order.value,
        "conversation_priority": policy.conversation_priority.value,
        "fair_distribution_limit": policy.fair_distribution_limit,
        "fair_distribution_window": policy.fair_distribution_window,
        "enabled": policy.enabled,
        "exclude_older_than_hours": policy.exclude_older_than_hours,
    }


def exclusion_rules(row: AnyRow) -> ExclusionRules:
    return ExclusionRules(
        excluded_labels=frozenset(row.excluded_labels or ()),
        exclude_older_than_hours=row.exclude_older_than_hours,
    )


def conversation(m: Mapping[Any, Any], labels: Iterable[str] = ()) -> Conversation:
    return Conversation(
        id=m["id"],
        account_id=m["account_id"],
        inbox_id=m["inbox_id"],
        status=Status(m["status"]),
        priority=Priority(m["priority"]) if m["priority"] else None,
        team_id=m["team_id"],
        assignee_id=m["assignee_id"],
        created_at=m["created_at"],
        last_activity_at=m["last_activity_at"],
        labels=frozenset(labels),
    )
