"""Sticky agents: conversations.contact_id and preferred_agent_id, policy settings

Issue 13.3: a policy may prefer the contact's previous assignee in the inbox (within
``sticky_days``) or an explicit preferred agent, waiting ``preferred_hold_seconds`` for
them when they are online but at a limit.

Revision ID: 4f6a8c0e2b4d
Revises: 2b7c9d1e3f5a
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4f6a8c0e2b4d"
down_revision = "2b7c9d1e3f5a"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("contact_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("preferred_agent_id", Id, nullable=True))
    op.create_index(
        "ix_conversations_inbox_id_contact_id", "conversations", ["inbox_id", "contact_id"]
    )
    with op.batch_alter_table("assignment_policies") as batch:
        batch.add_column(sa.Column("sticky_days", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("preferred_hold_seconds", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment_policies") as batch:
        batch.drop_column("preferred_hold_seconds")
        batch.drop_column("sticky_days")
    op.drop_index("ix_conversations_inbox_id_contact_id", "conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("preferred_agent_id")
        batch.drop_column("contact_id")
