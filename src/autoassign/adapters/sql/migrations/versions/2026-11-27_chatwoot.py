"""chatwoot: token roles, and the connector's tables

API tokens get a role, as Chatwoot's users have (an agent's token may not administer);
existing tokens stay administrators. The connector keeps its own state in five tables:
the connection, id links (agents, inboxes, teams), conversation links with what each
side last showed of the assignee, received webhooks (durable, deduplicated), and the
write-back outbox (one row per assignment, so nothing is lost on a restart).

Revision ID: c7a1e2b9d4f6
Revises: 4f1e2d3c5b6a
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import autoassign.adapters.sql.types

revision: str = "c7a1e2b9d4f6"
down_revision: str | None = "4f1e2d3c5b6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chatwoot_connections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("base_url", sa.String(length=2048), nullable=False),
        sa.Column("chatwoot_account_id", sa.BigInteger(), nullable=False),
        sa.Column("api_token", sa.String(length=512), nullable=False),
        sa.Column("webhook_token_hash", sa.String(length=64), nullable=False),
        sa.Column("webhook_secret", sa.String(length=512), nullable=True),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("synced_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=True),
        sa.Column("sync_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("assignment_floor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", autoassign.adapters.sql.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_chatwoot_connections_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatwoot_connections")),
        sa.UniqueConstraint("account_id", name=op.f("uq_chatwoot_connections_account_id")),
        sa.UniqueConstraint(
            "webhook_token_hash", name=op.f("uq_chatwoot_connections_webhook_token_hash")
        ),
    )
    op.create_table(
        "chatwoot_inbound",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "connection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("processed_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["chatwoot_connections.id"],
            name=op.f("fk_chatwoot_inbound_connection_id_chatwoot_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatwoot_inbound")),
        sa.UniqueConstraint(
            "connection_id",
            "delivery_id",
            name=op.f("uq_chatwoot_inbound_connection_id_delivery_id"),
        ),
    )
    with op.batch_alter_table("chatwoot_inbound", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chatwoot_inbound_connection_id_processed_at_id"),
            ["connection_id", "processed_at", "id"],
            unique=False,
        )

    op.create_table(
        "chatwoot_links",
        sa.Column(
            "connection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("chatwoot_id", sa.BigInteger(), nullable=False),
        sa.Column("local_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('agent', 'inbox', 'team')", name=op.f("ck_chatwoot_links_kind")
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["chatwoot_connections.id"],
            name=op.f("fk_chatwoot_links_connection_id_chatwoot_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "kind", "chatwoot_id", name=op.f("pk_chatwoot_links")
        ),
    )
    op.create_table(
        "chatwoot_conversations",
        sa.Column(
            "connection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("chatwoot_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Float(), nullable=True),
        sa.Column("chatwoot_assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("written_assignee_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["chatwoot_connections.id"],
            name=op.f("fk_chatwoot_conversations_connection_id_chatwoot_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_chatwoot_conversations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "chatwoot_id", name=op.f("pk_chatwoot_conversations")
        ),
        sa.UniqueConstraint(
            "conversation_id", name=op.f("uq_chatwoot_conversations_conversation_id")
        ),
    )
    op.create_table(
        "chatwoot_writebacks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "connection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", autoassign.adapters.sql.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'superseded', 'failed')",
            name=op.f("ck_chatwoot_writebacks_state"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_chatwoot_writebacks_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["chatwoot_connections.id"],
            name=op.f("fk_chatwoot_writebacks_connection_id_chatwoot_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_chatwoot_writebacks_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatwoot_writebacks")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_chatwoot_writebacks_assignment_id")),
    )
    with op.batch_alter_table("chatwoot_writebacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chatwoot_writebacks_connection_id_state_next_attempt_at"),
            ["connection_id", "state", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_chatwoot_writebacks_conversation_id"), ["conversation_id"], unique=False
        )

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), server_default="administrator", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_api_tokens_role"), "role IN ('administrator', 'agent')"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_role"), type_="check")
        batch_op.drop_column("role")

    with op.batch_alter_table("chatwoot_writebacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chatwoot_writebacks_conversation_id"))
        batch_op.drop_index(
            batch_op.f("ix_chatwoot_writebacks_connection_id_state_next_attempt_at")
        )

    op.drop_table("chatwoot_writebacks")
    op.drop_table("chatwoot_conversations")
    op.drop_table("chatwoot_links")
    with op.batch_alter_table("chatwoot_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chatwoot_inbound_connection_id_processed_at_id"))

    op.drop_table("chatwoot_inbound")
    op.drop_table("chatwoot_connections")
