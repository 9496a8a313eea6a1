"""SqlCatalog: creating and changing the objects the engine reads (accounts to policies).

Every method is scoped to an account: an id from another account is NotFound, never a
silent cross-account write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql import rows
from autoassign.adapters.sql.directory import load_conversation
from autoassign.adapters.sql.engine import wrap_errors
from autoassign.adapters.sql.records import Records, insert, require
from autoassign.adapters.sql.tables import (
    accounts,
    agents,
    assignment_policies,
    capacity_policies,
    conversation_labels,
    conversations,
    inbox_assignment_policies,
    inbox_capacity_limits,
    inbox_members,
    inboxes,
    team_members,
    teams,
)
from autoassign.core import errors
from autoassign.core.model import Account, Agent, Conversation, Inbox, Status, Team
from autoassign.core.policies import AssignmentPolicy, CapacityPolicy


class SqlCatalog:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._records = Records(engine)

    async def _insert(
        self, conn: AsyncConnection, table: sa.Table, values: dict[str, object]
    ) -> int:
        return int((await insert(conn, table, values))["id"])

    async def add_account(self, account: Account, now: datetime) -> Account:
        async with wrap_errors(), self.engine.begin() as conn:
            new_id = await self._insert(conn, accounts, {"name": account.name, "created_at": now})
        return replace(account, id=new_id)

    async def add_agent(self, agent: Agent, now: datetime) -> Agent:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, accounts, [agent.account_id], agent.account_id, errors.AccountNotFound
            )
            if agent.capacity_policy_id is not None:
                await require(
                    conn,
                    capacity_policies,
                    [agent.capacity_policy_id],
                    agent.account_id,
                    errors.PolicyNotFound,
                )
            new_id = await self._insert(
                conn,
                agents,
                {
                    "account_id": agent.account_id,
                    "name": agent.name,
                    "availability": agent.availability.value,
                    "auto_offline": agent.auto_offline,
                    "capacity_policy_id": agent.capacity_policy_id,
                    "created_at": now,
                },
            )
        return replace(agent, id=new_id)

    async def set_agent_capacity_policy(
        self, account_id: int, agent_id: int, policy_id: int | None
    ) -> None:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(conn, agents, [agent_id], account_id, errors.AgentNotFound)
            if policy_id is not None:
                await require(
                    conn, capacity_policies, [policy_id], account_id, errors.PolicyNotFound
                )
            await conn.execute(
                sa.update(agents)
                .where(agents.c.id == agent_id)
                .values(capacity_policy_id=policy_id)
            )

    async def add_inbox(self, inbox: Inbox, now: datetime) -> Inbox:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, accounts, [inbox.account_id], inbox.account_id, errors.AccountNotFound
            )
            new_id = await self._insert(
                conn,
                inboxes,
                {
                    "account_id": inbox.account_id,
                    "name": inbox.name,
                    "enable_auto_assignment": inbox.enable_auto_assignment,
                    "created_at": now,
                },
            )
        return replace(inbox, id=new_id)

    async def add_inbox_members(
        self, account_id: int, inbox_id: int, agent_ids: Sequence[int]
    ) -> None:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(conn, inboxes, [inbox_id], account_id, errors.InboxNotFound)
            await require(conn, agents, agent_ids, account_id, errors.AgentNotFound)
            existing = set(
                (
                    await conn.execute(
                        sa.select(inbox_members.c.agent_id).where(
                            inbox_members.c.inbox_id == inbox_id
                        )
                    )
                ).scalars()
            )
            new = [
                {"inbox_id": inbox_id, "agent_id": a}
                for a in dict.fromkeys(agent_ids)
                if a not in existing
            ]
            if new:
                await conn.execute(sa.insert(inbox_members), new)

    async def add_team(self, team: Team, now: datetime) -> Team:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(conn, agents, team.member_ids, team.account_id, errors.AgentNotFound)
            new_id = await self._insert(
                conn,
                teams,
                {
                    "account_id": team.account_id,
                    "name": team.name,
                    "allow_auto_assign": team.allow_auto_assign,
                    "created_at": now,
                },
            )
            if team.member_ids:
                await conn.execute(
                    sa.insert(team_members),
                    [{"team_id": new_id, "agent_id": a} for a in sorted(team.member_ids)],
                )
        return replace(team, id=new_id)

    async def add_conversations(
        self, account_id: int, drafts: Sequence[Conversation], now: datetime
    ) -> list[int]:
        """Insert many conversations (ids of the drafts are ignored) in one transaction and
        a few multi-row statements; returns their ids in the drafts' order."""
        if not drafts:
            return []
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, inboxes, {d.inbox_id for d in drafts}, account_id, errors.InboxNotFound
            )
            await require(
                conn,
                teams,
                {d.team_id for d in drafts if d.team_id is not None},
                account_id,
                errors.TeamNotFound,
            )
            await require(
                conn,
                agents,
                {d.assignee_id for d in drafts if d.assignee_id is not None},
                account_id,
                errors.AgentNotFound,
            )
            inserted = await conn.execute(
                sa.insert(conversations).returning(
                    conversations.c.id, sort_by_parameter_order=True
                ),
                [
                    {
                        "account_id": account_id,
                        "inbox_id": draft.inbox_id,
                        "status": draft.status.value,
                        "priority": draft.priority.value if draft.priority else None,
                        "team_id": draft.team_id,
                        "assignee_id": draft.assignee_id,
                        "created_at": draft.created_at,
                        "last_activity_at": draft.last_activity_at,
                        "updated_at": now,
                    }
                    for draft in drafts
                ],
            )
            ids = list(inserted.scalars())
            labels = [
                {"conversation_id": cid, "label": label}
                for cid, draft in zip(ids, drafts, strict=True)
                for label in sorted(draft.labels)
            ]
            if labels:
                await conn.execute(sa.insert(conversation_labels), labels)
        return ids

    async def get_conversation(self, account_id: int, conversation_id: int) -> Conversation:
        async with self._records.read() as conn:
            row = await load_conversation(conn, account_id, conversation_id)
        return rows.conversation(row, row["labels"])

    async def set_status(
        self, account_id: int, conversation_id: int, status: Status, now: datetime
    ) -> None:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, conversations, [conversation_id], account_id, errors.ConversationNotFound
            )
            await conn.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(status=status.value, updated_at=now, last_activity_at=now)
            )

    async def add_policy(self, policy: AssignmentPolicy, now: datetime) -> AssignmentPolicy:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, accounts, [policy.account_id], policy.account_id, errors.AccountNotFound
            )
            new_id = await self._insert(
                conn,
                assignment_policies,
                {**rows.policy_values(policy), "created_at": now, "updated_at": now},
            )
        return replace(policy, id=new_id)

    async def get_policy(self, account_id: int, policy_id: int) -> AssignmentPolicy:
        row = await self._records.get(
            assignment_policies, account_id, policy_id, errors.PolicyNotFound
        )
        return rows.policy(row)

    async def save_policy(self, policy: AssignmentPolicy, now: datetime) -> AssignmentPolicy:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, assignment_policies, [policy.id], policy.account_id, errors.PolicyNotFound
            )
            try:
                await conn.execute(
                    sa.update(assignment_policies)
                    .where(assignment_policies.c.id == policy.id)
                    .values(
                        **rows.policy_values(policy),
                        updated_at=now,
                    )
                )
            except IntegrityError as exc:
                raise errors.Conflict(f"assignment_policies: {exc.orig}") from exc
        return policy

    async def link_policy(self, account_id: int, inbox_id: int, policy_id: int) -> None:
        """Link a policy to an inbox, replacing any earlier link (one policy per inbox)."""
        async with wrap_errors(), self.engine.begin() as conn:
            await require(conn, inboxes, [inbox_id], account_id, errors.InboxNotFound)
            await require(conn, assignment_policies, [policy_id], account_id, errors.PolicyNotFound)
            await conn.execute(
                sa.delete(inbox_assignment_policies).where(
                    inbox_assignment_policies.c.inbox_id == inbox_id
                )
            )
            await conn.execute(
                sa.insert(inbox_assignment_policies).values(
                    inbox_id=inbox_id, assignment_policy_id=policy_id
                )
            )

    async def add_capacity_policy(self, policy: CapacityPolicy, now: datetime) -> CapacityPolicy:
        async with wrap_errors(), self.engine.begin() as conn:
            await require(
                conn, inboxes, policy.inbox_limits, policy.account_id, errors.InboxNotFound
            )
            new_id = await self._insert(
                conn,
                capacity_policies,
                {
                    "account_id": policy.account_id,
                    "name": policy.name,
                    "description": policy.description,
                    "excluded_labels": sorted(policy.exclusion_rules.excluded_labels),
                    "exclude_older_than_hours": policy.exclusion_rules.exclude_older_than_hours,
                    "created_at": now,
                },
            )
            if policy.inbox_limits:
                await conn.execute(
                    sa.insert(inbox_capacity_limits),
                    [
                        {"capacity_policy_id": new_id, "inbox_id": i, "conversation_limit": n}
                        for i, n in sorted(policy.inbox_limits.items())
                    ],
                )
        return replace(policy, id=new_id)

    async def inbox_ids(self, account_id: int | None = None) -> list[int]:
        query = sa.select(inboxes.c.id).order_by(inboxes.c.id)
        if account_id is not None:
            query = query.where(inboxes.c.account_id == account_id)
        async with self._records.read() as conn:
            return list((await conn.execute(query)).scalars())

    async def sweepable_inbox_ids(self) -> list[int]:
        """Inboxes with auto-assignment on and an enabled policy: what the sweep runs."""
        query = (
            sa.select(inboxes.c.id)
            .join(inbox_assignment_policies, inbox_assignment_policies.c.inbox_id == inboxes.c.id)
            .join(
                assignment_policies,
                assignment_policies.c.id == inbox_assignment_policies.c.assignment_policy_id,
            )
            .where(
                inboxes.c.enable_auto_assignment.is_(True), assignment_policies.c.enabled.is_(True)
            )
            .order_by(inboxes.c.id)
        )
        async with self._records.read() as conn:
            return list((await conn.execute(query)).scalars())

    async def agent(self, account_id: int, agent_id: int) -> Agent:
        async with self._records.read() as conn:
            row = (
                await conn.execute(
                    sa.select(agents).where(
                        agents.c.id == agent_id, agents.c.account_id == account_id
                    )
                )
            ).one_or_none()
        if row is None:
            raise errors.AgentNotFound(agent_id)
        return rows.agent(row)
