"""Working hours and time off: agent_shifts, agent_time_off, agents.time_zone

Issue 13.1: an agent outside their weekly working hours (in their IANA time zone) or on
time off is not eligible (core/schedules.py). ``agents.has_duty`` says whether a batch
must read them, so agents without either cost nothing.

Revision ID: 2b7c9d1e3f5a
Revises: 9e1a3c5b7d2f
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autoassign.adapters.sql.types import UTCDateTime

revision = "2b7c9d1e3f5a"
down_revision = "9e1a3c5b7d2f"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
        )
        batch.add_column(
            sa.Column("has_duty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "agent_shifts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "agent_id",
            Id,
            sa.ForeignKey("agents.id", name="fk_agent_shifts_agent_id_agents", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agent_shifts"),
    )
    op.create_index("ix_agent_shifts_agent_id", "agent_shifts", ["agent_id"])
    op.create_table(
        "agent_time_off",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "agent_id",
            Id,
            sa.ForeignKey(
                "agents.id", name="fk_agent_time_off_agent_id_agents", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_agent_time_off"),
    )
    op.create_index("ix_agent_time_off_agent_id_ends_at", "agent_time_off", ["agent_id", "ends_at"])


def downgrade() -> None:
    op.drop_index("ix_agent_time_off_agent_id_ends_at", "agent_time_off")
    op.drop_table("agent_time_off")
    op.drop_index("ix_agent_shifts_agent_id", "agent_shifts")
    op.drop_table("agent_shifts")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("has_duty")
        batch.drop_column("time_zone")
