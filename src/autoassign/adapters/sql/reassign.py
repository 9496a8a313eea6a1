"""The SQL side of reassignment: the held conversations a rule may apply to, and the
guarded release that hands one back to the queue (the rules are core/reassignment.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.tables import agents, conversations, inbox_members, team_members
from autoassign.core.model import Presence, Status
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.ports.assignment_store import HELD_LIMIT
from autoassign.core.reassignment import Held, Release


async def held(
    conn: AsyncConnection,
    account_id: int,
    inbox_id: int,
    policy: AssignmentPolicy,
    conversation_id: int | None = None,
) -> list[Held]:
    """Open, assigned conversations of the inbox that a rule of ``policy`` may apply to:
    the assignee not online (or on heartbeats), out of the inbox or team, or (with the
    unanswered rule) a customer waiting. Uses the open-load index (inbox, assignee)."""
    c, a = conversations.c, agents.c
    member = (
        sa.exists()
        .where(inbox_members.c.inbox_id == c.inbox_id, inbox_members.c.agent_id == c.assignee_id)
        .correlate(conversations)
    )
    in_team = sa.or_(
        c.team_id.is_(None),
        sa.exists()
        .where(team_members.c.team_id == c.team_id, team_members.c.agent_id == c.assignee_id)
        .correlate(conversations),
    )
    may_apply: list[sa.ColumnElement[bool]] = []
    if policy.reassign_after_absent_seconds is not None or policy.reassign_on_reopen:
        may_apply += [
            a.availability != Presence.ONLINE.value,
            a.auto_offline.is_(True),
            c.assignee_left_at.is_not(None),
        ]
    if policy.reassign_unanswered_after_seconds is not None:
        may_apply.append(
            sa.and_(c.waiting_since.is_not(None), c.reassignments < policy.max_reassignments)
        )
    if not may_apply:
        return []
    query = (
        sa.select(
            c.id,
            c.assignee_id,
            c.team_id,
            c.created_at,
            c.last_activity_at,
            c.assigned_at,
            c.updated_at,
            c.waiting_since,
            c.agent_replied_at,
            c.reopened_at,
            c.reassignments,
            c.assignee_left_at,
            a.availability,
            a.away_since,
            a.auto_offline,
            sa.and_(member, in_team).label("member"),
        )
        .join(agents, a.id == c.assignee_id)
        .where(
            c.inbox_id == inbox_id,
            c.status == Status.OPEN.value,
            c.assignee_id.is_not(None),
            sa.or_(*may_apply),
        )
        .order_by(c.id)
        .limit(HELD_LIMIT)
    )
    if conversation_id is not None:
        query = query.where(c.id == conversation_id)
    return [
        Held(
            conversation_id=r.id,
            account_id=account_id,
            inbox_id=inbox_id,
            agent_id=r.assignee_id,
            team_id=r.team_id,
            created_at=r.created_at,
            last_activity_at=r.last_activity_at,
            # rows assigned before the column existed, or by a writer that did not set it
            assigned_at=r.assigned_at or r.updated_at,
            waiting_since=r.waiting_since,
            agent_replied_at=r.agent_replied_at,
            reopened_at=r.reopened_at,
            reassignments=r.reassignments,
            presence=Presence(r.availability),
            away_since=r.away_since,
            member=bool(r.member),
            left_at=r.assignee_left_at,
            auto_offline=bool(r.auto_offline),
        )
        for r in await conn.execute(query)
    ]


async def release(
    conn: AsyncConnection, inbox_id: int, releases: Sequence[Release], now: datetime
) -> set[int]:
    """One guarded UPDATE per release (releases are few: timers fire one by one)."""
    c = conversations.c
    released: set[int] = set()
    for item in releases:
        h = item.held
        result = await conn.execute(
            sa.update(conversations)
            .where(
                c.id == h.conversation_id,
                c.inbox_id == inbox_id,
                c.status == Status.OPEN.value,
                c.assignee_id == h.agent_id,
                c.last_activity_at == h.last_activity_at,
            )
            .values(
                assignee_id=None,
                assigned_at=None,
                assignee_left_at=None,
                previous_assignee_id=h.agent_id,
                reassign_reason=item.reason.value,
                reassignments=c.reassignments + 1,
                updated_at=now,
            )
        )
        if result.rowcount:
            released.add(h.conversation_id)
    return released
