"""Row ⇄ domain converters (entities and read models): the one place that knows both shapes."""

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
from autoassign.core.reasons import ReassignReason
from autoassign.core.skills import Relaxation
from autoassign.core.views import (
    AgentView,
    AssignmentEventView,
    CapacityPolicyView,
    ConversationView,
    ExclusionRulesView,
    InboxLimitView,
    InboxView,
    PolicyView,
    TeamView,
    WebhookView,
)

AnyRow: TypeAlias = sa.Row[*tuple[Any, ...]]


def inbox(row: AnyRow) -> Inbox:
    return Inbox(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        enable_auto_assignment=bool(row.enable_auto_assignment),
        skill_labels=row.skill_labels or {},
    )


def relaxation(value: Any) -> tuple[Relaxation, ...]:
    """The policy's ladder from its JSON column."""
    return tuple(Relaxation(s["after_seconds"], s["lower_by"]) for s in value or ())


def relaxation_json(ladder: tuple[Relaxation, ...]) -> list[dict[str, int]] | None:
    return [{"after_seconds": s.after_seconds, "lower_by": s.lower_by} for s in ladder] or None


def agent(row: AnyRow) -> Agent:
    return Agent(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        availability=Presence(row.availability),
        auto_offline=bool(row.auto_offline),
        capacity_policy_id=row.capacity_policy_id,
    )


#: the policy's reassignment columns, named as its fields (core/policies.py)
REASSIGN_SETTINGS = (
    "reassign_after_absent_seconds",
    "reassign_only_unreplied",
    "reassign_unanswered_after_seconds",
    "max_reassignments",
    "reassign_on_reopen",
    "overflow_after_seconds",
    "overflow_team_id",
    "sticky_days",
    "preferred_hold_seconds",
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
        reassign_after_absent_seconds=m[f"{prefix}reassign_after_absent_seconds"],
        reassign_only_unreplied=bool(m[f"{prefix}reassign_only_unreplied"]),
        reassign_unanswered_after_seconds=m[f"{prefix}reassign_unanswered_after_seconds"],
        max_reassignments=m[f"{prefix}max_reassignments"],
        reassign_on_reopen=bool(m[f"{prefix}reassign_on_reopen"]),
        overflow_after_seconds=m[f"{prefix}overflow_after_seconds"],
        overflow_team_id=m[f"{prefix}overflow_team_id"],
        sticky_days=m[f"{prefix}sticky_days"],
        preferred_hold_seconds=m[f"{prefix}preferred_hold_seconds"],
        skill_relaxation=relaxation(m[f"{prefix}skill_relaxation"]),
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
        **{name: getattr(policy, name) for name in REASSIGN_SETTINGS},
        "skill_relaxation": relaxation_json(policy.skill_relaxation),
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


# read models ------------------------------------------------------------------------


def agent_view(row: AnyRow) -> AgentView:
    return AgentView(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        email=row.email,
        availability=Presence(row.availability),
        auto_offline=bool(row.auto_offline),
        capacity_policy_id=row.capacity_policy_id,
        created_at=row.created_at,
    )


def inbox_view(row: AnyRow) -> InboxView:
    return InboxView(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        enable_auto_assignment=bool(row.enable_auto_assignment),
        created_at=row.created_at,
    )


def team_view(row: AnyRow) -> TeamView:
    return TeamView(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        allow_auto_assign=bool(row.allow_auto_assign),
        created_at=row.created_at,
    )


def conversation_view(row: AnyRow, labels: Iterable[str] = ()) -> ConversationView:
    return ConversationView(
        id=row.id,
        account_id=row.account_id,
        inbox_id=row.inbox_id,
        status=Status(row.status),
        priority=Priority(row.priority) if row.priority else None,
        team_id=row.team_id,
        assignee_id=row.assignee_id,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
        updated_at=row.updated_at,
        labels=tuple(sorted(labels)),
        sla_due_at=row.sla_due_at,
        contact_id=row.contact_id,
        preferred_agent_id=row.preferred_agent_id,
        required_skills=row.required_skills or {},
        assigned_at=row.assigned_at,
        waiting_since=row.waiting_since,
        first_reply_created_at=row.first_reply_at,
        reassignments=row.reassignments,
        previous_assignee_id=row.previous_assignee_id,
        reassign_reason=ReassignReason(row.reassign_reason) if row.reassign_reason else None,
    )


def policy_view(row: AnyRow) -> PolicyView:
    return PolicyView(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        description=row.description,
        assignment_order=AssignmentOrder(row.assignment_order),
        conversation_priority=ConversationPriority(row.conversation_priority),
        fair_distribution_limit=row.fair_distribution_limit,
        fair_distribution_window=row.fair_distribution_window,
        enabled=bool(row.enabled),
        exclude_older_than_hours=row.exclude_older_than_hours,
        reassign_after_absent_seconds=row.reassign_after_absent_seconds,
        reassign_only_unreplied=bool(row.reassign_only_unreplied),
        reassign_unanswered_after_seconds=row.reassign_unanswered_after_seconds,
        max_reassignments=row.max_reassignments,
        reassign_on_reopen=bool(row.reassign_on_reopen),
        overflow_after_seconds=row.overflow_after_seconds,
        overflow_team_id=row.overflow_team_id,
        sticky_days=row.sticky_days,
        preferred_hold_seconds=row.preferred_hold_seconds,
        skill_relaxation=relaxation(row.skill_relaxation),
        assigned_inbox_count=row.assigned_inbox_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def inbox_limit_view(row: AnyRow) -> InboxLimitView:
    return InboxLimitView(
        id=row.id,
        agent_capacity_policy_id=row.capacity_policy_id,
        inbox_id=row.inbox_id,
        conversation_limit=row.conversation_limit,
    )


def capacity_view(row: AnyRow, limits: Iterable[InboxLimitView]) -> CapacityPolicyView:
    return CapacityPolicyView(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        description=row.description,
        exclusion_rules=ExclusionRulesView(
            excluded_labels=tuple(row.excluded_labels or ()),
            exclude_older_than_hours=row.exclude_older_than_hours,
        ),
        total_limit=row.total_limit,
        assigned_agent_count=row.assigned_agent_count,
        inbox_capacity_limits=tuple(limits),
        created_at=row.created_at,
    )


def webhook_view(row: AnyRow) -> WebhookView:
    return WebhookView(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        subscriptions=tuple(row.subscriptions),
        secret=row.secret,
        created_at=row.created_at,
    )


def event_view(row: AnyRow) -> AssignmentEventView:
    return AssignmentEventView(
        id=row.id,
        account_id=row.account_id,
        inbox_id=row.inbox_id,
        conversation_id=row.conversation_id,
        agent_id=row.agent_id,
        policy_id=row.policy_id,
        selector=row.selector,
        reason=row.reason,
        assigned_at=row.assigned_at,
        previous_agent_id=row.previous_agent_id,
        reassign_reason=ReassignReason(row.reassign_reason) if row.reassign_reason else None,
    )
