"""assign_inbox: one batch for one inbox, in a constant number of round trips.

Order of writes: window entries are reserved in the state store *before* the SQL claim
commits, and released for claims that were lost. A crash in between leaves the window
over-counted (conservative) but never under-counted, so no limit is ever broken.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from autoassign.core import errors, reassignment
from autoassign.core.eligibility import AgentState
from autoassign.core.events import ConversationAssigned
from autoassign.core.model import Conversation, Presence
from autoassign.core.planner import (
    AssignmentPlan,
    InboxSnapshot,
    RunnableInbox,
    inbox_gate,
    plan_batch,
)
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.ports import (
    HELD_LIMIT,
    AssignmentStore,
    Clock,
    EventSink,
    History,
    InboxBatch,
    InboxState,
    Member,
    WindowAndPresenceStore,
    WindowEntry,
)
from autoassign.core.reasons import AgentReason, OutcomeKind, ReassignReason, SkipReason
from autoassign.core.schedules import back_on_duty
from autoassign.core.windows import (
    frees_at,
    in_window,
    to_ms,
    window_cutoff_ms,
    window_start,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one candidate conversation."""

    conversation_id: int
    #: the new assignee, or None
    agent_id: int | None
    #: ASSIGNED, or the skip reason (LOST_RACE when the claim found the row changed)
    result: OutcomeKind
    detail: str = ""
    #: for skips: why each member was passed over
    agents: Mapping[int, AgentReason] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchResult:
    inbox_id: int
    #: set when the whole inbox was skipped
    skipped: SkipReason | None = None
    outcomes: tuple[Outcome, ...] = ()
    #: members filtered out before any conversation (offline, busy, expired presence)
    agent_filters: Mapping[int, AgentReason] = field(default_factory=dict)
    duration_ms: float = 0.0
    #: every online member is at a limit: another batch now would assign nothing
    exhausted: bool = False
    #: work waits only on time: the inbox must run again at this moment
    wake_at: datetime | None = None

    @property
    def assigned(self) -> int:
        return sum(1 for o in self.outcomes if o.result is OutcomeKind.ASSIGNED)

    @property
    def unassigned(self) -> int:
        return len(self.outcomes) - self.assigned

    @property
    def considered(self) -> int:
        return len(self.outcomes)

    @property
    def skip_reasons(self) -> list[SkipReason]:
        """One reason per conversation left unassigned, or the inbox's one when the whole
        run was skipped: what the skip metrics count."""
        reasons = [r for o in self.outcomes if (r := o.result.skip_reason) is not None]
        if self.skipped is not None:
            reasons.append(self.skipped)
        return reasons


def validate_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise errors.InvalidLimit(
            f"limit must be a positive integer (got {limit!r})", field="limit"
        )
    return limit


async def assign_inbox(
    inbox_id: int,
    *,
    store: AssignmentStore,
    state: WindowAndPresenceStore,
    clock: Clock,
    sink: EventSink,
    limit: int = 100,
) -> BatchResult:
    """Assign up to ``limit`` waiting conversations of one inbox."""
    limit = validate_limit(limit)
    started = time.perf_counter()
    reserved: list[WindowEntry] = []
    lost: list[WindowEntry] = []
    try:
        async with store.inbox_batch(inbox_id) as batch:
            # the clock is read only once the inbox lock is held: batches of one inbox
            # then see increasing times, so none counts a window a later one has moved on
            now = clock.now()
            settings = await batch.settings()
            runnable = inbox_gate(
                settings.inbox, settings.policy, settings.capacity_exclusions, now
            )
            if isinstance(runnable, SkipReason):  # closed: run again when it opens
                opens = back_on_duty(settings.inbox.business_hours, now)
                return BatchResult(inbox_id, skipped=runnable, wake_at=opens)
            policy = runnable.policy
            timers = await due_releases(batch, state, policy, now)
            # the gone return to the queue whatever happens next; the unanswered only
            # when the plan finds them another agent (they stay with theirs meanwhile)
            gone = [r for r in timers.releases if r.reason is not ReassignReason.UNANSWERED]
            offered = [r for r in timers.releases if r.reason is ReassignReason.UNANSWERED]
            if gone:
                await batch.release(gone, now)
            candidates = [r.candidate() for r in offered] + await batch.candidates(
                runnable.rules, policy.conversation_priority, limit, now
            )
            if not candidates:
                return BatchResult(inbox_id, duration_ms=_ms_since(started), wake_at=timers.wake_at)
            snapshot = await load_snapshot(batch, state, runnable, candidates, now, rebuild=True)
            plan = _with_wake(plan_batch(snapshot, now), timers.wake_at)
            planned = {p.conversation_id for p in plan.assignments}
            taken = [r for r in offered if r.held.conversation_id in planned]
            if taken:  # a release lost to a reply makes its claim a lost race
                await batch.release(taken, now)
            reserved = [WindowEntry(p.agent_id, p.conversation_id) for p in plan.assignments]
            await state.record(
                inbox_id, reserved, plan.rotation, policy.fair_distribution_window, now
            )
            claimed = await batch.claim(plan.assignments, policy.id, now)
            lost = [e for e in reserved if e.conversation_id not in claimed]
            events = _events(runnable.inbox.account_id, policy.id, plan, claimed, now)
            await batch.record_events(events)  # the webhook outbox: commits with the claim
    except BaseException:
        if reserved:
            with contextlib.suppress(errors.StateStoreUnavailable):
                await state.forget(inbox_id, reserved)
        raise
    if lost:
        with contextlib.suppress(errors.StateStoreUnavailable):
            await state.forget(inbox_id, lost)  # over-counting until expiry is safe
    result = _result(plan, claimed, _ms_since(started))
    await _publish(sink, events, inbox_id)
    return result


async def due_releases(
    batch: InboxBatch,
    state: WindowAndPresenceStore,
    policy: AssignmentPolicy,
    now: datetime,
    conversation_id: int | None = None,
) -> reassignment.Due:
    """The reassignment timers of the inbox's held conversations (core/reassignment.py):
    which fired, and when the next one fires. Costs nothing when no rule is on."""
    if not policy.reassigns:
        return reassignment.Due()
    held = await batch.held(policy, conversation_id)
    heartbeat_ids = sorted({h.agent_id for h in held if h.auto_offline})
    if heartbeat_ids:
        ends = await state.presence_ends(held[0].account_id, heartbeat_ids)
        held = [
            replace(h, heartbeat_ends=ends.get(h.agent_id)) if h.auto_offline else h for h in held
        ]
    found = reassignment.due(held, policy, now)
    if len(held) >= HELD_LIMIT:  # more wait behind these: look again at once
        return replace(found, wake_at=now)
    return found


async def _with_preferences(
    batch: InboxBatch,
    policy: AssignmentPolicy,
    candidates: Sequence[Conversation],
    now: datetime,
) -> Sequence[Conversation]:
    """The sticky rule's memory: a conversation without an explicit preferred agent
    prefers its contact's latest assignee in the inbox within ``sticky_days``."""
    if policy.sticky_days is None:
        return candidates
    contacts = {c.contact_id for c in candidates if c.contact_id and not c.preferred_agent_id}
    if not contacts:
        return candidates
    since = now - timedelta(days=policy.sticky_days)
    known = await batch.previous_agents({c for c in contacts if c is not None}, since)
    return [
        replace(c, preferred_agent_id=known.get(c.contact_id))
        if c.contact_id in known and not c.preferred_agent_id
        else c
        for c in candidates
    ]


def _with_wake(plan: AssignmentPlan, wake_at: datetime | None) -> AssignmentPlan:
    """The plan's wake-up, or the timers' when that is earlier."""
    if wake_at is None or (plan.wake_at is not None and plan.wake_at <= wake_at):
        return plan
    return replace(plan, wake_at=wake_at)


async def load_snapshot(
    batch: InboxBatch,
    state: WindowAndPresenceStore,
    runnable: RunnableInbox,
    candidates: Sequence[Conversation],
    now: datetime,
    *,
    rebuild: bool,
) -> InboxSnapshot:
    """Everything the planner needs about the inbox's members and the candidates' teams.

    ``rebuild``: a batch (holding the inbox lock) rebuilds a lost state in the store; a
    dry run (explain, no lock) must not write it, or it could erase the entries of a
    batch running meanwhile, so it counts from the recorded assignments instead."""
    members = await batch.members(lock=rebuild)
    candidates = await _with_preferences(batch, runnable.policy, candidates, now)
    agents = await _agent_states(
        batch, state, runnable.inbox.id, members, runnable.policy, now, rebuild=rebuild
    )
    return InboxSnapshot(
        runnable=runnable,
        candidates=candidates,
        agents=agents,
        teams=await batch.teams(
            {
                t
                for t in (*(c.team_id for c in candidates), runnable.policy.overflow_team_id)
                if t is not None
            }
        ),
    )


async def _agent_states(
    batch: InboxBatch,
    state: WindowAndPresenceStore,
    inbox_id: int,
    members: Sequence[Member],
    policy: AssignmentPolicy,
    now: datetime,
    *,
    rebuild: bool,
) -> list[AgentState]:
    """Members with window counts, rotation and heartbeat presence from the state store,
    and the recorded assignments when the store lost the inbox's state."""
    if not members:
        return []
    window = policy.fair_distribution_window
    ids = [m.agent.agent_id for m in members]
    loaded = await state.load_inbox(inbox_id, ids, window, now)
    if not loaded.hydrated:
        history = await batch.history(window_start(now, window))
        if rebuild:
            await state.hydrate(inbox_id, ids, history, window, now)
            loaded = await state.load_inbox(inbox_id, ids, window, now)
        else:
            loaded = state_from_history(history, ids, window, now)
    heartbeat_ids = [
        m.agent.agent_id for m in members if m.auto_offline and m.agent.presence is Presence.ONLINE
    ]
    present = (
        await state.present(members[0].account_id, heartbeat_ids, now) if heartbeat_ids else set()
    )
    return [
        replace(
            m.agent,
            window_count=loaded.window_counts.get(m.agent.agent_id, 0),
            rotation_seq=loaded.rotation.get(m.agent.agent_id, 0),
            presence_expired=m.agent.agent_id in heartbeat_ids and m.agent.agent_id not in present,
            window_frees_at=frees_at(oldest, window)
            if (oldest := loaded.oldest_ms.get(m.agent.agent_id)) is not None
            else None,
        )
        for m in members
    ]


def _result(plan: AssignmentPlan, claimed: set[int], duration_ms: float) -> BatchResult:
    """The plan as it turned out: a planned assignment whose claim was lost is a skip."""
    outcomes: list[Outcome] = []
    for planned in plan.assignments:
        if planned.conversation_id in claimed:
            outcomes.append(
                Outcome(
                    planned.conversation_id,
                    planned.agent_id,
                    OutcomeKind.ASSIGNED,
                    planned.reason,
                )
            )
        else:
            outcomes.append(
                Outcome(
                    planned.conversation_id,
                    None,
                    OutcomeKind.LOST_RACE,
                    "changed by another writer before the claim",
                )
            )
    outcomes.extend(
        Outcome(s.conversation_id, None, OutcomeKind.skipped(s.reason), "", dict(s.agents))
        for s in plan.skips
    )
    outcomes.sort(key=lambda o: o.conversation_id)
    return BatchResult(
        plan.inbox_id,
        outcomes=tuple(outcomes),
        agent_filters=dict(plan.agent_filters),
        duration_ms=duration_ms,
        exhausted=plan.exhausted,
        wake_at=plan.wake_at,
    )


def _events(
    account_id: int,
    policy_id: int | None,
    plan: AssignmentPlan,
    claimed: set[int],
    now: datetime,
) -> list[ConversationAssigned]:
    """One event per assignment won, in conversation order."""
    return [
        ConversationAssigned(
            account_id=account_id,
            inbox_id=plan.inbox_id,
            conversation_id=p.conversation_id,
            agent_id=p.agent_id,
            policy_id=policy_id,
            assigned_at=now,
            reason=p.reason,
            previous_agent_id=p.previous_agent_id,
            reassign_reason=p.reassign_reason.value if p.reassign_reason else None,
        )
        for p in sorted(plan.assignments, key=lambda p: p.conversation_id)
        if p.conversation_id in claimed
    ]


async def _publish(sink: EventSink, events: Sequence[ConversationAssigned], inbox_id: int) -> None:
    """Announce the committed assignments (logs, embedding code); webhooks are not
    told here but through the outbox the batch wrote. A sink failure is logged."""
    if not events:
        return
    try:
        await sink.publish(events)
    except Exception:  # the assignments are committed; a sink failure must not undo them
        logger.exception("event sink failed", extra={"action": "publish", "inbox_id": inbox_id})


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def state_from_history(
    history: History, agent_ids: Sequence[int], window_seconds: int, now: datetime
) -> InboxState:
    """What a store would hold after rebuilding from ``history``, computed without writing
    it (for dry runs that must not touch the store)."""
    cutoff = window_cutoff_ms(now, window_seconds)
    windows: dict[int, list[int]] = {a: [] for a in agent_ids}
    for entry in history.window_entries:
        at = to_ms(entry.assigned_at)
        if entry.agent_id in windows and in_window(at, cutoff):
            windows[entry.agent_id].append(at)
    return InboxState(
        hydrated=True,
        window_counts={a: len(w) for a, w in windows.items()},
        rotation={a: history.rotation.get(a, 0) for a in agent_ids},
        oldest_ms={a: min(w) for a, w in windows.items() if w},
    )
