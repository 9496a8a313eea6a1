"""Who else, or whom first: the routing refinements a batch applies per conversation
(docs/routing.md), as pure functions of the policy, the clock and the batch's members.

- ``widened``: overflow. A team conversation waiting ``overflow_after_seconds`` since it
  was created may also go to the overflow team's members, or to every member.
- ``preferred``: sticky and preferred agents. The conversation's preferred agent gets it
  when they can; online but at a limit, it is held for them until
  ``preferred_hold_seconds`` after it was created; otherwise anyone may take it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from autoassign.core import eligibility
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Conversation, Team
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.reasons import AgentReason

#: what a preferred agent may be held back by and still be waited for (the hold)
LIMITS = frozenset(
    {AgentReason.RATE_LIMITED, AgentReason.AT_CAPACITY, AgentReason.AT_TOTAL_CAPACITY}
)


def widened(
    policy: AssignmentPolicy,
    now: datetime,
    team: Team | None,
    conversation: Conversation,
    teams: Mapping[int, Team],
) -> tuple[Team | None, datetime | None]:
    """The members a team conversation may go to (a team; None: every member), and
    before it overflows, when it will (a wake-up if it is skipped)."""
    after = policy.overflow_after_seconds
    if team is None or after is None:
        return team, None
    overflows_at = conversation.created_at + timedelta(seconds=after)
    if now < overflows_at:
        return team, overflows_at
    if policy.overflow_team_id is None:
        return None, None
    overflow = teams.get(policy.overflow_team_id)
    members = team.member_ids | (overflow.member_ids if overflow is not None else frozenset())
    return replace(team, id=-team.id, member_ids=members), None  # its own cache key


def preferred(
    policy: AssignmentPolicy,
    now: datetime,
    rate_limit: int,
    online: Sequence[AgentState],
    conversation: Conversation,
    team: Team | None,
    barred: int | None,
) -> tuple[AgentState | datetime | None, datetime | None]:
    """The preferred agent when online and under every limit; the end of the hold when
    they are online but at a limit (with when their window frees, if sooner: a
    wake-up); None when anyone may take it (no preference, the agent is away or not
    allowed, or the hold is over). Never the agent it went unanswered with."""
    wanted = conversation.preferred_agent_id
    if wanted is None or wanted == barred:
        return None, None
    agent = next((a for a in online if a.agent_id == wanted), None)
    if agent is None:
        return None, None
    why = eligibility.agent_rejection(agent, team, rate_limit)
    if why is None:
        return agent, None
    hold_until = conversation.created_at + timedelta(seconds=policy.preferred_hold_seconds)
    if why not in LIMITS or now >= hold_until:
        return None, None
    frees = eligibility.frees_by_time(agent, rate_limit)
    return hold_until, frees if frees is not None and frees < hold_until else None
