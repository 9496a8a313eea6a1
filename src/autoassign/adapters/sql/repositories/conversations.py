"""Conversations: bulk insert, changes (labels included), and assignments made by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned, rows
from autoassign.adapters.sql.tables import (
    agents,
    assignments,
    conversation_labels,
    conversations,
    inboxes,
    teams,
)
from autoassign.core.drafts import ConversationChanges
from autoassign.core.model import Conversation, priority_order
from autoassign.core.selectors import MANUAL
from autoassign.core.views import ConversationView


def _values(account_id: int, draft: Conversation, now: datetime) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "inbox_id": draft.inbox_id,
        "status": draft.status.value,
        "priority": draft.priority.value if draft.priority else None,
        "priority_order": priority_order(draft.priority),
        "sla_due_at": draft.sla_due_at,
        "contact_id": draft.contact_id,
        "preferred_agent_id": draft.preferred_agent_id,
        "required_skills": dict(draft.required_skills) or None,
        "team_id": draft.team_id,
        "assignee_id": draft.assignee_id,
        "created_at": draft.created_at,
        "last_activity_at": draft.last_activity_at,
        "updated_at": now,
        "assigned_at": now if draft.assignee_id is not None else None,
        # as Chatwoot: the customer waits from the start (core/reassignment.py)
        "waiting_since": draft.created_at,
    }


class SqlConversations:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_many(
        self, account_id: int, drafts: Sequence[Conversation], now: datetime
    ) -> list[int]:
        """A few multi-row statements, whatever the number of drafts."""
        if not drafts:
            return []
        conn = self._conn
        await self._require(account_id, drafts)
        inserted = await conn.execute(
            sa.insert(conversations).returning(conversations.c.id, sort_by_parameter_order=True),
            [_values(account_id, draft, now) for draft in drafts],
        )
        ids = list(inserted.scalars())
        await self._add_labels(ids, drafts)
        return ids

    async def add(self, draft: Conversation, now: datetime) -> ConversationView:
        """One row: the INSERT returns it, so nothing is read back (the create path)."""
        await self._require(draft.account_id, [draft])
        row = (
            await self._conn.execute(
                sa.insert(conversations)
                .values(_values(draft.account_id, draft, now))
                .returning(*conversations.c)
            )
        ).one()
        await self._add_labels([row.id], [draft])
        return rows.conversation_view(row, draft.labels)

    async def _require(self, account_id: int, drafts: Sequence[Conversation]) -> None:
        conn = self._conn
        await owned.require(conn, inboxes, {d.inbox_id for d in drafts}, account_id)
        await owned.require(conn, teams, {d.team_id for d in drafts if d.team_id}, account_id)
        await owned.require(
            conn, agents, {d.assignee_id for d in drafts if d.assignee_id}, account_id, share=True
        )

    async def _add_labels(self, ids: Sequence[int], drafts: Sequence[Conversation]) -> None:
        labels = [
            {"conversation_id": cid, "label": label}
            for cid, draft in zip(ids, drafts, strict=True)
            for label in sorted(draft.labels)
        ]
        if labels:
            await self._conn.execute(sa.insert(conversation_labels), labels)

    async def update(
        self, account_id: int, conversation_id: int, changes: ConversationChanges, now: datetime
    ) -> None:
        values: dict[str, Any] = {"updated_at": now}
        for key, value in changes.items():
            if key != "labels":
                values[key] = getattr(value, "value", value)
        if "priority" in changes:
            values["priority_order"] = priority_order(changes["priority"])
        await owned.update(self._conn, conversations, account_id, conversation_id, values)
        if "labels" in changes:
            await self._set_labels(conversation_id, changes["labels"])

    async def _set_labels(self, conversation_id: int, labels: Sequence[str]) -> None:
        await self._conn.execute(
            sa.delete(conversation_labels).where(
                conversation_labels.c.conversation_id == conversation_id
            )
        )
        unique = sorted(set(labels))
        if unique:
            await self._conn.execute(
                sa.insert(conversation_labels),
                [{"conversation_id": conversation_id, "label": label} for label in unique],
            )

    async def record_manual(
        self,
        account_id: int,
        inbox_id: int,
        conversation_id: int,
        agent_id: int,
        reason: str,
        now: datetime,
    ) -> None:
        await owned.insert(
            self._conn,
            assignments,
            {
                "account_id": account_id,
                "inbox_id": inbox_id,
                "conversation_id": conversation_id,
                "agent_id": agent_id,
                "policy_id": None,
                "selector": MANUAL,
                "reason": reason,
                "assigned_at": now,
            },
        )
