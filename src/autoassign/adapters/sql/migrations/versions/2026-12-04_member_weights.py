"""Weighted shares: inbox_members.weight

Issue 13.6: a member's share of the inbox's work relative to the others (1: equal
shares, the reference behaviour); core/selectors.py.

Revision ID: 7a9c1e3b5d6f
Revises: 4f6a8c0e2b4d
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7a9c1e3b5d6f"
down_revision = "4f6a8c0e2b4d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_members") as batch:
        batch.add_column(sa.Column("weight", sa.SmallInteger(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("inbox_members") as batch:
        batch.drop_column("weight")
