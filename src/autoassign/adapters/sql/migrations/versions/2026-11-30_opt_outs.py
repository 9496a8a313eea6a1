"""Opt-outs and a total capacity: inbox_members.auto_assign, capacity_policies.total_limit

Issue 13.7: inbox members who never receive auto-assignments (watchers, supervisors),
and a limit of open conversations per agent across all the account's inboxes, on top of
the per-inbox limits.

Revision ID: 6d2f4b8e0a1c
Revises: 3c9e7a5d1b2f
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6d2f4b8e0a1c"
down_revision = "3c9e7a5d1b2f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_members") as batch:
        batch.add_column(
            sa.Column("auto_assign", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("capacity_policies") as batch:
        batch.add_column(sa.Column("total_limit", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("capacity_policies") as batch:
        batch.drop_column("total_limit")
    with op.batch_alter_table("inbox_members") as batch:
        batch.drop_column("auto_assign")
