"""The unit of work: one transaction, with a repository per aggregate and the read side.

Services own every write, and each service call is one unit of work: it opens ``write()``
(or ``read()``), changes what it must through the repositories, reads what it renders
through ``queries``, and commits on leaving the block. Repositories hold the writes and
the look-ups a write needs; ``Queries`` holds lists and composite views. An id of another
account is NotFound everywhere, never a cross-account read or write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from autoassign.core.drafts import (
    AgentPatch,
    CapacityPatch,
    ConversationChanges,
    InboxPatch,
    MemberChange,
    MembersChanged,
    Membership,
    TeamPatch,
    WebhookDraft,
    WebhookPatch,
)
from autoassign.core.model import Agent, Conversation, Inbox, Team
from autoassign.core.policies import AssignmentPolicy, CapacityPolicy
from autoassign.core.ports.deliveries import DeliveryRepository
from autoassign.core.schedules import Leave, Shift
from autoassign.core.views import (
    AgentView,
    AssignmentEventView,
    CapacityPolicyView,
    ConversationFilter,
    ConversationView,
    DutyView,
    EventFilter,
    InboxLimitView,
    InboxView,
    MemberView,
    Page,
    Paging,
    PolicyView,
    TeamView,
    WebhookView,
)


@dataclass(frozen=True, slots=True)
class ApiTokenView:
    """A token as listed: never the token itself (only its hash is stored)."""

    id: int
    account_id: int
    name: str
    #: "administrator" or "agent", as in Chatwoot
    role: str
    created_at: datetime


class AccountRepository(Protocol):
    async def add(self, name: str, now: datetime) -> int: ...
    async def require(self, account_id: int) -> None: ...
    async def add_token(self, account_id: int, name: str, token_hash: str, now: datetime) -> None:
        """Store a token's hash (the token itself is never stored)."""
        ...

    async def owner_of_token(self, token_hash: str) -> int | None: ...
    async def first_id(self) -> int | None: ...
    async def add_role_token(
        self, account_id: int, name: str, token_hash: str, role: str, now: datetime
    ) -> ApiTokenView:
        """Store a token's hash with its role (AccountNotFound for an unknown account)."""
        ...

    async def token_identity(self, token_hash: str) -> tuple[int, str] | None:
        """The account and role of a token, or None for an unknown (or revoked) one."""
        ...

    async def tokens(self, account_id: int) -> list[ApiTokenView]: ...
    async def revoke_token(self, account_id: int, token_id: int) -> None:
        """TokenNotFound unless the token belongs to the account."""
        ...


class DutyRepository(Protocol):
    """Working hours and time off (core/schedules.py)."""

    async def get(self, account_id: int, agent_id: int) -> DutyView: ...
    async def set_shifts(
        self, account_id: int, agent_id: int, time_zone: str, shifts: tuple[Shift, ...]
    ) -> None:
        """Replace the agent's working hours (none: all hours) and set their zone."""
        ...

    async def add_time_off(self, account_id: int, agent_id: int, leave: Leave) -> int: ...
    async def skills(self, account_id: int, agent_id: int) -> dict[str, int]: ...
    async def set_skills(self, account_id: int, agent_id: int, skills: dict[str, int]) -> None:
        """Replace the agent's skills (core/skills.py)."""
        ...

    async def skill_labels(self, account_id: int, inbox_id: int) -> dict[str, dict[str, int]]: ...
    async def set_skill_labels(
        self, account_id: int, inbox_id: int, labels: dict[str, dict[str, int]]
    ) -> None:
        """Replace what each label of the inbox's conversations requires."""
        ...

    async def get_inbox_hours(
        self, account_id: int, inbox_id: int
    ) -> tuple[str, tuple[Shift, ...]]: ...
    async def set_inbox_hours(
        self, account_id: int, inbox_id: int, time_zone: str, shifts: tuple[Shift, ...]
    ) -> None:
        """Replace the inbox's business hours (none: always open)."""
        ...

    async def delete_time_off(self, account_id: int, agent_id: int, time_off_id: int) -> None:
        """TimeOffNotFound when it is not one of the agent's."""
        ...


class AgentRepository(Protocol):
    async def add(self, agent: Agent, now: datetime) -> int: ...
    async def update(self, account_id: int, agent_id: int, patch: AgentPatch) -> None: ...
    async def delete(self, account_id: int, agent_id: int, now: datetime) -> set[int]:
        """Mark deleted (history stays); unassigns its open conversations and returns
        their inboxes. A deleted agent is NotFound everywhere and never assigned."""
        ...

    async def require(self, account_id: int, agent_ids: Iterable[int]) -> None: ...
    async def set_capacity_policy(
        self, account_id: int, agent_id: int, policy_id: int | None
    ) -> None: ...
    async def inbox_ids(self, agent_id: int) -> set[int]:
        """The inboxes the agent is a member of."""
        ...

    async def held_inbox_ids(self, agent_ids: Iterable[int]) -> set[int]:
        """The inboxes where these agents hold open conversations (one query)."""
        ...

    async def total_limited(self, agent_id: int) -> bool:
        """Whether the agent's capacity policy limits their total across inboxes."""
        ...


class InboxRepository(Protocol):
    async def add(self, inbox: Inbox, now: datetime) -> int: ...
    async def update(self, account_id: int, inbox_id: int, patch: InboxPatch) -> None: ...
    async def delete(self, account_id: int, inbox_id: int, now: datetime) -> None:
        """Mark deleted (conversations and history stay); it never runs again."""
        ...

    async def require(self, account_id: int, inbox_ids: Iterable[int]) -> None: ...
    async def set_member(
        self, account_id: int, inbox_id: int, agent_id: int, change: MemberChange
    ) -> MemberView:
        """Opt a member out of auto-assignment in the inbox (or back in), set their
        weight; returns the member as it was. InboxMemberNotFound when not a member."""
        ...

    async def change_members(
        self,
        account_id: int,
        inbox_id: int,
        agent_ids: Sequence[int],
        change: Membership,
        now: datetime,
    ) -> MembersChanged:
        """The conversations of agents taken out are stamped ``assignee_left_at`` (the
        reassignment grace counts from it); those of agents added back are cleared."""
        ...

    async def policy_id(self, account_id: int, inbox_id: int) -> int | None:
        """The linked assignment policy (InboxNotFound for an unknown inbox)."""
        ...

    async def link_policy(self, inbox_id: int, policy_id: int) -> None:
        """One policy per inbox: replaces any earlier link."""
        ...

    async def unlink_policy(self, inbox_id: int) -> None: ...
    async def sweepable_ids(self) -> list[int]:
        """Inboxes with auto-assignment on and an enabled policy, of every account."""
        ...


class TeamRepository(Protocol):
    async def add(self, team: Team, now: datetime) -> int: ...
    async def update(self, account_id: int, team_id: int, patch: TeamPatch) -> None: ...
    async def delete(self, account_id: int, team_id: int) -> None: ...
    async def require(self, account_id: int, team_ids: Iterable[int]) -> None: ...
    async def change_members(
        self,
        account_id: int,
        team_id: int,
        agent_ids: Sequence[int],
        change: Membership,
        now: datetime,
    ) -> MembersChanged:
        """As for inboxes, for the conversations of the team."""
        ...

    async def has_member(self, team_id: int, agent_id: int) -> bool: ...


class ConversationRepository(Protocol):
    async def add_many(
        self, account_id: int, drafts: Sequence[Conversation], now: datetime
    ) -> list[int]:
        """Insert (ids of the drafts are ignored); returns the ids in the drafts' order."""
        ...

    async def add(self, draft: Conversation, now: datetime) -> ConversationView:
        """Insert one and return it as stored, without reading it back."""
        ...

    async def update(
        self, account_id: int, conversation_id: int, changes: ConversationChanges, now: datetime
    ) -> None: ...

    async def record_manual(
        self,
        account_id: int,
        inbox_id: int,
        conversation_id: int,
        agent_id: int,
        reason: str,
        now: datetime,
    ) -> None:
        """An assignment made by a person, in the history (it counts toward no window)."""
        ...


class PolicyRepository(Protocol):
    async def add(self, policy: AssignmentPolicy, now: datetime) -> int: ...
    async def get(self, account_id: int, policy_id: int) -> AssignmentPolicy: ...
    async def save(self, policy: AssignmentPolicy, now: datetime) -> None: ...
    async def delete(self, account_id: int, policy_id: int) -> None: ...
    async def require(self, account_id: int, policy_ids: Iterable[int]) -> None: ...
    async def inbox_ids(self, policy_id: int) -> set[int]:
        """The inboxes the policy is linked to."""
        ...


class CapacityRepository(Protocol):
    async def add(self, policy: CapacityPolicy, now: datetime) -> int: ...
    async def update(self, account_id: int, policy_id: int, patch: CapacityPatch) -> None: ...
    async def delete(self, account_id: int, policy_id: int) -> None: ...
    async def require(self, account_id: int, policy_ids: Iterable[int]) -> None: ...
    async def add_limit(self, policy_id: int, inbox_id: int, conversation_limit: int) -> int: ...
    async def set_limit(self, limit_id: int, conversation_limit: int) -> None: ...
    async def delete_limit(self, limit_id: int) -> None: ...
    async def inbox_ids(self, policy_id: int) -> set[int]:
        """The inboxes the capacity policy limits."""
        ...


class WebhookRepository(Protocol):
    async def add(
        self, account_id: int, draft: WebhookDraft, secret: str, now: datetime
    ) -> int: ...
    async def update(self, account_id: int, webhook_id: int, patch: WebhookPatch) -> None: ...
    async def delete(self, account_id: int, webhook_id: int) -> None: ...


class RunRequestRepository(Protocol):
    """The trigger outbox: inboxes that must run, written with the change that says so."""

    async def add(self, inbox_ids: Iterable[int], now: datetime) -> None: ...
    async def outlived(self, before: datetime) -> list[int]:
        """Inboxes with a request older than ``before`` that no batch has taken yet."""
        ...


class Queries(Protocol):
    """The read side: lists and views, typed; NotFound for an id outside the account."""

    async def agents(
        self, account_id: int, *, capacity_policy_id: int | None = None
    ) -> list[AgentView]: ...
    async def agent(self, account_id: int, agent_id: int) -> AgentView: ...
    async def inboxes(
        self, account_id: int, *, policy_id: int | None = None
    ) -> list[InboxView]: ...
    async def inbox(self, account_id: int, inbox_id: int) -> InboxView: ...
    async def inbox_members(self, account_id: int, inbox_id: int) -> list[AgentView]: ...
    async def teams(self, account_id: int) -> list[TeamView]: ...
    async def team(self, account_id: int, team_id: int) -> TeamView: ...
    async def team_members(self, account_id: int, team_id: int) -> list[AgentView]: ...
    async def conversations(
        self, account_id: int, where: ConversationFilter, paging: Paging
    ) -> Page[ConversationView]: ...
    async def conversation(self, account_id: int, conversation_id: int) -> ConversationView: ...
    async def policies(self, account_id: int) -> list[PolicyView]: ...
    async def policy(self, account_id: int, policy_id: int) -> PolicyView: ...
    async def capacity_policies(self, account_id: int) -> list[CapacityPolicyView]: ...
    async def capacity_policy(self, account_id: int, policy_id: int) -> CapacityPolicyView: ...
    async def inbox_limit(
        self, account_id: int, policy_id: int, limit_id: int
    ) -> InboxLimitView: ...
    async def webhooks(self, account_id: int) -> list[WebhookView]: ...
    async def webhook(self, account_id: int, webhook_id: int) -> WebhookView: ...
    async def assignment_events(
        self, account_id: int, where: EventFilter, paging: Paging
    ) -> Page[AssignmentEventView]: ...


class UnitOfWork(Protocol):
    """Repositories are read-only members: a unit of work never swaps them."""

    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def agents(self) -> AgentRepository: ...
    @property
    def duty(self) -> DutyRepository: ...
    @property
    def inboxes(self) -> InboxRepository: ...
    @property
    def teams(self) -> TeamRepository: ...
    @property
    def conversations(self) -> ConversationRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def capacity(self) -> CapacityRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def runs(self) -> RunRequestRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository:
        """The webhook outbox; its log is read here too (one table, one module)."""
        ...

    @property
    def queries(self) -> Queries: ...


class UnitOfWorkFactory(Protocol):
    def write(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A write transaction: commits on leaving the block, rolls back on an error."""
        ...

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A read-only transaction (on SQLite it does not take the write lock)."""
        ...

    async def ping(self) -> None:
        """StoreUnavailable when the database cannot be reached."""
        ...
