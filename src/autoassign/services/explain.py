"""Why a conversation is assigned to whom, or why it is not (yet)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from autoassign.core import reassignment
from autoassign.core.eligibility import conversation_exclusion
from autoassign.core.model import Conversation
from autoassign.core.planner import inbox_gate, plan_batch
from autoassign.core.ports import (
    AssignmentRecord,
    AssignmentStore,
    Clock,
    InboxBatch,
    WindowAndPresenceStore,
)
from autoassign.core.reasons import AgentReason, OutcomeKind, SkipReason
from autoassign.core.reassignment import Timer
from autoassign.core.schedules import back_on_duty
from autoassign.services.assign import load_snapshot

#: reasons whose agents come back by themselves (a shift starting, a leave ending)
OFF_DUTY = (AgentReason.OUTSIDE_WORKING_HOURS, AgentReason.ON_LEAVE)


@dataclass(frozen=True, slots=True)
class Explanation:
    conversation_id: int
    inbox_id: int
    assignee_id: int | None
    #: ASSIGNED (``assignment`` says by whom and why), WOULD_ASSIGN (the next run of the
    #: inbox assigns it to ``next_agent_id``), or the reason it is not assigned
    result: OutcomeKind
    #: how the current assignee got it, when the engine or a person recorded it
    assignment: AssignmentRecord | None = None
    #: who the next run would pick, when nothing blocks the conversation
    next_agent_id: int | None = None
    #: why each member was passed over (offline, busy, not in team, rate limited, full)
    agents: Mapping[int, AgentReason] = field(default_factory=dict)
    #: for members held back by the fair-distribution window: when it frees
    agents_until: Mapping[int, datetime] = field(default_factory=dict)
    #: when time alone lets the conversation through (its inbox is woken then); None
    #: when only an event can (an agent online, capacity freed)
    waits_until: datetime | None = None
    #: an assigned conversation: the reassignment rule running on it and when it fires
    #: (core/reassignment.py); None when no rule applies
    timer: Timer | None = None


async def explain_conversation(
    conversation: Conversation,
    *,
    store: AssignmentStore,
    state: WindowAndPresenceStore,
    clock: Clock,
) -> Explanation:
    """A dry run of the planner for one conversation: reads only, changes nothing."""
    now = clock.now()

    def explained(
        result: OutcomeKind,
        *,
        assignment: AssignmentRecord | None = None,
        next_agent_id: int | None = None,
        agents: Mapping[int, AgentReason] | None = None,
        agents_until: Mapping[int, datetime] | None = None,
        waits_until: datetime | None = None,
        timer: Timer | None = None,
    ) -> Explanation:
        return Explanation(
            conversation_id=conversation.id,
            inbox_id=conversation.inbox_id,
            assignee_id=conversation.assignee_id,
            result=result,
            assignment=assignment,
            next_agent_id=next_agent_id,
            agents=dict(agents or {}),
            agents_until=dict(agents_until or {}),
            waits_until=waits_until,
            timer=timer,
        )

    async with store.inbox_view(conversation.inbox_id) as view:
        if conversation.assignee_id is not None:
            record = await view.last_assignment(conversation.id)
            if record is not None and record.agent_id != conversation.assignee_id:
                record = None  # reassigned outside autoassign since
            return explained(
                OutcomeKind.ASSIGNED,
                assignment=record,
                timer=await _timer(view, state, conversation, now),
            )
        settings = await view.settings()
        runnable = inbox_gate(settings.inbox, settings.policy, settings.capacity_exclusions, now)
        if isinstance(runnable, SkipReason):
            opens = back_on_duty(settings.inbox.business_hours, now)
            return explained(OutcomeKind.skipped(runnable), waits_until=opens)
        excluded = conversation_exclusion(conversation, runnable.rules, now)
        if excluded is not None:
            return explained(OutcomeKind.skipped(excluded))
        snapshot = await load_snapshot(view, state, runnable, [conversation], now, rebuild=False)
    plan = plan_batch(snapshot, now)
    if plan.assignments:
        return explained(
            OutcomeKind.WOULD_ASSIGN,
            next_agent_id=plan.assignments[0].agent_id,
            agents=plan.agent_filters,
        )
    skip = plan.skips[0]
    until = {
        a.agent_id: a.window_frees_at
        for a in snapshot.agents
        if skip.agents.get(a.agent_id) is AgentReason.RATE_LIMITED and a.window_frees_at
    }
    until |= {  # off duty: back when a shift starts or the leave ends
        a.agent_id: back
        for a in snapshot.agents
        if skip.agents.get(a.agent_id) in OFF_DUTY and (back := back_on_duty(a.duty, now))
    }
    return explained(
        OutcomeKind.skipped(skip.reason),
        agents=skip.agents,
        agents_until=until,
        waits_until=plan.wake_at,
    )


async def _timer(
    view: InboxBatch, state: WindowAndPresenceStore, conversation: Conversation, now: datetime
) -> Timer | None:
    """The reassignment timer on an assigned conversation, as the next batch sees it."""
    settings = await view.settings()
    policy = settings.policy
    if policy is None or not policy.enabled or not settings.inbox.enable_auto_assignment:
        return None
    found = await view.held(policy, conversation.id)
    if not found:
        return None
    held = found[0]
    if held.auto_offline:
        ends = await state.presence_ends(held.account_id, [held.agent_id])
        held = replace(held, heartbeat_ends=ends.get(held.agent_id))
    return reassignment.timer(held, policy, now)


__all__ = ["Explanation", "explain_conversation"]
