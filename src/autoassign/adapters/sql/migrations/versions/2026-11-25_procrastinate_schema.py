"""procrastinate schema: the job tables, on PostgreSQL only

The embedded default (SQLite) runs jobs in-process and needs none of this. Procrastinate
is pinned to 3.10.*; its later migrations are added here as new revisions.

Revision ID: 533e5e0231b1
Revises: c66e39e12232
Create Date: 2026-11-25 02:30:34.052248
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "533e5e0231b1"
down_revision: str | None = "c66e39e12232"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # straight to psycopg without parameters, so the script's "%" and "::" stay as written
    with bind.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,"
        " procrastinate_jobs, procrastinate_workers CASCADE;"
        " DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type CASCADE;"
    )
