"""Why a conversation was or was not assigned, and why an agent was passed over."""

from __future__ import annotations

import enum


class SkipReason(enum.StrEnum):
    """Why a conversation (or a whole inbox run) was left unassigned."""

    #: the inbox has auto-assignment switched off
    INBOX_DISABLED = "inbox_auto_assignment_disabled"
    #: the inbox has no assignment policy linked
    NO_POLICY = "no_assignment_policy"
    #: the inbox's policy is disabled
    POLICY_DISABLED = "assignment_policy_disabled"
    #: the conversation is not open, or already has an assignee
    NOT_ASSIGNABLE = "not_assignable"
    #: it carries a label that a capacity policy excludes
    EXCLUDED_LABEL = "excluded_label"
    #: its last activity is older than the age limit
    TOO_OLD = "too_old"
    #: its team no longer exists
    TEAM_NOT_FOUND = "team_not_found"
    #: its team does not allow auto-assignment
    TEAM_AUTO_ASSIGN_DISABLED = "team_auto_assign_disabled"
    #: no member of the inbox is online
    NO_AGENT_ONLINE = "no_agent_online"
    #: agents are online, but each was filtered out (see the per-agent reasons)
    NO_ELIGIBLE_AGENT = "no_eligible_agent"
    #: planned, but the row changed before the claim (assigned by someone else, closed, re-teamed)
    LOST_RACE = "lost_race"
    #: its preferred agent is online but at a limit: it waits for them until the hold ends
    HELD_FOR_PREFERRED_AGENT = "held_for_preferred_agent"
    #: the inbox is closed by its business hours (it wakes when they open)
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"


class OutcomeKind(enum.StrEnum):
    """What became of one conversation: the ``result`` of a batch outcome or an explanation.

    Either it was assigned, or (in a dry run) it would be, or it was left for a
    ``SkipReason``. The skip members repeat ``SkipReason`` name for name and take its
    values, so an API client sees the same strings whichever enum produced them; an
    enum cannot extend another, hence the repetition, and ``_OF_SKIP`` below fails at
    import if a ``SkipReason`` has no twin here.
    """

    #: assigned (by this batch, or already, for an explanation)
    ASSIGNED = "assigned"
    #: nothing blocks it: the next run of its inbox assigns it (explanations only)
    WOULD_ASSIGN = "would_be_assigned"
    INBOX_DISABLED = SkipReason.INBOX_DISABLED.value
    NO_POLICY = SkipReason.NO_POLICY.value
    POLICY_DISABLED = SkipReason.POLICY_DISABLED.value
    NOT_ASSIGNABLE = SkipReason.NOT_ASSIGNABLE.value
    EXCLUDED_LABEL = SkipReason.EXCLUDED_LABEL.value
    TOO_OLD = SkipReason.TOO_OLD.value
    TEAM_NOT_FOUND = SkipReason.TEAM_NOT_FOUND.value
    TEAM_AUTO_ASSIGN_DISABLED = SkipReason.TEAM_AUTO_ASSIGN_DISABLED.value
    NO_AGENT_ONLINE = SkipReason.NO_AGENT_ONLINE.value
    NO_ELIGIBLE_AGENT = SkipReason.NO_ELIGIBLE_AGENT.value
    LOST_RACE = SkipReason.LOST_RACE.value
    HELD_FOR_PREFERRED_AGENT = SkipReason.HELD_FOR_PREFERRED_AGENT.value
    OUTSIDE_BUSINESS_HOURS = SkipReason.OUTSIDE_BUSINESS_HOURS.value

    @classmethod
    def skipped(cls, reason: SkipReason) -> OutcomeKind:
        """The outcome of a conversation left unassigned for ``reason``."""
        return _OF_SKIP[reason]

    @property
    def skip_reason(self) -> SkipReason | None:
        """The reason this outcome stands for; None when it is (or would be) assigned."""
        return _SKIP_OF.get(self)


_OF_SKIP = {reason: OutcomeKind(reason.value) for reason in SkipReason}
_SKIP_OF = {kind: reason for reason, kind in _OF_SKIP.items()}


class AgentReason(enum.StrEnum):
    """Why one agent could not take one conversation.

    The planner sees members of the inbox only, so there is no "not a member" reason;
    and a team that refuses auto-assignment skips the whole conversation
    (``SkipReason.TEAM_AUTO_ASSIGN_DISABLED``) before any agent is judged. Presence is
    judged first, then team, rate and capacity (``eligibility.agent_rejection``).
    """

    OFFLINE = "offline"
    BUSY = "busy"
    #: auto-offline agent whose heartbeat has expired
    PRESENCE_EXPIRED = "presence_expired"
    NOT_TEAM_MEMBER = "not_team_member"
    #: reached the fair-distribution limit in the current window
    RATE_LIMITED = "rate_limited"
    #: holds as many open conversations in this inbox as the capacity policy allows
    AT_CAPACITY = "at_capacity"
    #: the conversation was taken from this agent for going unanswered: never straight back
    PREVIOUS_ASSIGNEE = "previous_assignee"
    #: a member who never receives auto-assignments in this inbox (watcher, supervisor)
    OPTED_OUT = "opted_out"
    #: lacks a skill the conversation requires, or has it below the level (core/skills.py)
    MISSING_SKILL = "missing_skill"
    #: outside the agent's working hours (core/schedules.py)
    OUTSIDE_WORKING_HOURS = "outside_working_hours"
    #: on time off
    ON_LEAVE = "on_leave"
    #: holds as many open conversations across all inboxes as the capacity policy allows
    AT_TOTAL_CAPACITY = "at_total_capacity"


class ReassignReason(enum.StrEnum):
    """Why the engine took a conversation from its assignee (core/reassignment.py)."""

    #: offline, busy or heartbeat lapsed past the policy's grace period
    ASSIGNEE_OFFLINE = "assignee_offline"
    #: taken out of the inbox or of the conversation's team past the grace period
    ASSIGNEE_REMOVED = "assignee_removed"
    #: the customer waited past the policy's limit without a reply from the assignee
    UNANSWERED = "unanswered"
    #: reopened while the assignee could not take it
    REOPENED = "reopened"
