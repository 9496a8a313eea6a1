"""run_requests: the trigger outbox

Revision ID: 4f1e2d3c5b6a
Revises: 9d4c1f2a7b3e
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from autoassign.adapters.sql.types import UTCDateTime

revision = "4f1e2d3c5b6a"
down_revision = "9d4c1f2a7b3e"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "run_requests",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("inbox_id", Id, nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_run_requests_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_requests")),
    )
    op.create_index(op.f("ix_run_requests_inbox_id"), "run_requests", ["inbox_id"])
    op.create_index(op.f("ix_run_requests_requested_at"), "run_requests", ["requested_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_run_requests_requested_at"), table_name="run_requests")
    op.drop_index(op.f("ix_run_requests_inbox_id"), table_name="run_requests")
    op.drop_table("run_requests")
