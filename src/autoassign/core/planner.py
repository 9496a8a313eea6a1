"""Plan one batch for one inbox: who gets which conversation, and why the rest do not.

The planner is the whole decision; the service around it only loads a snapshot, writes
the claims and records the result. Loads, window counts and rotation are updated in
memory as decisions are made, so one batch never overshoots a limit by itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from autoassign.core import eligibility
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Conversation, Inbox, Team
from autoassign.core.policies import AssignmentPolicy, ExclusionRules, combine_exclusions
from autoassign.core.reasons import AgentReason, SkipReason
from autoassign.core.selectors import selector_for


@dataclass(frozen=True, slots=True)
class InboxSnapshot:
    """Everything the planner needs, loaded in a constant number of round trips."""

    inbox: Inbox
    policy: AssignmentPolicy | None
    #: open, unassigned candidates in policy order
    candidates: Sequence[Conversation]
    #: every member of the inbox
    agents: Sequence[AgentState]
    #: teams referenced by the candidates
    teams: Mapping[int, Team] = field(default_factory=dict)
    #: merged exclusion rules of the capacity policies that limit this inbox
    capacity_exclusions: ExclusionRules = field(default_factory=ExclusionRules)


@dataclass(frozen=True, slots=True)
class PlannedAssignment:
    conversation_id: int
    agent_id: int
    #: the team the conversation had when planned; the claim re-checks it
    team_id: int | None
    selector: str
    #: human-readable why, recorded with the assignment
    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    """A conversation left unassigned, with the reason for each member passed over."""

    conversation_id: int
    reason: SkipReason
    agents: Mapping[int, AgentReason] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    inbox_id: int
    #: set when the whole inbox was skipped (disabled, no policy, …)
    skipped: SkipReason | None = None
    assignments: tuple[PlannedAssignment, ...] = ()
    skips: tuple[Skip, ...] = ()
    #: members filtered out before any conversation (offline, busy, expired presence)
    agent_filters: Mapping[int, AgentReason] = field(default_factory=dict)
    #: new rotation sequence numbers of the agents that received work
    rotation: Mapping[int, int] = field(default_factory=dict)
    #: no online member can take another conversation now (all at a limit, or none
    #: online): a further batch would assign nothing until something changes
    exhausted: bool = False


def inbox_gate(inbox: Inbox, policy: AssignmentPolicy | None) -> SkipReason | None:
    """Whether the inbox runs at all: auto-assignment on and an enabled policy linked."""
    if not inbox.enable_auto_assignment:
        return SkipReason.INBOX_DISABLED
    if policy is None:
        return SkipReason.NO_POLICY
    if not policy.enabled:
        return SkipReason.POLICY_DISABLED
    return None


def effective_exclusions(
    policy: AssignmentPolicy | None, capacity_exclusions: ExclusionRules
) -> ExclusionRules:
    """The policy's age limit merged with the capacity policies' label and age rules."""
    age = policy.exclude_older_than_hours if policy is not None else None
    return combine_exclusions([capacity_exclusions, ExclusionRules(frozenset(), age)])


def plan_batch(snapshot: InboxSnapshot, now: datetime) -> AssignmentPlan:
    """Decide the batch. Never assigns to an ineligible agent or past a limit."""
    inbox_id = snapshot.inbox.id
    gate = inbox_gate(snapshot.inbox, snapshot.policy)
    if gate is not None or snapshot.policy is None:
        return AssignmentPlan(inbox_id, skipped=gate or SkipReason.NO_POLICY)
    policy = snapshot.policy
    rules = effective_exclusions(policy, snapshot.capacity_exclusions)
    selector = selector_for(policy.assignment_order)
    agents = [replace(a) for a in snapshot.agents]  # private, mutable copies
    filters: dict[int, AgentReason] = {}
    online: list[AgentState] = []
    for agent in agents:
        reason = eligibility.presence_rule(agent)
        if reason is None:
            online.append(agent)
        else:
            filters[agent.agent_id] = reason
    next_seq = max((a.rotation_seq for a in agents), default=0) + 1
    limit = policy.fair_distribution_limit
    # Online agents under both limits, in member order. An agent leaves the pool when a
    # decision takes it to a limit, so a conversation without a team costs one selector
    # call rather than a rule check per agent; the per-agent reasons are worked out only
    # for conversations that end up skipped.
    pool = [a for a in online if eligibility.agent_rejection(a, None, limit) is None]
    teams = dict(snapshot.teams)
    assignments: list[PlannedAssignment] = []
    skips: list[Skip] = []
    rotation: dict[int, int] = {}
    rejections: dict[int | None, dict[int, AgentReason]] = {}
    for conversation in snapshot.candidates:
        skip = eligibility.conversation_exclusion(
            conversation, rules, now
        ) or eligibility.team_rule(conversation, teams)
        if skip is not None:
            skips.append(Skip(conversation.id, skip))
            continue
        if not online:
            skips.append(Skip(conversation.id, SkipReason.NO_AGENT_ONLINE, dict(filters)))
            continue
        team = teams.get(conversation.team_id) if conversation.team_id is not None else None
        eligible = pool if team is None else [a for a in pool if a.agent_id in team.member_ids]
        if not eligible:
            key = None if team is None else team.id
            if key not in rejections:  # the same for every skip until the next assignment
                rejections[key] = filters | {
                    a.agent_id: why
                    for a in online
                    if (why := eligibility.agent_rejection(a, team, limit)) is not None
                }
            skips.append(Skip(conversation.id, SkipReason.NO_ELIGIBLE_AGENT, rejections[key]))
            continue
        rejections.clear()
        chosen = selector.choose(eligible)
        considered = len(eligible)
        chosen.open_load += 1
        chosen.window_count += 1
        chosen.rotation_seq = next_seq
        rotation[chosen.agent_id] = next_seq
        next_seq += 1
        if eligibility.agent_rejection(chosen, None, limit) is not None:
            pool.remove(chosen)
        assignments.append(
            PlannedAssignment(
                conversation_id=conversation.id,
                agent_id=chosen.agent_id,
                team_id=conversation.team_id,
                selector=selector.name,
                reason=f"{selector.name} among {considered} eligible of {len(agents)} members",
            )
        )
    return AssignmentPlan(
        inbox_id,
        assignments=tuple(assignments),
        skips=tuple(skips),
        agent_filters=filters,
        rotation=rotation,
        exhausted=not pool,
    )
