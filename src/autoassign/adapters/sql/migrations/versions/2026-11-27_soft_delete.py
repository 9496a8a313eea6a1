"""deleted_at on agents and inboxes: deleting keeps the assignment history

Deleting an agent or an inbox used to cascade its assignment history away. Both are now
marked deleted instead: they vanish from every read and can never be assigned, while the
assignments that name them stay.

Revision ID: 5e6f7a8b9c0d
Revises: c7a1e2b9d4f6
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autoassign.adapters.sql.types import UTCDateTime

revision = "5e6f7a8b9c0d"
down_revision = "c7a1e2b9d4f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("agents", "inboxes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    for table in ("agents", "inboxes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("deleted_at")
