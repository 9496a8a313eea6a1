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


class AgentReason(enum.StrEnum):
    """Why one agent could not take one conversation."""

    OFFLINE = "offline"
    BUSY = "busy"
    #: auto-offline agent whose heartbeat has expired
    PRESENCE_EXPIRED = "presence_expired"
    NOT_INBOX_MEMBER = "not_inbox_member"
    NOT_TEAM_MEMBER = "not_team_member"
    TEAM_AUTO_ASSIGN_DISABLED = "team_auto_assign_disabled"
    #: reached the fair-distribution limit in the current window
    RATE_LIMITED = "rate_limited"
    #: holds as many open conversations in this inbox as the capacity policy allows
    AT_CAPACITY = "at_capacity"
