"""Row ⇄ domain converters: the one place that knows both shapes."""

from __future__ import annotations

from collections.abc import Iterable
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


def policy(row: AnyRow, prefix: str = "") -> AssignmentPolicy:
    m = row._mapping
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


def exclusion_rules(row: AnyRow) -> ExclusionRules:
    return ExclusionRules(
        excluded_labels=frozenset(row.excluded_labels or ()),
        exclude_older_than_hours=row.exclude_older_than_hours,
    )


def conversation(row: AnyRow, labels: Iterable[str] = ()) -> Conversation:
    return Conversation(
        id=row.id,
        account_id=row.account_id,
        inbox_id=row.inbox_id,
        status=Status(row.status),
        priority=Priority(row.priority) if row.priority else None,
        team_id=row.team_id,
        assignee_id=row.assignee_id,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
        labels=frozenset(labels),
    )
