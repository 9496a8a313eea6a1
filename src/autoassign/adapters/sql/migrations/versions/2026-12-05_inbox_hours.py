"""Inbox business hours: inbox_hours, inboxes.time_zone and has_hours

Issue 13.1: outside its business hours an inbox assigns nothing, and its opening is a
wake-up (core/schedules.py, core/planner.py ``inbox_gate``).

Revision ID: 5b7d9f1a3c8e
Revises: 7a9c1e3b5d6f
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b7d9f1a3c8e"
down_revision = "7a9c1e3b5d6f"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("inboxes") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
        )
        batch.add_column(
            sa.Column("has_hours", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "inbox_hours",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "inbox_id",
            Id,
            sa.ForeignKey("inboxes.id", name="fk_inbox_hours_inbox_id_inboxes", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_hours"),
    )
    op.create_index("ix_inbox_hours_inbox_id", "inbox_hours", ["inbox_id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_hours_inbox_id", "inbox_hours")
    op.drop_table("inbox_hours")
    with op.batch_alter_table("inboxes") as batch:
        batch.drop_column("has_hours")
        batch.drop_column("time_zone")
