"""The read side: every list and view the API shows, as typed read models.

Each query is scoped to an account; a missing or foreign id raises the kind's NotFound.
Composite views (labels, counts, limits) load their parts in one extra query per list,
never one per row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned, rows
from autoassign.adapters.sql.tables import (
    agents,
    assignment_policies,
    assignments,
    capacity_policies,
    conversation_labels,
    conversations,
    inbox_assignment_policies,
    inbox_capacity_limits,
    inbox_members,
    inboxes,
    team_members,
    teams,
    webhooks,
)
from autoassign.core import errors
from autoassign.core.views import (
    AgentView,
    AssignmentEventView,
    CapacityPolicyView,
    ConversationFilter,
    ConversationView,
    EventFilter,
    InboxLimitView,
    InboxView,
    Page,
    Paging,
    PolicyView,
    TeamView,
    WebhookView,
)

_INBOX_COUNT = (
    sa.select(sa.func.count())
    .where(inbox_assignment_policies.c.assignment_policy_id == assignment_policies.c.id)
    .scalar_subquery()
    .label("assigned_inbox_count")
)
_AGENT_COUNT = (
    sa.select(sa.func.count())
    .where(agents.c.capacity_policy_id == capacity_policies.c.id)
    .scalar_subquery()
    .label("assigned_agent_count")
)


def _single(found: list[Any], table: sa.Table, object_id: int) -> Any:
    if not found:
        raise owned.NOT_FOUND[table](object_id)
    return found[0]


class SqlQueries:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def ping(self) -> None:
        await self._conn.execute(sa.text("SELECT 1"))

    async def _rows(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        return list((await self._conn.execute(query)).all())

    # agents, inboxes, teams -----------------------------------------------------------

    async def agents(
        self, account_id: int, *, capacity_policy_id: int | None = None
    ) -> list[AgentView]:
        query = sa.select(agents).where(*owned.visible(agents, account_id)).order_by(agents.c.id)
        if capacity_policy_id is not None:
            await owned.require(self._conn, capacity_policies, [capacity_policy_id], account_id)
            query = query.where(agents.c.capacity_policy_id == capacity_policy_id)
        return [rows.agent_view(r) for r in await self._rows(query)]

    async def agent(self, account_id: int, agent_id: int) -> AgentView:
        return rows.agent_view(await owned.one(self._conn, agents, account_id, agent_id))

    async def inboxes(self, account_id: int, *, policy_id: int | None = None) -> list[InboxView]:
        query = sa.select(inboxes).where(*owned.visible(inboxes, account_id)).order_by(inboxes.c.id)
        if policy_id is not None:
            await owned.require(self._conn, assignment_policies, [policy_id], account_id)
            linked = sa.select(inbox_assignment_policies.c.inbox_id).where(
                inbox_assignment_policies.c.assignment_policy_id == policy_id
            )
            query = query.where(inboxes.c.id.in_(linked))
        return [rows.inbox_view(r) for r in await self._rows(query)]

    async def inbox(self, account_id: int, inbox_id: int) -> InboxView:
        return rows.inbox_view(await owned.one(self._conn, inboxes, account_id, inbox_id))

    async def _members(
        self, owner_table: sa.Table, link: sa.Table, column: str, account_id: int, owner_id: int
    ) -> list[AgentView]:
        await owned.require(self._conn, owner_table, [owner_id], account_id)
        query = (
            sa.select(agents)
            .join(link, link.c.agent_id == agents.c.id)
            .where(link.c[column] == owner_id)
            .order_by(agents.c.id)
        )
        return [rows.agent_view(r) for r in await self._rows(query)]

    async def inbox_members(self, account_id: int, inbox_id: int) -> list[AgentView]:
        return await self._members(inboxes, inbox_members, "inbox_id", account_id, inbox_id)

    async def teams(self, account_id: int) -> list[TeamView]:
        query = sa.select(teams).where(teams.c.account_id == account_id).order_by(teams.c.id)
        return [rows.team_view(r) for r in await self._rows(query)]

    async def team(self, account_id: int, team_id: int) -> TeamView:
        return rows.team_view(await owned.one(self._conn, teams, account_id, team_id))

    async def team_members(self, account_id: int, team_id: int) -> list[AgentView]:
        return await self._members(teams, team_members, "team_id", account_id, team_id)

    # conversations and their history --------------------------------------------------

    async def conversations(
        self, account_id: int, where: ConversationFilter, paging: Paging
    ) -> Page[ConversationView]:
        c = conversations.c
        conditions: list[sa.ColumnElement[bool]] = [c.account_id == account_id]
        for column, value in (
            (c.inbox_id, where.inbox_id),
            (c.assignee_id, where.assignee_id),
            (c.team_id, where.team_id),
            (c.status, where.status.value if where.status else None),
        ):
            if value is not None:
                conditions.append(column == value)
        if where.unassigned is not None:
            conditions.append(
                c.assignee_id.is_(None) if where.unassigned else c.assignee_id.is_not(None)
            )
        if where.label is not None:
            labelled = sa.select(conversation_labels.c.conversation_id).where(
                conversation_labels.c.label == where.label
            )
            conditions.append(c.id.in_(labelled))
        total, found = await self._page(conversations, conditions, [c.id], paging)
        labels = await self._labels([r.id for r in found])
        items = tuple(rows.conversation_view(r, labels[r.id]) for r in found)
        return Page(items, paging.page, paging.per_page, total)

    async def conversation(self, account_id: int, conversation_id: int) -> ConversationView:
        row = await owned.one(self._conn, conversations, account_id, conversation_id)
        labels = await self._labels([conversation_id])
        return rows.conversation_view(row, labels[conversation_id])

    async def _labels(self, ids: list[int]) -> dict[int, list[str]]:
        labels: dict[int, list[str]] = defaultdict(list)
        if ids:
            query = sa.select(conversation_labels).where(
                conversation_labels.c.conversation_id.in_(ids)
            )
            for link in await self._rows(query):
                labels[link.conversation_id].append(link.label)
        return labels

    async def _page(
        self,
        table: sa.Table,
        conditions: list[sa.ColumnElement[bool]],
        order_by: list[sa.ColumnElement[Any]],
        paging: Paging,
    ) -> tuple[int, list[sa.Row[Any]]]:
        count = sa.select(sa.func.count()).select_from(table).where(*conditions)
        total = (await self._conn.execute(count)).scalar_one()
        query = (
            sa.select(table)
            .where(*conditions)
            .order_by(*order_by)
            .offset(paging.offset)
            .limit(paging.per_page)
        )
        return int(total), await self._rows(query)

    async def assignment_events(
        self, account_id: int, where: EventFilter, paging: Paging
    ) -> Page[AssignmentEventView]:
        a = assignments.c
        conditions: list[sa.ColumnElement[bool]] = [a.account_id == account_id]
        for column, value in (
            (a.inbox_id, where.inbox_id),
            (a.agent_id, where.agent_id),
            (a.conversation_id, where.conversation_id),
        ):
            if value is not None:
                conditions.append(column == value)
        if where.since is not None:
            conditions.append(a.assigned_at >= where.since)
        if where.until is not None:
            conditions.append(a.assigned_at < where.until)
        total, found = await self._page(assignments, conditions, [a.id.desc()], paging)
        return Page(tuple(rows.event_view(r) for r in found), paging.page, paging.per_page, total)

    # policies --------------------------------------------------------------------------

    def _policy_query(self, account_id: int) -> sa.Select[Any]:
        return (
            sa.select(assignment_policies, _INBOX_COUNT)
            .where(assignment_policies.c.account_id == account_id)
            .order_by(assignment_policies.c.id)
        )

    async def policies(self, account_id: int) -> list[PolicyView]:
        return [rows.policy_view(r) for r in await self._rows(self._policy_query(account_id))]

    async def policy(self, account_id: int, policy_id: int) -> PolicyView:
        query = self._policy_query(account_id).where(assignment_policies.c.id == policy_id)
        return rows.policy_view(_single(await self._rows(query), assignment_policies, policy_id))

    async def _capacity(self, account_id: int, policy_id: int | None) -> list[CapacityPolicyView]:
        query = (
            sa.select(capacity_policies, _AGENT_COUNT)
            .where(capacity_policies.c.account_id == account_id)
            .order_by(capacity_policies.c.id)
        )
        if policy_id is not None:
            query = query.where(capacity_policies.c.id == policy_id)
        found = await self._rows(query)
        limits: dict[int, list[InboxLimitView]] = defaultdict(list)
        if found:
            limit_rows = await self._rows(
                sa.select(inbox_capacity_limits)
                .where(inbox_capacity_limits.c.capacity_policy_id.in_([r.id for r in found]))
                .order_by(inbox_capacity_limits.c.id)
            )
            for limit in limit_rows:
                limits[limit.capacity_policy_id].append(rows.inbox_limit_view(limit))
        return [rows.capacity_view(r, limits[r.id]) for r in found]

    async def capacity_policies(self, account_id: int) -> list[CapacityPolicyView]:
        return await self._capacity(account_id, None)

    async def capacity_policy(self, account_id: int, policy_id: int) -> CapacityPolicyView:
        found = await self._capacity(account_id, policy_id)
        return _single(found, capacity_policies, policy_id)  # type: ignore[no-any-return]

    async def inbox_limit(self, account_id: int, policy_id: int, limit_id: int) -> InboxLimitView:
        await owned.require(self._conn, capacity_policies, [policy_id], account_id)
        found = await self._rows(
            sa.select(inbox_capacity_limits).where(
                inbox_capacity_limits.c.id == limit_id,
                inbox_capacity_limits.c.capacity_policy_id == policy_id,
            )
        )
        if not found:
            raise errors.InboxLimitNotFound(limit_id)
        return rows.inbox_limit_view(found[0])

    # webhooks --------------------------------------------------------------------------

    async def webhooks(self, account_id: int) -> list[WebhookView]:
        query = (
            sa.select(webhooks).where(webhooks.c.account_id == account_id).order_by(webhooks.c.id)
        )
        return [rows.webhook_view(r) for r in await self._rows(query)]

    async def webhook(self, account_id: int, webhook_id: int) -> WebhookView:
        return rows.webhook_view(await owned.one(self._conn, webhooks, account_id, webhook_id))
