"""Alembic environment: uses the caller's connection when given one (tests, CLI)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

import autoassign.adapters.state.postgres_tables  # noqa: F401  (registers the state tables)
from autoassign.adapters.sql.engine import make_sync_engine
from autoassign.adapters.sql.tables import metadata

config = context.config


def _ours(name: str | None, type_: str, _parents: object) -> bool:
    """Procrastinate's tables are created by our migrations but described by Procrastinate."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=_ours,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_sync_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


run_migrations_online()
