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
    #: the most open conversations an agent under this policy holds across all the
    #: account's inboxes, on top of the per-inbox limits; null: none
    sa.Column("total_limit", sa.Integer(), nullable=True),
    sa.Index(None, "account_id"),
    # a unique index rather than a constraint: SQLite adds one in place, while adding a
    # constraint rebuilds the table, and dropping the old one would cascade to its limits
    sa.Index("uq_capacity_policies_account_id_name", "account_id", "name", unique=True),
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
    #: set when deleted: the agent leaves every read and inbox, its history stays
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    #: when the agent last left "online" (busy or offline); null while online. The grace
    #: period of reassignment counts from it (core/reassignment.py)
    sa.Column("away_since", UTCDateTime(), nullable=True),
    #: skill → level 1 to 5 (core/skills.py)
    sa.Column("skills", sa.JSON(), nullable=True),
    #: the IANA zone of the agent's working hours (core/schedules.py)
    sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
    #: the agent has working hours or time off: only then does a batch read them
    sa.Column("has_duty", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.CheckConstraint("availability IN ('online', 'busy', 'offline')", name="availability"),
    sa.Index(None, "account_id"),
)


def _weekly(name: str, owner: str, target: str) -> sa.Table:
    """Weekly shifts in the owner's time zone and wall-clock minutes (core/schedules.py)."""
    return sa.Table(
        name,
        metadata,
        _id(),
        _fk(owner, target),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
        sa.Index(None, owner),
    )


#: an agent's working hours
agent_shifts = _weekly("agent_shifts", "agent_id", "agents.id")
#: an inbox's business hours (outside them it assigns nothing)
inbox_hours = _weekly("inbox_hours", "inbox_id", "inboxes.id")

agent_time_off = sa.Table(
    "agent_time_off",
    metadata,
    _id(),
    _fk("agent_id", "agents.id"),
    sa.Column("starts_at", UTCDateTime(), nullable=False),
    sa.Column("ends_at", UTCDateTime(), nullable=False),
    sa.Column("reason", sa.String(255), nullable=False, server_default=""),
    sa.Index(None, "agent_id", "ends_at"),
)

inboxes = sa.Table(
    "inboxes",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("enable_auto_assignment", sa.Boolean(), nullable=False, server_default=sa.true()),
    _created(),
    #: the zone of its business hours, and whether it has any (then a batch reads them)
    sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("has_hours", sa.Boolean(), nullable=False, server_default=sa.false()),
    #: label → {skill: minimum level}: what a label requires (core/skills.py)
    sa.Column("skill_labels", sa.JSON(), nullable=True),
    #: set when deleted: the inbox leaves every read and never runs, its history stays
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
    sa.Index(None, "account_id"),
)

inbox_members = sa.Table(
    "inbox_members",
    metadata,
    _fk("inbox_id", "inboxes.id"),
    _fk("agent_id", "agents.id"),
    #: false: a member who never receives auto-assignments here (a watcher, a supervisor)
    sa.Column("auto_assign", sa.Boolean(), nullable=False, server_default=sa.true()),
    #: the member's share of the inbox's work relative to the others (1: equal shares)
    sa.Column("weight", sa.SmallInteger(), nullable=False, server_default="1"),
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
_OPEN_UNASSIGNED_DUE = sa.text("status = 'open' AND assignee_id IS NULL AND sla_due_at IS NOT NULL")

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
    # what the reassignment timers read (core/reassignment.py, docs/timers.md)
    #: when the current assignee got it
    sa.Column("assigned_at", UTCDateTime(), nullable=True),
    #: the oldest customer message no agent has answered yet (Chatwoot's waiting_since)
    sa.Column("waiting_since", UTCDateTime(), nullable=True),
    sa.Column("first_reply_at", UTCDateTime(), nullable=True),
    #: the latest agent reply
    sa.Column("agent_replied_at", UTCDateTime(), nullable=True),
    #: the latest move back to open from resolved, pending or snoozed
    sa.Column("reopened_at", UTCDateTime(), nullable=True),
    #: when the assignee was taken out of the inbox or of the conversation's team
    sa.Column("assignee_left_at", UTCDateTime(), nullable=True),
    #: how often the engine took it from an assignee (capped by the policy)
    sa.Column("reassignments", sa.Integer(), nullable=False, server_default="0"),
    #: the assignee it was taken from, and why, until it is assigned again
    sa.Column("previous_assignee_id", Id, nullable=True),
    sa.Column("reassign_reason", sa.String(32), nullable=True),
    #: ``priority`` as a number, 0 (urgent) to 4 (none) (core/model.py ``priority_order``),
    #: kept with it on every write, so the priority and SLA orders walk an index
    sa.Column("priority_order", sa.SmallInteger(), nullable=False, server_default="4"),
    #: when the first response is due
    sa.Column("sla_due_at", UTCDateTime(), nullable=True),
    #: the customer; the sticky rule prefers their earlier agent in the inbox
    sa.Column("contact_id", sa.BigInteger(), nullable=True),
    #: an agent to prefer, set explicitly (no foreign key: a preference, not a link)
    sa.Column("preferred_agent_id", Id, nullable=True),
    #: skill → minimum level the conversation requires (core/skills.py)
    sa.Column("required_skills", sa.JSON(), nullable=True),
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
    # the priority order, and the SLA order (those with a due time; the rest then follow
    # in the priority order)
    sa.Index(
        "ix_conversations_candidates_priority",
        "inbox_id",
        "priority_order",
        "created_at",
        "id",
        postgresql_where=_OPEN_UNASSIGNED,
        sqlite_where=_OPEN_UNASSIGNED,
    ),
    sa.Index(
        "ix_conversations_candidates_sla",
        "inbox_id",
        "sla_due_at",
        "priority_order",
        "created_at",
        "id",
        postgresql_where=_OPEN_UNASSIGNED_DUE,
        sqlite_where=_OPEN_UNASSIGNED_DUE,
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
    sa.Index(None, "inbox_id", "contact_id"),
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
    # reassignment (off while null / false: core/policies.py says what each means)
    sa.Column("reassign_after_absent_seconds", sa.Integer(), nullable=True),
    sa.Column("reassign_only_unreplied", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("reassign_unanswered_after_seconds", sa.Integer(), nullable=True),
    sa.Column("max_reassignments", sa.Integer(), nullable=False, server_default="3"),
    sa.Column("reassign_on_reopen", sa.Boolean(), nullable=False, server_default=sa.false()),
    # overflow (off while null): a team conversation waiting this long widens
    sa.Column("overflow_after_seconds", sa.Integer(), nullable=True),
    #: the team it widens to (null: every inbox member)
    _fk("overflow_team_id", "teams.id", nullable=True, ondelete="SET NULL"),
    # sticky agents (off while sticky_days is null and no conversation names an agent)
    sa.Column("sticky_days", sa.Integer(), nullable=True),
    sa.Column("preferred_hold_seconds", sa.Integer(), nullable=False, server_default="0"),
    #: [{after_seconds, lower_by}]: the skills relaxation ladder (core/skills.py)
    sa.Column("skill_relaxation", sa.JSON(), nullable=True),
    sa.UniqueConstraint("account_id", "name"),
    sa.CheckConstraint("fair_distribution_limit > 0", name="limit_positive"),
    sa.CheckConstraint("fair_distribution_window > 0", name="window_positive"),
    sa.CheckConstraint("assignment_order IN ('round_robin', 'balanced')", name="assignment_order"),
    sa.CheckConstraint(
        "conversation_priority IN ('earliest_created', 'longest_waiting', 'priority', 'sla_due')",
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
    #: for a reassignment: whom it was taken from and why (no foreign key: the row is
    #: history, and the hot insert keeps its cost)
    sa.Column("previous_agent_id", Id, nullable=True),
    sa.Column("reassign_reason", sa.String(32), nullable=True),
    sa.Index(None, "inbox_id", "assigned_at"),
    sa.Index(None, "inbox_id", "agent_id", "id"),
    sa.Index(None, "conversation_id"),
    sa.Index(None, "agent_id"),
)

#: the trigger outbox: a change that must run an inbox writes a row in its own transaction,
#: and the inbox's next batch deletes it (under the inbox lock). A row that outlives every
#: batch means its trigger was lost (the process died after the commit): a relay queues
#: the run. See docs/jobs.md.
run_requests = sa.Table(
    "run_requests",
    metadata,
    _id(),
    _fk("inbox_id", "inboxes.id"),
    sa.Column("requested_at", UTCDateTime(), nullable=False),
    sa.Index(None, "inbox_id"),
    sa.Index(None, "requested_at"),
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
    #: as in Chatwoot: an agent's token may not use the administration routes
    sa.Column("role", sa.String(16), nullable=False, server_default="administrator"),
    sa.CheckConstraint("role IN ('administrator', 'agent')", name="role"),
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

# Webhook outbox (migration 2026-11-27_webhook_outbox) ------------------------------------

_PENDING = sa.text("status = 'pending'")

#: one row per event and subscribed webhook, written in the transaction of the assignment
#: it announces and sent later (core/ports/deliveries.py says how it is claimed)
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    _fk("webhook_id", "webhooks.id"),
    sa.Column("event", sa.String(64), nullable=False),
    #: the ``webhook-id`` header (a UUID): the same for every attempt and replay
    sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    #: attempts in the current round (a replay starts a new one)
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    #: when a pending delivery is due; null once it is settled
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    #: set while a runner sends it: no other runner claims it until then
    sa.Column("leased_until", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    _created(),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed', 'refused')", name="status"),
    # what is due, oldest first: only pending rows, so it stays as small as the backlog
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        "id",
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    ),
    sa.Index(None, "leased_until"),
    sa.Index(None, "webhook_id", "id"),
)

#: every attempt of a delivery, for the delivery log
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    _id(),
    _fk("webhook_delivery_id", "webhook_deliveries.id"),
    #: 1, 2, ... across rounds
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("duration_ms", sa.Float(), nullable=False),
    sa.UniqueConstraint("webhook_delivery_id", "number"),
)

# Chatwoot compatibility and connector (migration 2026-11-27_chatwoot) -------------------

#: one Chatwoot installation's account, connected to one autoassign account
chatwoot_connections = sa.Table(
    "chatwoot_connections",
    metadata,
    _id(),
    _fk("account_id", "accounts.id"),
    sa.Column("base_url", sa.String(2048), nullable=False),
    sa.Column("chatwoot_account_id", sa.BigInteger(), nullable=False),
    #: sent to Chatwoot on every call, so it is kept in clear (like a webhook's secret)
    sa.Column("api_token", sa.String(512), nullable=False),
    #: SHA-256 of the secret in our webhook URL; the secret itself is shown once
    sa.Column("webhook_token_hash", sa.String(64), nullable=False, unique=True),
    #: Chatwoot's webhook secret (newer versions sign); null: deliveries are not signed
    sa.Column("webhook_secret", sa.String(512), nullable=True),
    _created(),
    sa.Column("synced_at", UTCDateTime(), nullable=True),
    sa.Column("sync_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
    #: assignments with ids up to here have all been looked at for write-back
    sa.Column("assignment_floor", sa.BigInteger(), nullable=False, server_default="0"),
    #: the connector process that works this connection, until when
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("account_id"),
)

#: Chatwoot id → autoassign id, for agents, inboxes and teams
chatwoot_links = sa.Table(
    "chatwoot_links",
    metadata,
    _fk("connection_id", "chatwoot_connections.id"),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("chatwoot_id", sa.BigInteger(), nullable=False),
    sa.Column("local_id", sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint("connection_id", "kind", "chatwoot_id"),
    sa.CheckConstraint("kind IN ('agent', 'inbox', 'team')", name="kind"),
)

#: Chatwoot conversation (its display id) → autoassign conversation, with what we know
#: of its assignee on both sides (to tell a person's choice from our own write)
chatwoot_conversations = sa.Table(
    "chatwoot_conversations",
    metadata,
    _fk("connection_id", "chatwoot_connections.id"),
    sa.Column("chatwoot_id", sa.BigInteger(), nullable=False),
    _fk("conversation_id", "conversations.id"),
    #: Chatwoot's ``updated_at`` of the newest state applied (older events are stale)
    sa.Column("version", sa.Float(), nullable=True),
    #: the assignee Chatwoot showed last (its user id)
    sa.Column("chatwoot_assignee_id", sa.BigInteger(), nullable=True),
    #: the assignee we last wrote to Chatwoot (its user id)
    sa.Column("written_assignee_id", sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint("connection_id", "chatwoot_id"),
    sa.UniqueConstraint("conversation_id"),
)

#: webhooks received and not yet applied (or applied recently: duplicates are dropped)
chatwoot_inbound = sa.Table(
    "chatwoot_inbound",
    metadata,
    _id(),
    _fk("connection_id", "chatwoot_connections.id"),
    #: X-Chatwoot-Delivery, or the SHA-256 of the body when Chatwoot sends none
    sa.Column("delivery_id", sa.String(128), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("error", sa.Text(), nullable=True),
    sa.UniqueConstraint("connection_id", "delivery_id"),
    sa.Index(None, "connection_id", "processed_at", "id"),
)

#: one row per assignment to write to Chatwoot: the durable outbox
chatwoot_writebacks = sa.Table(
    "chatwoot_writebacks",
    metadata,
    _id(),
    _fk("connection_id", "chatwoot_connections.id"),
    _fk("assignment_id", "assignments.id"),
    _fk("conversation_id", "conversations.id"),
    sa.Column("agent_id", sa.BigInteger(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    _created(),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("assignment_id"),
    sa.CheckConstraint("state IN ('pending', 'done', 'superseded', 'failed')", name="state"),
    sa.Index(None, "connection_id", "state", "next_attempt_at"),
    sa.Index(None, "conversation_id"),
)
