"""When the engine takes a conversation from its assignee: the reassignment rules.

Timers are data. Each rule turns a held conversation's columns, its assignee's standing
and the policy into the moment it fires (``timer``); a batch releases what is due
(``due``) and hands the earliest future moment to the job queue as the inbox's wake-up.
Nothing sleeps: a restart, a killed worker or a lost wake-up only delays a timer until
the next run of its inbox (any trigger, or the sweep).

The rules, each off by default (``AssignmentPolicy``):

- **gone** (``reassign_after_absent_seconds``): the assignee is offline or busy, their
  heartbeat lapsed, or they were taken out of the inbox or of the conversation's team.
  After the grace period the conversation returns to the queue (unless the agent is
  back), optionally only if the agent has not replied to it since it was assigned.
- **reopened** (``reassign_on_reopen``): reopened while the assignee was already gone;
  reassigned once the grace period (0 when the rule above is off) has passed.
- **unanswered** (``reassign_unanswered_after_seconds``): a customer message waits that
  long without a reply since the conversation was assigned; it is offered to another
  agent, never straight back, at most ``max_reassignments`` times. It stays with its
  assignee while nobody else can take it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from autoassign.core.model import Conversation, Presence
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.reasons import ReassignReason


@dataclass(frozen=True, slots=True)
class Held:
    """An open, assigned conversation of the inbox and its assignee's standing."""

    conversation_id: int
    account_id: int
    inbox_id: int
    agent_id: int
    team_id: int | None
    created_at: datetime
    #: the claim's guard: any activity since the batch read the row wins over the timer
    last_activity_at: datetime
    #: when the current assignee got it
    assigned_at: datetime
    waiting_since: datetime | None = None
    agent_replied_at: datetime | None = None
    reopened_at: datetime | None = None
    reassignments: int = 0
    # the assignee's standing
    presence: Presence = Presence.ONLINE
    #: when the agent left "online" (None while online, or not known)
    away_since: datetime | None = None
    #: auto-offline agents: when their latest heartbeat ends (or ended); None: not an
    #: auto-offline agent, or no heartbeat known (then never judged gone by heartbeat)
    heartbeat_ends: datetime | None = None
    #: a member of the inbox and, when the conversation has a team, of the team
    member: bool = True
    #: when the assignee was taken out of the inbox or team (None: not known)
    left_at: datetime | None = None
    #: the assignee keeps presence by heartbeat (the service fills ``heartbeat_ends``)
    auto_offline: bool = False

    @property
    def replied(self) -> bool:
        """The assignee (or any agent) replied since it was assigned."""
        return self.agent_replied_at is not None and self.agent_replied_at >= self.assigned_at


@dataclass(frozen=True, slots=True)
class Timer:
    """A reassignment rule running on a held conversation, and when it fires."""

    conversation_id: int
    reason: ReassignReason
    fires_at: datetime


@dataclass(frozen=True, slots=True)
class Release:
    """A held conversation whose timer fired: it goes back to the queue."""

    held: Held
    reason: ReassignReason

    def candidate(self) -> Conversation:
        """The conversation as the planner sees it once released."""
        h = self.held
        return Conversation(
            id=h.conversation_id,
            account_id=h.account_id,
            inbox_id=h.inbox_id,
            created_at=h.created_at,
            last_activity_at=h.last_activity_at,
            team_id=h.team_id,
            previous_assignee_id=h.agent_id,
            reassign_reason=self.reason,
        )


@dataclass(frozen=True, slots=True)
class Due:
    releases: tuple[Release, ...] = ()
    #: the earliest moment a timer (or a heartbeat ending) needs the inbox to run again
    wake_at: datetime | None = None


def gone(held: Held, now: datetime) -> tuple[ReassignReason, datetime] | None:
    """Whether the assignee cannot take the conversation now, why, and since when (never
    before it was assigned: the grace counts from the later of the two)."""
    assigned = held.assigned_at
    if not held.member and held.left_at is not None:
        return ReassignReason.ASSIGNEE_REMOVED, max(held.left_at, assigned)
    if held.presence is not Presence.ONLINE:
        return ReassignReason.ASSIGNEE_OFFLINE, max(held.away_since or assigned, assigned)
    if held.heartbeat_ends is not None and held.heartbeat_ends <= now:
        return ReassignReason.ASSIGNEE_OFFLINE, max(held.heartbeat_ends, assigned)
    return None


def timer(held: Held, policy: AssignmentPolicy, now: datetime) -> Timer | None:
    """The rule that fires first on this conversation, or None when none runs."""
    timers: list[Timer] = []
    away = gone(held, now)
    grace = timedelta(seconds=policy.reassign_after_absent_seconds or 0)
    if away is not None:
        reason, since = away
        reopened = held.reopened_at
        # gone already when reopened (``since`` is never before the assignment)
        if policy.reassign_on_reopen and reopened is not None and since <= reopened:
            timers.append(Timer(held.conversation_id, ReassignReason.REOPENED, since + grace))
        if policy.reassign_after_absent_seconds is not None and not (
            policy.reassign_only_unreplied and held.replied
        ):
            timers.append(Timer(held.conversation_id, reason, since + grace))
    after = policy.reassign_unanswered_after_seconds
    if (
        after is not None
        and held.waiting_since is not None
        and held.reassignments < policy.max_reassignments
    ):
        fires = max(held.waiting_since, held.assigned_at) + timedelta(seconds=after)
        timers.append(Timer(held.conversation_id, ReassignReason.UNANSWERED, fires))
    # the first to fire wins; on a tie, the order above (reopened, gone, unanswered)
    return min(timers, key=lambda t: t.fires_at, default=None)


def _heartbeat_check(held: Held, policy: AssignmentPolicy, now: datetime) -> datetime | None:
    """An auto-offline assignee still present: when the inbox must look again if no
    heartbeat comes (no event tells the engine that a heartbeat lapsed)."""
    if policy.reassign_after_absent_seconds is None or held.heartbeat_ends is None:
        return None
    if held.heartbeat_ends <= now:
        return None
    return held.heartbeat_ends + timedelta(seconds=policy.reassign_after_absent_seconds)


def due(held: Sequence[Held], policy: AssignmentPolicy, now: datetime) -> Due:
    """The releases due now, in conversation order, and the inbox's next wake-up."""
    releases: list[Release] = []
    later: list[datetime] = []
    for h in sorted(held, key=lambda h: h.conversation_id):
        fired = timer(h, policy, now)
        if fired is not None and fired.fires_at <= now:
            releases.append(Release(h, fired.reason))
            continue
        if fired is not None:
            later.append(fired.fires_at)
        if (check := _heartbeat_check(h, policy, now)) is not None:
            later.append(check)
    return Due(tuple(releases), min(later, default=None))
