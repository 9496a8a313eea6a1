"""Plan one batch for one inbox: who gets which conversation, and why the rest do not.

The planner is the whole decision; the service around it only loads a snapshot, writes
the claims and records the result. Loads, window counts and rotation are updated in
memory as decisions are made, so one batch never overshoots a limit by itself.

The steps, in the order a batch meets them: ``inbox_gate`` (does the inbox run at all,
and under which exclusion rules; the services call it before loading anything),
``_presence_filter`` (who is online), then one decision per conversation in
``plan_batch``: ``_Batch.take`` an agent, or skip it with ``_skip_reasons``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from autoassign.core import eligibility, routing, skills
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Conversation, Inbox, Team
from autoassign.core.policies import AssignmentPolicy, ExclusionRules, combine_exclusions
from autoassign.core.reasons import AgentReason, ReassignReason, SkipReason
from autoassign.core.schedules import back_on_duty, off_duty
from autoassign.core.selectors import Selector, selector_for
from autoassign.core.windows import frees_at, to_ms


@dataclass(frozen=True, slots=True)
class RunnableInbox:
    """An inbox that passed ``inbox_gate``: its enabled policy and the rules in force.

    Build it through ``inbox_gate`` only; everything downstream (the candidate query,
    the snapshot, the planner) takes one and so never checks the gate again.
    """

    inbox: Inbox
    policy: AssignmentPolicy
    #: the policy's age limit merged with the capacity policies' label and age rules
    rules: ExclusionRules


def inbox_gate(
    inbox: Inbox,
    policy: AssignmentPolicy | None,
    capacity_exclusions: ExclusionRules,
    now: datetime | None = None,
) -> RunnableInbox | SkipReason:
    """Whether the inbox runs at all (auto-assignment on, an enabled policy linked, open
    at ``now`` by its business hours), and if so under which exclusion rules. The one
    prelude of every batch and explanation."""
    if not inbox.enable_auto_assignment:
        return SkipReason.INBOX_DISABLED
    if policy is None:
        return SkipReason.NO_POLICY
    if not policy.enabled:
        return SkipReason.POLICY_DISABLED
    if now is not None and off_duty(inbox.business_hours, now) is not None:
        return SkipReason.OUTSIDE_BUSINESS_HOURS
    age = ExclusionRules(frozenset(), policy.exclude_older_than_hours)
    return RunnableInbox(inbox, policy, combine_exclusions([capacity_exclusions, age]))


@dataclass(frozen=True, slots=True)
class InboxSnapshot:
    """Everything the planner needs, loaded in a constant number of round trips."""

    runnable: RunnableInbox
    #: open, unassigned candidates in policy order
    candidates: Sequence[Conversation]
    #: every member of the inbox
    agents: Sequence[AgentState]
    #: teams referenced by the candidates
    teams: Mapping[int, Team] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedAssignment:
    conversation_id: int
    agent_id: int
    #: the team the conversation had when planned; the claim re-checks it
    team_id: int | None
    selector: str
    #: human-readable why, recorded with the assignment
    reason: str
    #: a reassignment: whom the engine took it from, and why (core/reassignment.py)
    previous_agent_id: int | None = None
    reassign_reason: ReassignReason | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A conversation left unassigned, with the reason for each member passed over."""

    conversation_id: int
    reason: SkipReason
    agents: Mapping[int, AgentReason] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    inbox_id: int
    assignments: tuple[PlannedAssignment, ...] = ()
    skips: tuple[Skip, ...] = ()
    #: members filtered out before any conversation (offline, busy, expired presence)
    agent_filters: Mapping[int, AgentReason] = field(default_factory=dict)
    #: new rotation sequence numbers of the agents that received work
    rotation: Mapping[int, int] = field(default_factory=dict)
    #: no online member can take another conversation now (all at a limit, or none
    #: online): a further batch would assign nothing until something changes
    exhausted: bool = False
    #: work is left waiting only on time: run the inbox again at this moment (the
    #: earliest a rate-limited member's window frees); None when no clock can help
    wake_at: datetime | None = None


def plan_batch(snapshot: InboxSnapshot, now: datetime) -> AssignmentPlan:
    """Decide the batch. Never assigns to an ineligible agent or past a limit.

    Each conversation meets the rules in a fixed order, and the first it fails is its
    skip reason: its own exclusions and team (``eligibility``), then someone online,
    then someone online under every limit; otherwise the selector picks among those.
    """
    runnable = snapshot.runnable
    batch = _Batch.start(runnable.policy, snapshot.agents, now)
    teams = dict(snapshot.teams)
    for conversation in snapshot.candidates:
        skip = eligibility.conversation_exclusion(
            conversation, runnable.rules, now
        ) or eligibility.team_rule(conversation, teams)
        if skip is not None:
            batch.skips.append(Skip(conversation.id, skip))
        elif not batch.online:
            batch.skips.append(
                Skip(conversation.id, SkipReason.NO_AGENT_ONLINE, dict(batch.filters))
            )
        else:
            team = teams.get(conversation.team_id) if conversation.team_id is not None else None
            team, overflows_at = routing.widened(runnable.policy, now, team, conversation, teams)
            barred = eligibility.barred_agent(conversation)
            eligible = batch.eligible(team, barred)
            needs = _requirements(runnable, conversation, now)
            if needs:
                eligible = _skilled(eligible, needs)
            preferred, frees = routing.preferred(
                runnable.policy, now, batch.limit, batch.online, conversation, team, barred
            )
            if isinstance(preferred, AgentState) and preferred in eligible:
                batch.take(preferred, conversation, len(eligible), "preferred agent")
            elif isinstance(preferred, datetime):  # held for the preferred agent until then
                batch.time_wakes.extend(t for t in (preferred, frees) if t is not None)
                held = batch.skip_reasons(team)
                batch.skips.append(Skip(conversation.id, SkipReason.HELD_FOR_PREFERRED_AGENT, held))
            elif eligible:
                batch.take(batch.selector.choose(eligible), conversation, len(eligible))
            else:
                if overflows_at is not None:  # time alone will widen it
                    batch.time_wakes.append(overflows_at)
                reasons = batch.skip_reasons(team)
                if needs:  # who lacks a skill, and when the ladder lowers them
                    reasons = {**reasons, **_unskilled(batch.online, needs, reasons)}
                    step = skills.next_step(
                        runnable.policy.skill_relaxation, conversation.created_at, now
                    )
                    if step is not None:
                        batch.time_wakes.append(step)
                if barred is not None:
                    barring = {
                        a.agent_id: why
                        for a in batch.online
                        if (why := eligibility.previous_assignee_rule(a, barred))
                    }
                    reasons = {**reasons, **barring}
                batch.skips.append(Skip(conversation.id, SkipReason.NO_ELIGIBLE_AGENT, reasons))
    return batch.plan(runnable.inbox.id)


def _requirements(
    runnable: RunnableInbox, conversation: Conversation, now: datetime
) -> dict[str, int]:
    """The skills the conversation requires now (its own and its labels', relaxed by the
    ladder for the time it has waited)."""
    if not conversation.required_skills and not runnable.inbox.skill_labels:
        return {}
    needs = skills.required(
        conversation.required_skills, conversation.labels, runnable.inbox.skill_labels
    )
    ladder = runnable.policy.skill_relaxation
    return skills.relaxed(needs, ladder, conversation.created_at, now) if needs else needs


def _skilled(eligible: Sequence[AgentState], needs: dict[str, int]) -> list[AgentState]:
    """Those meeting every requirement, the most proficient only."""
    scored = [
        (skills.proficiency(a.skills, needs), a) for a in eligible if skills.meets(a.skills, needs)
    ]
    top = max((score for score, _ in scored), default=0)
    return [a for score, a in scored if score == top]


def _unskilled(
    online: Sequence[AgentState], needs: dict[str, int], known: Mapping[int, AgentReason]
) -> dict[int, AgentReason]:
    return {
        a.agent_id: why
        for a in online
        if a.agent_id not in known and (why := eligibility.skill_rule(a, needs))
    }


def _presence_filter(
    agents: Sequence[AgentState], now: datetime
) -> tuple[list[AgentState], dict[int, AgentReason]]:
    """The online members, in member order, and why each other member is out.

    Presence cannot change within a batch, so it is judged once per member rather than
    once per conversation; the reasons head every skip's per-agent reasons.
    """
    online: list[AgentState] = []
    filters: dict[int, AgentReason] = {}
    for agent in agents:
        reason = eligibility.presence_rule(agent, now)
        if reason is None:
            online.append(agent)
        else:
            filters[agent.agent_id] = reason
    return online, filters


def _skip_reasons(
    online: Sequence[AgentState],
    team: Team | None,
    limit: int,
    filters: Mapping[int, AgentReason],
) -> dict[int, AgentReason]:
    """Why each member was passed over for a conversation of ``team`` that nobody took.

    Worked out only for conversations that end up skipped: assignments go through the
    pool and never pay for a rule check per agent.
    """
    reasons = dict(filters)
    for agent in online:
        why = eligibility.agent_rejection(agent, team, limit)
        if why is not None:
            reasons[agent.agent_id] = why
    return reasons


@dataclass(slots=True)
class _Batch:
    """The planner's running state: who can still take work, and what was decided.

    Two caches keep batches of hundreds of conversations cheap (``docs/benchmarks.md``
    was measured with them): the ``pool`` of agents under every limit, so a conversation
    without a team costs one selector call rather than a rule check per agent; and the
    per-team ``rejections`` of the last skips, valid until the next assignment changes
    a load.
    """

    selector: Selector
    policy: AssignmentPolicy
    now: datetime
    #: the policy's fair-distribution limit
    limit: int
    #: when an entry recorded by this batch leaves the window
    entry_frees_at: datetime
    #: how many members the inbox has, for the recorded reason
    members: int
    online: list[AgentState]
    filters: dict[int, AgentReason]
    #: online members under both limits, in member order; a member leaves it when an
    #: assignment takes them to a limit, and never comes back within the batch
    pool: list[AgentState]
    #: the rotation number the next assignment gets (larger = more recent)
    next_seq: int
    assignments: list[PlannedAssignment] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    rotation: dict[int, int] = field(default_factory=dict)
    #: team id (None: no team) → reasons of a skip, valid until the next assignment
    rejections: dict[int | None, dict[int, AgentReason]] = field(default_factory=dict)
    #: moments time alone lets a skipped conversation through: its overflow
    #: (``widened``), the end of its hold for a preferred agent (``preferred``)
    time_wakes: list[datetime] = field(default_factory=list)
    #: members online but off duty now (their return is a wake-up)
    off_duty: list[AgentState] = field(default_factory=list)

    @classmethod
    def start(cls, policy: AssignmentPolicy, agents: Sequence[AgentState], now: datetime) -> _Batch:
        """Copy the members (the plan mutates loads, the snapshot stays as loaded) and
        sort them once into online and filtered out."""
        members = [replace(a) for a in agents]
        online, filters = _presence_filter(members, now)
        limit = policy.fair_distribution_limit
        return cls(
            selector=selector_for(policy.assignment_order),
            policy=policy,
            now=now,
            limit=limit,
            entry_frees_at=frees_at(to_ms(now), policy.fair_distribution_window),
            members=len(members),
            online=online,
            filters=filters,
            pool=[a for a in online if eligibility.agent_rejection(a, None, limit) is None],
            off_duty=[
                a
                for a in members
                if a.agent_id in filters
                and filters[a.agent_id] in (AgentReason.OUTSIDE_WORKING_HOURS, AgentReason.ON_LEAVE)
            ],
            next_seq=max((a.rotation_seq for a in members), default=0) + 1,
        )

    def eligible(self, team: Team | None, barred: int | None = None) -> list[AgentState]:
        """Who may take a conversation of ``team`` now: the pool, or its team members;
        never the ``barred`` agent (it went unanswered with them)."""
        if team is None and barred is None:
            return self.pool
        return [
            a
            for a in self.pool
            if (team is None or a.agent_id in team.member_ids)
            and eligibility.previous_assignee_rule(a, barred) is None
        ]

    def skip_reasons(self, team: Team | None) -> dict[int, AgentReason]:
        """``_skip_reasons`` for ``team``, computed once per team between assignments:
        nothing a skip does changes them."""
        key = None if team is None else team.id
        reasons = self.rejections.get(key)
        if reasons is None:
            reasons = self.rejections[key] = _skip_reasons(
                self.online, team, self.limit, self.filters
            )
        return reasons

    def take(
        self,
        chosen: AgentState,
        conversation: Conversation,
        considered: int,
        why: str | None = None,
    ) -> None:
        """Give ``conversation`` to ``chosen`` and count it at once.

        The next decision sees the new load, window count and rotation, which is what
        keeps one batch from overshooting a limit; an agent who reached a limit leaves
        the pool; and the cached skip reasons are dropped, as a load has changed.
        """
        self.rejections.clear()
        chosen.open_load += 1
        chosen.total_load += 1
        chosen.window_count += 1
        if chosen.window_frees_at is None:  # this entry is the oldest of its window
            chosen.window_frees_at = self.entry_frees_at
        chosen.rotation_seq = self.next_seq
        self.rotation[chosen.agent_id] = self.next_seq
        self.next_seq += 1
        if eligibility.agent_rejection(chosen, None, self.limit) is not None:
            self.pool.remove(chosen)
        name = self.selector.name
        self.assignments.append(
            PlannedAssignment(
                conversation_id=conversation.id,
                agent_id=chosen.agent_id,
                team_id=conversation.team_id,
                selector=name,
                reason=why or f"{name} among {considered} eligible of {self.members} members",
                previous_agent_id=conversation.previous_assignee_id,
                reassign_reason=conversation.reassign_reason,
            )
        )

    def wake_at(self) -> datetime | None:
        """The next moment the clock alone lets waiting work through, or None.

        Only when work is left waiting (a conversation found nobody eligible, or every
        online member is at a limit, so a full batch may have left more behind): then
        the earliest time a member held back only by the fair-distribution window is
        free again. Events (capacity freed, someone online) trigger runs themselves.
        """
        times: list[datetime] = []
        if self.skips:  # overflows, holds, ladder steps; a member coming on duty
            times += self.time_wakes
            times += [t for a in self.off_duty if (t := back_on_duty(a.duty, self.now))]
        waiting = not self.pool or any(s.reason is SkipReason.NO_ELIGIBLE_AGENT for s in self.skips)
        if waiting:  # a window freeing
            times += [t for a in self.online if (t := eligibility.frees_by_time(a, self.limit))]
        return min(times, default=None)

    def plan(self, inbox_id: int) -> AssignmentPlan:
        return AssignmentPlan(
            inbox_id,
            assignments=tuple(self.assignments),
            skips=tuple(self.skips),
            agent_filters=self.filters,
            rotation=self.rotation,
            exhausted=not self.pool,
            wake_at=self.wake_at(),
        )
