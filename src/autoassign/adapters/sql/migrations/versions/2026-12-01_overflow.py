"""Overflow: a team conversation waiting too long widens to another team or to everyone

Issue 13.5: ``overflow_after_seconds`` and ``overflow_team_id`` on assignment policies
(core/routing.py ``widened``).

Revision ID: 9e1a3c5b7d2f
Revises: 6d2f4b8e0a1c
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9e1a3c5b7d2f"
down_revision = "6d2f4b8e0a1c"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("assignment_policies") as batch:
        batch.add_column(sa.Column("overflow_after_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("overflow_team_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_assignment_policies_overflow_team_id_teams",
            "teams",
            ["overflow_team_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment_policies") as batch:
        batch.drop_constraint("fk_assignment_policies_overflow_team_id_teams", type_="foreignkey")
        batch.drop_column("overflow_team_id")
        batch.drop_column("overflow_after_seconds")
