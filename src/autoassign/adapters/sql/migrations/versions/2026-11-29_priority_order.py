"""Priority and SLA orders: priority_order and sla_due_at on conversations

Issue 13.2: a policy may serve the highest priority first, or the earliest first-response
due time. ``priority_order`` is the priority as a number (0 urgent … 4 none), kept with
it on every write, so both orders walk a partial index of the open, unassigned
conversations.

Revision ID: 3c9e7a5d1b2f
Revises: 8b3d6e1f2a4c
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autoassign.adapters.sql.types import UTCDateTime

revision = "3c9e7a5d1b2f"
down_revision = "8b3d6e1f2a4c"
branch_labels = None
depends_on = None

_OPEN_UNASSIGNED = "status = 'open' AND assignee_id IS NULL"
_ORDERS_BEFORE = "conversation_priority IN ('earliest_created', 'longest_waiting')"
_ORDERS = "conversation_priority IN ('earliest_created', 'longest_waiting', 'priority', 'sla_due')"


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("priority_order", sa.SmallInteger(), nullable=False, server_default="4")
        )
        batch.add_column(sa.Column("sla_due_at", UTCDateTime(), nullable=True))
    op.execute(
        """
        UPDATE conversations SET priority_order = CASE priority
            WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3
            ELSE 4 END
        """
    )
    indexes: list[tuple[str, list[str], str]] = [
        (
            "ix_conversations_candidates_priority",
            ["inbox_id", "priority_order", "created_at", "id"],
            _OPEN_UNASSIGNED,
        ),
        (
            "ix_conversations_candidates_sla",
            ["inbox_id", "sla_due_at", "priority_order", "created_at", "id"],
            f"{_OPEN_UNASSIGNED} AND sla_due_at IS NOT NULL",
        ),
    ]
    for name, columns, where in indexes:
        op.create_index(
            name,
            "conversations",
            columns,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )
    with op.batch_alter_table("assignment_policies") as batch:
        batch.drop_constraint(op.f("ck_assignment_policies_conversation_priority"), type_="check")
        batch.create_check_constraint("conversation_priority", _ORDERS)


def downgrade() -> None:
    op.execute(
        "UPDATE assignment_policies SET conversation_priority = 'earliest_created'"
        " WHERE conversation_priority IN ('priority', 'sla_due')"
    )
    with op.batch_alter_table("assignment_policies") as batch:
        batch.drop_constraint(op.f("ck_assignment_policies_conversation_priority"), type_="check")
        batch.create_check_constraint("conversation_priority", _ORDERS_BEFORE)
    op.drop_index("ix_conversations_candidates_sla", "conversations")
    op.drop_index("ix_conversations_candidates_priority", "conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("sla_due_at")
        batch.drop_column("priority_order")
