"""initial schema

Revision ID: 45bba3298a4e
Revises:
Create Date: 2026-11-25 01:45:24.940379
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import autoassign.adapters.sql.types

revision: str = "45bba3298a4e"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "assignment_policies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "assignment_order", sa.String(length=32), server_default="round_robin", nullable=False
        ),
        sa.Column(
            "conversation_priority",
            sa.String(length=32),
            server_default="earliest_created",
            nullable=False,
        ),
        sa.Column("fair_distribution_limit", sa.Integer(), server_default="100", nullable=False),
        sa.Column("fair_distribution_window", sa.Integer(), server_default="3600", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("exclude_older_than_hours", sa.Integer(), nullable=True),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "assignment_order IN ('round_robin', 'balanced')",
            name=op.f("ck_assignment_policies_assignment_order"),
        ),
        sa.CheckConstraint(
            "conversation_priority IN ('earliest_created', 'longest_waiting')",
            name=op.f("ck_assignment_policies_conversation_priority"),
        ),
        sa.CheckConstraint(
            "fair_distribution_limit > 0", name=op.f("ck_assignment_policies_limit_positive")
        ),
        sa.CheckConstraint(
            "fair_distribution_window > 0", name=op.f("ck_assignment_policies_window_positive")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_assignment_policies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_policies")),
        sa.UniqueConstraint(
            "account_id", "name", name=op.f("uq_assignment_policies_account_id_name")
        ),
    )
    op.create_table(
        "capacity_policies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("excluded_labels", sa.JSON(), nullable=False),
        sa.Column("exclude_older_than_hours", sa.Integer(), nullable=True),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_capacity_policies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_policies")),
    )
    with op.batch_alter_table("capacity_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capacity_policies_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "inboxes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("enable_auto_assignment", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_inboxes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inboxes")),
    )
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inboxes_account_id"), ["account_id"], unique=False)

    op.create_table(
        "teams",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("allow_auto_assign", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_teams_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_account_id"), ["account_id"], unique=False)

    op.create_table(
        "agents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("availability", sa.String(length=16), server_default="offline", nullable=False),
        sa.Column("auto_offline", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "capacity_policy_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "availability IN ('online', 'busy', 'offline')", name=op.f("ck_agents_availability")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_agents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["capacity_policy_id"],
            ["capacity_policies.id"],
            name=op.f("fk_agents_capacity_policy_id_capacity_policies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_account_id"), ["account_id"], unique=False)

    op.create_table(
        "inbox_assignment_policies",
        sa.Column("inbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "assignment_policy_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["assignment_policy_id"],
            ["assignment_policies.id"],
            name=op.f("fk_inbox_assignment_policies_assignment_policy_id_assignment_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_inbox_assignment_policies_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_inbox_assignment_policies")),
    )
    with op.batch_alter_table("inbox_assignment_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_assignment_policies_assignment_policy_id"),
            ["assignment_policy_id"],
            unique=False,
        )

    op.create_table(
        "inbox_capacity_limits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "capacity_policy_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("inbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_limit", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "conversation_limit > 0", name=op.f("ck_inbox_capacity_limits_limit_positive")
        ),
        sa.ForeignKeyConstraint(
            ["capacity_policy_id"],
            ["capacity_policies.id"],
            name=op.f("fk_inbox_capacity_limits_capacity_policy_id_capacity_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_inbox_capacity_limits_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_capacity_limits")),
        sa.UniqueConstraint(
            "capacity_policy_id",
            "inbox_id",
            name=op.f("uq_inbox_capacity_limits_capacity_policy_id_inbox_id"),
        ),
    )
    with op.batch_alter_table("inbox_capacity_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_capacity_limits_inbox_id"), ["inbox_id"], unique=False
        )

    op.create_table(
        "conversations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("inbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "assignee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("last_activity_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "priority IS NULL OR priority IN ('low', 'medium', 'high', 'urgent')",
            name=op.f("ck_conversations_priority"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'pending', 'resolved', 'snoozed')",
            name=op.f("ck_conversations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_conversations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["agents.id"],
            name=op.f("fk_conversations_assignee_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_conversations_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_conversations_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversations_account_id_inbox_id_status"),
            ["account_id", "inbox_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_conversations_candidates_created",
            ["inbox_id", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NULL"),
        )
        batch_op.create_index(
            "ix_conversations_candidates_waiting",
            ["inbox_id", "last_activity_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NULL"),
        )
        batch_op.create_index(
            "ix_conversations_open_load",
            ["inbox_id", "assignee_id"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
        )
        batch_op.create_index(batch_op.f("ix_conversations_team_id"), ["team_id"], unique=False)

    op.create_table(
        "inbox_members",
        sa.Column("inbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_inbox_members_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_inbox_members_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inbox_id", "agent_id", name=op.f("pk_inbox_members")),
    )
    with op.batch_alter_table("inbox_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_members_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_team_members_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_members_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "agent_id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "assignments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("inbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("selector", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("assigned_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_assignments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_assignments_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_assignments_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_assignments_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["assignment_policies.id"],
            name=op.f("fk_assignments_policy_id_assignment_policies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assignments_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assignments_inbox_id_agent_id_id"),
            ["inbox_id", "agent_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_assignments_inbox_id_assigned_at"),
            ["inbox_id", "assigned_at"],
            unique=False,
        )

    op.create_table(
        "conversation_labels",
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_labels_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "label", name=op.f("pk_conversation_labels")),
    )
    with op.batch_alter_table("conversation_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_labels_label"), ["label"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversation_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_labels_label"))

    op.drop_table("conversation_labels")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_inbox_id_assigned_at"))
        batch_op.drop_index(batch_op.f("ix_assignments_inbox_id_agent_id_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_agent_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_agent_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("inbox_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_members_agent_id"))

    op.drop_table("inbox_members")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_team_id"))
        batch_op.drop_index(
            "ix_conversations_open_load",
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_conversations_candidates_waiting",
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NULL"),
        )
        batch_op.drop_index(
            "ix_conversations_candidates_created",
            postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_conversations_assignee_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_account_id_inbox_id_status"))

    op.drop_table("conversations")
    with op.batch_alter_table("inbox_capacity_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_capacity_limits_inbox_id"))

    op.drop_table("inbox_capacity_limits")
    with op.batch_alter_table("inbox_assignment_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_assignment_policies_assignment_policy_id"))

    op.drop_table("inbox_assignment_policies")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_account_id"))

    op.drop_table("agents")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_account_id"))

    op.drop_table("teams")
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inboxes_account_id"))

    op.drop_table("inboxes")
    with op.batch_alter_table("capacity_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capacity_policies_account_id"))

    op.drop_table("capacity_policies")
    op.drop_table("assignment_policies")
    op.drop_table("accounts")
