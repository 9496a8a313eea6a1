"""The tables behind PostgresStateStore, on the schema's one ``metadata``.

Why a separate module: these tables are a cache of state that can always be rebuilt from
the assignment tables (or, for run gates and presence, whose loss is harmless; see
docs/decisions.md), not part of the domain schema. They live next to the store that owns
them, but on ``autoassign.adapters.sql.tables.metadata`` so the migrations describe
them like every other table (the Alembic environment imports this module).

They have no foreign keys on purpose: the state store writes on its own connection while
a batch holds its inbox row locked, and a key check against that row would wait for the
batch, which waits for the state store. On PostgreSQL the migration makes them
``UNLOGGED``: no WAL, and a crash empties all of them at once, which is exactly a Redis
flush (the hydrated markers go with the windows, so everything is rebuilt).
"""

from __future__ import annotations

import sqlalchemy as sa

from autoassign.adapters.sql.tables import metadata

#: one row per (inbox, agent, conversation) in the agent's fair-distribution window
state_windows = sa.Table(
    "state_windows",
    metadata,
    sa.Column("inbox_id", sa.BigInteger(), primary_key=True),
    sa.Column("agent_id", sa.BigInteger(), primary_key=True),
    sa.Column("conversation_id", sa.BigInteger(), primary_key=True),
    #: assigned at, in ms (``core.windows.to_ms``)
    sa.Column("at_ms", sa.BigInteger(), nullable=False),
)

#: agent → rotation sequence per inbox (larger = assigned more recently)
state_rotation = sa.Table(
    "state_rotation",
    metadata,
    sa.Column("inbox_id", sa.BigInteger(), primary_key=True),
    sa.Column("agent_id", sa.BigInteger(), primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
)

#: the window (s) each inbox's state was rebuilt with; a missing row means "rebuild"
state_hydrated = sa.Table(
    "state_hydrated",
    metadata,
    sa.Column("inbox_id", sa.BigInteger(), primary_key=True),
    sa.Column("window_seconds", sa.Integer(), nullable=False),
)

#: heartbeat expiry (ms) per agent with auto_offline
state_presence = sa.Table(
    "state_presence",
    metadata,
    sa.Column("account_id", sa.BigInteger(), primary_key=True),
    sa.Column("agent_id", sa.BigInteger(), primary_key=True),
    sa.Column("expires_ms", sa.BigInteger(), nullable=False),
)

#: run gates: held until ``expires_at`` (database clock); ``again`` = triggers arrived
state_run_gates = sa.Table(
    "state_run_gates",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("again", sa.Boolean(), nullable=False),
)

STATE_TABLES = (state_windows, state_rotation, state_hydrated, state_presence, state_run_gates)

__all__ = [
    "STATE_TABLES",
    "state_hydrated",
    "state_presence",
    "state_rotation",
    "state_run_gates",
    "state_windows",
]
