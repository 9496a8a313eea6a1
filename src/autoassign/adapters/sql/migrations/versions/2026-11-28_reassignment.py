"""Reassignment: policy settings, conversation activity and timer columns

Issue 11: conversations whose assignee is gone (offline, removed) or silent (a customer
unanswered) return to the queue after a grace period; reopened conversations whose
assignee cannot take them are reassigned. The timers are data: computed from these
columns and the clock by ``core/reassignment.py``.

Revision ID: 8b3d6e1f2a4c
Revises: 224fb91a9339
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autoassign.adapters.sql.types import UTCDateTime

revision = "8b3d6e1f2a4c"
down_revision = "224fb91a9339"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_CONVERSATION = (
    "assigned_at",
    "waiting_since",
    "first_reply_at",
    "agent_replied_at",
    "reopened_at",
    "assignee_left_at",
)


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("away_since", UTCDateTime(), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        for name in _CONVERSATION:
            batch.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("reassignments", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("previous_assignee_id", Id, nullable=True))
        batch.add_column(sa.Column("reassign_reason", sa.String(32), nullable=True))
    with op.batch_alter_table("assignment_policies") as batch:
        batch.add_column(sa.Column("reassign_after_absent_seconds", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "reassign_only_unreplied", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("reassign_unanswered_after_seconds", sa.Integer(), nullable=True)
        )
        batch.add_column(
            sa.Column("max_reassignments", sa.Integer(), nullable=False, server_default="3")
        )
        batch.add_column(
            sa.Column("reassign_on_reopen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("previous_agent_id", Id, nullable=True))
        batch.add_column(sa.Column("reassign_reason", sa.String(32), nullable=True))
    # existing assigned conversations: their latest assignment's time (else their last change)
    op.execute(
        """
        UPDATE conversations SET assigned_at = COALESCE(
            (SELECT MAX(assignments.assigned_at) FROM assignments
              WHERE assignments.conversation_id = conversations.id
                AND assignments.agent_id = conversations.assignee_id),
            updated_at)
         WHERE assignee_id IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("reassign_reason")
        batch.drop_column("previous_agent_id")
    with op.batch_alter_table("assignment_policies") as batch:
        for name in (
            "reassign_on_reopen",
            "max_reassignments",
            "reassign_unanswered_after_seconds",
            "reassign_only_unreplied",
            "reassign_after_absent_seconds",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("conversations") as batch:
        for name in ("reassign_reason", "previous_assignee_id", "reassignments", *_CONVERSATION):
            batch.drop_column(name)
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("away_since")
