"""Skills with proficiency: agents.skills, conversations.required_skills,
inboxes.skill_labels, assignment_policies.skill_relaxation (JSON)

Issue 13.4 (core/skills.py). JSON columns: read with the rows a batch reads anyway, so
skills cost no extra round trip.

Revision ID: 8c0e2a4b6d9f
Revises: 5b7d9f1a3c8e
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8c0e2a4b6d9f"
down_revision = "5b7d9f1a3c8e"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("agents", "skills"),
    ("inboxes", "skill_labels"),
    ("conversations", "required_skills"),
    ("assignment_policies", "skill_relaxation"),
)


def upgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
