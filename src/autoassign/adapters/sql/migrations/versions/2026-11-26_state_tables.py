"""state tables: the state store on PostgreSQL when no Redis is configured

PostgreSQL without Redis used to fall back to a per-process memory store, so two
processes counted fair-distribution windows separately and broke the limit (defect D1).
These tables back ``PostgresStateStore`` (``adapters/state/postgres_tables.py``). They
hold only state that can be rebuilt or whose loss is harmless, so on PostgreSQL they are
UNLOGGED: no WAL, and a crash empties all of them together, like a Redis flush. They are
created on SQLite too, so the schema is the same on both back ends (SQLite never uses
them: embedded mode is one process with in-memory state).

Revision ID: 9d4c1f2a7b3e
Revises: 533e5e0231b1
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4c1f2a7b3e"
down_revision: str | None = "533e5e0231b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("state_windows", "state_rotation", "state_hydrated", "state_presence", "state_run_gates")


def upgrade() -> None:
    op.create_table(
        "state_windows",
        sa.Column("inbox_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "inbox_id", "agent_id", "conversation_id", name=op.f("pk_state_windows")
        ),
    )
    op.create_table(
        "state_rotation",
        sa.Column("inbox_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("inbox_id", "agent_id", name=op.f("pk_state_rotation")),
    )
    op.create_table(
        "state_hydrated",
        sa.Column("inbox_id", sa.BigInteger(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_state_hydrated")),
    )
    op.create_table(
        "state_presence",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "agent_id", name=op.f("pk_state_presence")),
    )
    op.create_table(
        "state_run_gates",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("again", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_state_run_gates")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET UNLOGGED")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
