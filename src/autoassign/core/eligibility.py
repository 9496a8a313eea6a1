"""One small check per eligibility rule; each answers None (pass) or the reason it fails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from autoassign.core import skills
from autoassign.core.model import Conversation, Presence, Team
from autoassign.core.policies import ExclusionRules
from autoassign.core.reasons import AgentReason, ReassignReason, SkipReason
from autoassign.core.schedules import Duty, off_duty


@dataclass(slots=True)
class AgentState:
    """An inbox member as the planner sees them; loads change as the plan is made."""

    agent_id: int
    presence: Presence
    #: open conversations assigned to the agent in this inbox
    open_load: int = 0
    #: None: no capacity policy limits this agent here
    capacity_limit: int | None = None
    #: engine assignments to this agent in this inbox within the current window
    window_count: int = 0
    #: rotation position: 0 never assigned; larger means assigned more recently
    rotation_seq: int = 0
    #: True when the agent chose "online" but their heartbeat expired
    presence_expired: bool = False
    #: when the oldest entry of the window leaves it (None: empty window); an agent at
    #: the fair-distribution limit can take work again from then on
    window_frees_at: datetime | None = None
    #: a member who never receives auto-assignments in this inbox
    opted_out: bool = False
    #: open conversations assigned to the agent in all the account's inboxes
    total_load: int = 0
    #: None: no limit across inboxes
    total_limit: int | None = None
    #: working hours and time off (None: always on duty)
    duty: Duty | None = None
    #: the member's share of the inbox's work relative to the others (core/selectors.py)
    weight: int = 1
    #: skill → level 1 to 5 (core/skills.py)
    skills: Mapping[str, int] = field(default_factory=dict)


def conversation_exclusion(
    conversation: Conversation, rules: ExclusionRules, now: datetime
) -> SkipReason | None:
    """Whether a conversation is left alone before any agent is considered."""
    if not conversation.assignable:
        return SkipReason.NOT_ASSIGNABLE
    if rules.excluded_labels and conversation.labels & rules.excluded_labels:
        return SkipReason.EXCLUDED_LABEL
    cutoff = rules.age_cutoff(now)
    if cutoff is not None and conversation.last_activity_at < cutoff:
        return SkipReason.TOO_OLD
    return None


def team_rule(conversation: Conversation, teams: dict[int, Team]) -> SkipReason | None:
    """A conversation with a team goes only through a team that allows auto-assignment."""
    if conversation.team_id is None:
        return None
    team = teams.get(conversation.team_id)
    if team is None:
        return SkipReason.TEAM_NOT_FOUND
    if not team.allow_auto_assign:
        return SkipReason.TEAM_AUTO_ASSIGN_DISABLED
    return None


def barred_agent(conversation: Conversation) -> int | None:
    """The agent a conversation must not go back to: the one who left it unanswered
    (core/reassignment.py); other reassignments may return to a previous assignee who
    is back."""
    if conversation.reassign_reason is ReassignReason.UNANSWERED:
        return conversation.previous_assignee_id
    return None


def previous_assignee_rule(agent: AgentState, barred: int | None) -> AgentReason | None:
    """Not the agent ``barred_agent`` names."""
    if barred is not None and agent.agent_id == barred:
        return AgentReason.PREVIOUS_ASSIGNEE
    return None


def skill_rule(agent: AgentState, needs: Mapping[str, int]) -> AgentReason | None:
    """Meets every skill the conversation requires now (core/skills.py)."""
    return None if skills.meets(agent.skills, needs) else AgentReason.MISSING_SKILL


def presence_rule(agent: AgentState, now: datetime | None = None) -> AgentReason | None:
    """Only online agents take work; busy and offline never do; nor a member who opted
    out of auto-assignment in the inbox, nor one off duty at ``now`` (judged with
    presence: once per batch)."""
    if agent.opted_out:
        return AgentReason.OPTED_OUT
    if now is not None and (off := off_duty(agent.duty, now)) is not None:
        return off
    if agent.presence_expired:
        return AgentReason.PRESENCE_EXPIRED
    if agent.presence is Presence.BUSY:
        return AgentReason.BUSY
    if agent.presence is Presence.OFFLINE:
        return AgentReason.OFFLINE
    return None


def team_member_rule(agent: AgentState, team: Team | None) -> AgentReason | None:
    if team is not None and agent.agent_id not in team.member_ids:
        return AgentReason.NOT_TEAM_MEMBER
    return None


def rate_rule(agent: AgentState, limit: int) -> AgentReason | None:
    """Under the fair-distribution limit for this inbox in the current window."""
    if agent.window_count >= limit:
        return AgentReason.RATE_LIMITED
    return None


def capacity_rule(agent: AgentState) -> AgentReason | None:
    """Under the capacity limit for open conversations in this inbox, and under the
    capacity policy's total across all inboxes."""
    if agent.capacity_limit is not None and agent.open_load >= agent.capacity_limit:
        return AgentReason.AT_CAPACITY
    if agent.total_limit is not None and agent.total_load >= agent.total_limit:
        return AgentReason.AT_TOTAL_CAPACITY
    return None


def frees_by_time(agent: AgentState, rate_limit: int) -> datetime | None:
    """When time alone lets this online agent take work again: the moment their window
    frees, if the fair-distribution limit is all that stops them (capacity frees only by
    events, which trigger runs of their own)."""
    if rate_rule(agent, rate_limit) is None or capacity_rule(agent) is not None:
        return None
    return agent.window_frees_at


def agent_rejection(agent: AgentState, team: Team | None, rate_limit: int) -> AgentReason | None:
    """The first rule an online agent fails for one conversation, in the documented order."""
    return team_member_rule(agent, team) or rate_rule(agent, rate_limit) or capacity_rule(agent)
