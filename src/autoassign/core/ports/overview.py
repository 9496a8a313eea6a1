"""The read side of the admin page, the metrics scrape and readiness: what people look at.

Why a port of its own: these reads cut across aggregates (a queue is conversations of an
inbox with its policy link; a load is conversations of an agent against a capacity limit;
a window is assignments of an inbox), and they are aggregates *over* rows, not rows. The
unit of work's ``Queries`` renders rows for the API; putting counts and windows there
would make every ``Queries`` implementation carry the admin page. Everything here is a
read: the admin page changes things only through the existing services.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from autoassign.core import errors
from autoassign.core.views import AssignmentEventView


@dataclass(frozen=True, slots=True)
class InboxQueue:
    """An inbox's waiting conversations (open and unassigned)."""

    account_id: int
    inbox_id: int
    waiting: int
    #: creation time of the oldest waiting conversation, None when none waits
    oldest_created_at: datetime | None
    #: the linked assignment policy, if any
    policy_id: int | None = None


@dataclass(frozen=True, slots=True)
class MemberLoad:
    """One inbox member: open conversations in the inbox against its capacity limit."""

    agent_id: int
    inbox_id: int
    open_load: int
    #: the limit of the agent's capacity policy for this inbox; None: unlimited
    capacity: int | None


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """An agent's open conversations, all inboxes together (the per-agent metric)."""

    account_id: int
    agent_id: int
    open_load: int


@dataclass(frozen=True, slots=True)
class WindowFill:
    """An agent's fair-distribution window in one inbox, as recorded in SQL.

    ``count`` is what the window holds now; ``frees_at`` is when it drops below
    ``limit`` (the moment the ``limit``-th newest entry leaves), None when it is not full.
    """

    agent_id: int
    count: int
    frees_at: datetime | None


@dataclass(frozen=True, slots=True)
class RecentAssignment:
    event: AssignmentEventView
    agent_name: str
    inbox_name: str


class OverviewReader(Protocol):
    async def account_name(self, account_id: int) -> str:
        """AccountNotFound for an unknown account."""
        ...

    async def inbox_queues(self, account_id: int | None) -> list[InboxQueue]:
        """Every inbox of the account (of all accounts for None), waiting or not."""
        ...

    async def member_loads(self, account_id: int) -> list[MemberLoad]: ...

    async def agent_loads(self, account_id: int | None) -> list[AgentLoad]:
        """Agents with at least one open conversation (all accounts for None)."""
        ...

    async def window_fills(
        self, inbox_id: int, limit: int, since: datetime, window_seconds: int
    ) -> list[WindowFill]:
        """Engine assignments (not those by hand) of the inbox after ``since``, one entry
        per conversation, as the state store is rebuilt from them (``core.windows``)."""
        ...

    async def recent_assignments(
        self, account_id: int, *, after_id: int = 0, limit: int = 20
    ) -> Sequence[RecentAssignment]:
        """Newest first, only those with an id above ``after_id``."""
        ...

    async def worker_heartbeat_age(self) -> float | None:
        """Seconds since the freshest job-worker heartbeat, by the database's clock; None
        when no worker is registered (or the back end has no workers table)."""
        ...


class NoOverview:
    """The reader of a composition without SQL (the simulator): every read says the
    store is unavailable, as a database that is down would."""

    def _unavailable(self) -> errors.StoreUnavailable:
        return errors.StoreUnavailable("this engine has no overview reader")

    async def account_name(self, account_id: int) -> str:
        raise self._unavailable()

    async def inbox_queues(self, account_id: int | None) -> list[InboxQueue]:
        raise self._unavailable()

    async def member_loads(self, account_id: int) -> list[MemberLoad]:
        raise self._unavailable()

    async def agent_loads(self, account_id: int | None) -> list[AgentLoad]:
        raise self._unavailable()

    async def window_fills(
        self, inbox_id: int, limit: int, since: datetime, window_seconds: int
    ) -> list[WindowFill]:
        raise self._unavailable()

    async def recent_assignments(
        self, account_id: int, *, after_id: int = 0, limit: int = 20
    ) -> Sequence[RecentAssignment]:
        raise self._unavailable()

    async def worker_heartbeat_age(self) -> float | None:
        return None
