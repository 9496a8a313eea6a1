"""The schema as SQLAlchemy Core tables; Alembic migrations must match it exactly."""

from __future__ import annotations

import sqlalchemy as sa

from autoassign.adapters.sql.types import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only


def _id() -> sa.Column[int]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def _fk(
    name: str, target: str, *, nullable: bool = False, ondelete: str = "CASCADE"
) -> sa.Column[int]:
    return sa.Column(name, Id, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _created() -> sa.Column[object]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    _created(),
)

capacity_policies = sa.Table(
    "capacity_policies",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("excluded_labels", sa.JSON(), nullable=False),
    sa.Column("exclude_older_than_hours", sa.Integer(), nullable=True),
    _created(),
    sa.Index(None, "account_id"),
)

agents = sa.Table(
    "agents",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("email", sa.String(255), nullable=True),
    sa.Column("availability", sa.String(16), nullable=False, server_default="offline"),
    sa.Column("auto_offline", sa.Boolean(), nullable=False, server_default=sa.false()),
    _fk("capacity_policy_id", "capacity_policies.id", nullable=True, ondelete="SET NULL"),
    _created(),
    sa.CheckConstraint("availability IN ('online', 'busy', 'offline')", name="availability"),
    sa.Index(None, "account_id"),
)

inboxes = sa.Table(
    "inboxes",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("enable_auto_assignment", sa.Boolean(), nullable=False, server_default=sa.true()),
    _created(),
    sa.Index(None, "account_id"),
)

inbox_members = sa.Table(
    "inbox_members",
    metadata,
    _fk("inbox_id", "inboxes.id"),
    _fk("agent_id", "agents.id"),
    sa.PrimaryKeyConstraint("inbox_id", "agent_id"),
    sa.Index(None, "agent_id"),
)

teams = sa.Table(
    "teams",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("allow_auto_assign", sa.Boolean(), nullable=False, server_default=sa.true()),
    _created(),
    sa.Index(None, "account_id"),
)

team_members = sa.Table(
    "team_members",
    metadata,
    _fk("team_id", "teams.id"),
    _fk("agent_id", "agents.id"),
    sa.PrimaryKeyConstraint("team_id", "agent_id"),
    sa.Index(None, "agent_id"),
)

_OPEN_UNASSIGNED = sa.text("status = 'open' AND assignee_id IS NULL")
_OPEN_ASSIGNED = sa.text("status = 'open' AND assignee_id IS NOT NULL")

conversations = sa.Table(
    "conversations",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("inbox_id", "inboxes.id"),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("priority", sa.String(16), nullable=True),
    _fk("team_id", "teams.id", nullable=True, ondelete="SET NULL"),
    _fk("assignee_id", "agents.id", nullable=True, ondelete="SET NULL"),
    _created(),
    sa.Column("last_activity_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'pending', 'resolved', 'snoozed')", name="status"),
    sa.CheckConstraint(
        "priority IS NULL OR priority IN ('low', 'medium', 'high', 'urgent')", name="priority"
    ),
    # Candidates in earliest_created and longest_waiting order: only the open, unassigned
    # rows are indexed, so the index stays small however many conversations are closed.
    sa.Index(
        "ix_conversations_candidates_created",
        "inbox_id",
        "created_at",
        "id",
        postgresql_where=_OPEN_UNASSIGNED,
        sqlite_where=_OPEN_UNASSIGNED,
    ),
    sa.Index(
        "ix_conversations_candidates_waiting",
        "inbox_id",
        "last_activity_at",
        "created_at",
        "id",
        postgresql_where=_OPEN_UNASSIGNED,
        sqlite_where=_OPEN_UNASSIGNED,
    ),
    # Open load per (inbox, agent) for capacity and balanced selection.
    sa.Index(
        "ix_conversations_open_load",
        "inbox_id",
        "assignee_id",
        postgresql_where=_OPEN_ASSIGNED,
        sqlite_where=_OPEN_ASSIGNED,
    ),
    sa.Index(None, "account_id", "inbox_id", "status"),
    sa.Index(None, "assignee_id"),
    sa.Index(None, "team_id"),
)

conversation_labels = sa.Table(
    "conversation_labels",
    metadata,
    _fk("conversation_id", "conversations.id"),
    sa.Column("label", sa.String(255), nullable=False),
    sa.PrimaryKeyConstraint("conversation_id", "label"),
    sa.Index(None, "label"),
)

assignment_policies = sa.Table(
    "assignment_policies",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("assignment_order", sa.String(32), nullable=False, server_default="round_robin"),
    sa.Column(
        "conversation_priority", sa.String(32), nullable=False, server_default="earliest_created"
    ),
    sa.Column("fair_distribution_limit", sa.Integer(), nullable=False, server_default="100"),
    sa.Column("fair_distribution_window", sa.Integer(), nullable=False, server_default="3600"),
    sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("exclude_older_than_hours", sa.Integer(), nullable=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("account_id", "name"),
    sa.CheckConstraint("fair_distribution_limit > 0", name="limit_positive"),
    sa.CheckConstraint("fair_distribution_window > 0", name="window_positive"),
    sa.CheckConstraint("assignment_order IN ('round_robin', 'balanced')", name="assignment_order"),
    sa.CheckConstraint(
        "conversation_priority IN ('earliest_created', 'longest_waiting')",
        name="conversation_priority",
    ),
)

inbox_assignment_policies = sa.Table(
    "inbox_assignment_policies",
    metadata,
    sa.Column("inbox_id", Id, sa.ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True),
    _fk("assignment_policy_id", "assignment_policies.id"),
    sa.Index(None, "assignment_policy_id"),
)

inbox_capacity_limits = sa.Table(
    "inbox_capacity_limits",
    metadata,
    _id(),
    _fk("capacity_policy_id", "capacity_policies.id"),
    _fk("inbox_id", "inboxes.id"),
    sa.Column("conversation_limit", sa.Integer(), nullable=False),
    sa.UniqueConstraint("capacity_policy_id", "inbox_id"),
    sa.CheckConstraint("conversation_limit > 0", name="limit_positive"),
    sa.Index(None, "inbox_id"),
)

assignments = sa.Table(
    "assignments",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("inbox_id", "inboxes.id"),
    _fk("conversation_id", "conversations.id"),
    _fk("agent_id", "agents.id"),
    _fk("policy_id", "assignment_policies.id", nullable=True, ondelete="SET NULL"),
    sa.Column("selector", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("assigned_at", UTCDateTime(), nullable=False),
    sa.Index(None, "inbox_id", "assigned_at"),
    sa.Index(None, "inbox_id", "agent_id", "id"),
    sa.Index(None, "conversation_id"),
    sa.Index(None, "agent_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    #: SHA-256 of the token; the token itself is shown once and never stored
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    _created(),
    sa.Index(None, "account_id"),
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("subscriptions", sa.JSON(), nullable=False),
    #: HMAC-SHA256 key for the signature header; needed in clear to sign
    sa.Column("secret", sa.String(128), nullable=False),
    _created(),
    sa.Index(None, "account_id"),
)
