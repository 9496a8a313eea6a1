"""SqlAssignmentStore: the engine's reads and its guarded claim, one batch per transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql import members, reassign, rows
from autoassign.adapters.sql.claim import ClaimTarget, claim_and_record
from autoassign.adapters.sql.engine import wrap_errors
from autoassign.adapters.sql.repositories.deliveries import queue_events
from autoassign.adapters.sql.tables import (
    assignment_policies,
    assignments,
    capacity_policies,
    conversation_labels,
    conversations,
    inbox_assignment_policies,
    inbox_capacity_limits,
    inboxes,
    run_requests,
    team_members,
    teams,
)
from autoassign.core import errors
from autoassign.core.events import Event
from autoassign.core.model import Conversation, Priority, Status, Team
from autoassign.core.planner import PlannedAssignment
from autoassign.core.policies import (
    AssignmentPolicy,
    ConversationPriority,
    ExclusionRules,
    combine_exclusions,
)
from autoassign.core.ports import (
    AssignmentRecord,
    History,
    InboxSettings,
    Member,
    RecordedAssignment,
)
from autoassign.core.reasons import ReassignReason
from autoassign.core.reassignment import Held, Release
from autoassign.core.selectors import MANUAL

_POLICY_COLUMNS = [col.label(f"p_{col.name}") for col in assignment_policies.c]


def _ordered(query: sa.Select[Any], priority: ConversationPriority) -> list[sa.Select[Any]]:
    """The candidate query in the policy's order (``ConversationPriority.sort_key`` says
    the same in Python) as parts read one after the other, each on its partial index:
    one part, or for ``sla_due`` two (those with a due time, then the others in the
    priority order)."""
    c = conversations.c
    if priority is ConversationPriority.LONGEST_WAITING:
        return [query.order_by(c.last_activity_at, c.created_at, c.id)]
    by_rank = (c.priority_order, c.created_at, c.id)
    if priority is ConversationPriority.PRIORITY:
        return [query.order_by(*by_rank)]
    if priority is ConversationPriority.SLA_DUE:
        return [
            query.where(c.sla_due_at.is_not(None)).order_by(c.sla_due_at, *by_rank),
            query.where(c.sla_due_at.is_(None)).order_by(*by_rank),
        ]
    return [query.order_by(c.created_at, c.id)]


class SqlInboxBatch:
    """One inbox's batch inside one transaction that holds the inbox's row lock."""

    def __init__(self, conn: AsyncConnection, inbox_row: sa.Row[Any]) -> None:
        self._conn = conn
        self._row = inbox_row
        self.inbox_id: int = inbox_row.id
        self.account_id: int = inbox_row.account_id
        #: webhook deliveries this batch queued (the store wakes the deliverer after commit)
        self.queued = 0

    async def settings(self) -> InboxSettings:
        row = self._row
        rules = (
            await self._conn.execute(
                sa.select(
                    capacity_policies.c.excluded_labels,
                    capacity_policies.c.exclude_older_than_hours,
                )
                .join(
                    inbox_capacity_limits,
                    inbox_capacity_limits.c.capacity_policy_id == capacity_policies.c.id,
                )
                .where(inbox_capacity_limits.c.inbox_id == self.inbox_id)
            )
        ).all()
        inbox = rows.inbox(row)
        if row.has_hours:
            hours = await members.inbox_hours(self._conn, self.inbox_id, row.time_zone)
            inbox = replace(inbox, business_hours=hours)
        return InboxSettings(
            inbox=inbox,
            policy=rows.policy(row._mapping, "p_") if row.p_id is not None else None,
            capacity_exclusions=combine_exclusions(rows.exclusion_rules(r) for r in rules),
        )

    async def candidates(
        self,
        rules: ExclusionRules,
        priority: ConversationPriority,
        limit: int,
        now: datetime,
    ) -> list[Conversation]:
        c = conversations.c
        query = sa.select(
            c.id,
            c.team_id,
            c.priority,
            c.created_at,
            c.last_activity_at,
            c.previous_assignee_id,
            c.reassign_reason,
            c.sla_due_at,
            c.contact_id,
            c.preferred_agent_id,
            c.required_skills,
        ).where(
            c.inbox_id == self.inbox_id,
            c.status == Status.OPEN.value,
            c.assignee_id.is_(None),
        )
        cutoff = rules.age_cutoff(now)
        if cutoff is not None:
            query = query.where(c.last_activity_at >= cutoff)
        if rules.excluded_labels:
            query = query.where(
                ~sa.exists().where(
                    conversation_labels.c.conversation_id == c.id,
                    conversation_labels.c.label.in_(sorted(rules.excluded_labels)),
                )
            )
        found: list[sa.Row[Any]] = []
        for part in _ordered(query, priority):  # a later part only while room is left
            if len(found) < limit:
                found += (await self._conn.execute(part.limit(limit - len(found)))).all()
        # labels matter to the batch only through the exclusion (already in the query)
        needed = rules.excluded_labels or self._row.skill_labels  # labels may require skills
        labels = await self._labels([r.id for r in found]) if needed else {}
        # built directly: every row is open, unassigned and in this inbox (the query says so)
        return [
            Conversation(
                id=row.id,
                account_id=self.account_id,
                inbox_id=self.inbox_id,
                created_at=row.created_at,
                last_activity_at=row.last_activity_at,
                labels=frozenset(labels.get(row.id, ())),
                priority=Priority(row.priority) if row.priority else None,
                team_id=row.team_id,
                previous_assignee_id=row.previous_assignee_id,
                reassign_reason=ReassignReason(row.reassign_reason)
                if row.reassign_reason
                else None,
                sla_due_at=row.sla_due_at,
                contact_id=row.contact_id,
                preferred_agent_id=row.preferred_agent_id,
                required_skills=row.required_skills or {},
            )
            for row in found
        ]

    async def _labels(self, ids: list[int]) -> dict[int, list[str]]:
        if not ids:
            return {}
        result: dict[int, list[str]] = defaultdict(list)
        query = sa.select(conversation_labels).where(conversation_labels.c.conversation_id.in_(ids))
        for row in await self._conn.execute(query):
            result[row.conversation_id].append(row.label)
        return result

    async def members(self, *, lock: bool = True) -> list[Member]:
        return await members.members(self._conn, self.inbox_id, lock=lock)

    async def held(
        self, policy: AssignmentPolicy, conversation_id: int | None = None
    ) -> list[Held]:
        return await reassign.held(
            self._conn, self.account_id, self.inbox_id, policy, conversation_id
        )

    async def release(self, releases: Sequence[Release], now: datetime) -> set[int]:
        return await reassign.release(self._conn, self.inbox_id, releases, now)

    async def previous_agents(self, contact_ids: set[int], since: datetime) -> dict[int, int]:
        c, s = conversations.c, assignments.c
        found = await self._conn.execute(
            sa.select(c.contact_id, s.agent_id)
            .join(conversations, c.id == s.conversation_id)
            .where(
                s.inbox_id == self.inbox_id,
                c.inbox_id == self.inbox_id,
                c.contact_id.in_(sorted(contact_ids)),
                s.assigned_at > since,
            )
            .order_by(s.id)
        )
        return {contact: agent for contact, agent in found.all()}  # the latest wins

    async def teams(self, team_ids: set[int]) -> dict[int, Team]:
        if not team_ids:
            return {}
        found = (await self._conn.execute(sa.select(teams).where(teams.c.id.in_(team_ids)))).all()
        members: dict[int, set[int]] = defaultdict(set)
        query = sa.select(team_members).where(team_members.c.team_id.in_(team_ids))
        for row in await self._conn.execute(query):
            members[row.team_id].add(row.agent_id)
        return {
            t.id: Team(
                id=t.id,
                account_id=t.account_id,
                name=t.name,
                allow_auto_assign=bool(t.allow_auto_assign),
                member_ids=frozenset(members[t.id]),
            )
            for t in found
        }

    async def history(self, since: datetime) -> History:
        s = assignments.c
        recent = await self._conn.execute(
            sa.select(s.agent_id, s.conversation_id, s.assigned_at).where(
                s.inbox_id == self.inbox_id, s.assigned_at > since, s.selector != MANUAL
            )
        )
        last = await self._conn.execute(
            sa.select(s.agent_id, sa.func.max(s.id).label("last_id"))
            .where(s.inbox_id == self.inbox_id, s.selector != MANUAL)
            .group_by(s.agent_id)
            .order_by(sa.func.max(s.id))
        )
        return History(
            window_entries=[
                RecordedAssignment(r.agent_id, r.conversation_id, r.assigned_at) for r in recent
            ],
            rotation={r.agent_id: rank for rank, r in enumerate(last, start=1)},
        )

    async def last_assignment(self, conversation_id: int) -> AssignmentRecord | None:
        s = assignments.c
        row = (
            await self._conn.execute(
                sa.select(assignments)
                .where(s.conversation_id == conversation_id, s.inbox_id == self.inbox_id)
                .order_by(s.id.desc())
                .limit(1)
            )
        ).one_or_none()
        if row is None:
            return None
        return AssignmentRecord(
            agent_id=row.agent_id,
            conversation_id=row.conversation_id,
            policy_id=row.policy_id,
            selector=row.selector,
            reason=row.reason,
            assigned_at=row.assigned_at,
        )

    async def claim(
        self, planned: Sequence[PlannedAssignment], policy_id: int | None, now: datetime
    ) -> set[int]:
        if not planned:
            return set()
        target = ClaimTarget(self.account_id, self.inbox_id, policy_id)
        return await claim_and_record(self._conn, target, planned, now)

    async def record_events(self, events: Sequence[Event]) -> None:
        if events:
            self.queued += await queue_events(self._conn, events, events[0].assigned_at)


_INBOX_WITH_POLICY = sa.select(inboxes, *_POLICY_COLUMNS).select_from(
    inboxes.outerjoin(
        inbox_assignment_policies, inbox_assignment_policies.c.inbox_id == inboxes.c.id
    ).outerjoin(
        assignment_policies,
        assignment_policies.c.id == inbox_assignment_policies.c.assignment_policy_id,
    )
)


async def _inbox_row(conn: AsyncConnection, inbox_id: int, *, lock: bool) -> sa.Row[Any]:
    """The inbox and its policy; ``lock`` takes the inbox's row lock, which serialises
    its batches, in the same round trip."""
    query = _INBOX_WITH_POLICY.where(inboxes.c.id == inbox_id, inboxes.c.deleted_at.is_(None))
    if lock:
        query = query.with_for_update(of=inboxes)
    row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise errors.InboxNotFound(inbox_id)
    return row


class SqlAssignmentStore:
    """``on_queued`` is awaited after a batch that queued webhook deliveries commits."""

    def __init__(
        self, engine: AsyncEngine, on_queued: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.engine = engine
        self._on_queued = on_queued

    @asynccontextmanager
    async def inbox_batch(self, inbox_id: int) -> AsyncIterator[SqlInboxBatch]:
        """Begin, take the inbox's row lock (FOR UPDATE on PostgreSQL; SQLite's
        BEGIN IMMEDIATE already excludes every other writer), and commit on exit."""
        async with wrap_errors(), self.engine.begin() as conn:
            row = await _inbox_row(conn, inbox_id, lock=True)
            # this batch covers every run request committed before now (docs/jobs.md)
            await conn.execute(sa.delete(run_requests).where(run_requests.c.inbox_id == inbox_id))
            batch = SqlInboxBatch(conn, row)
            yield batch
        if batch.queued and self._on_queued is not None:
            await self._on_queued()

    @asynccontextmanager
    async def inbox_view(self, inbox_id: int) -> AsyncIterator[SqlInboxBatch]:
        """Read-only: no row lock, and on SQLite no write lock; rolled back on exit."""
        async with wrap_errors(), self.engine.connect() as conn:
            await conn.execution_options(sqlite_begin="DEFERRED")
            async with conn.begin() as tx:
                yield SqlInboxBatch(conn, await _inbox_row(conn, inbox_id, lock=False))
                await tx.rollback()
