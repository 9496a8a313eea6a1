"""What the Chatwoot connector's services get: autoassign's own ports (``Deps``), the
connector's two ports, and its settings.

The connector changes autoassign only through autoassign's services, like any other
client; its own state is in ``store``. Like every service, these return the inboxes a
change must run and never queue jobs themselves: the caller (the connector's runner or
a route) hands them to the job queue once the change has committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from autoassign.chatwoot.ports import ChatwootApiFactory, ConnectorStore
from autoassign.services.context import Deps


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    #: seconds between two syncs of the directory (agents' availability included)
    sync_interval: float = 60.0
    #: first retry of a write-back after Chatwoot failed, doubling up to ``retry_cap``
    retry_base: float = 1.0
    retry_cap: float = 300.0
    #: tries of a received webhook that keeps failing for a passing reason
    inbound_attempts: int = 20
    #: how long a connector holds a connection without renewing it
    lease: float = 30.0
    #: received webhooks and finished write-backs are kept this long (duplicates)
    keep: timedelta = timedelta(days=1)
    #: assignments are looked at for write-back until this old (open transactions)
    settle: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Connector:
    deps: Deps
    store: ConnectorStore
    api: ChatwootApiFactory
    settings: ConnectorSettings = field(default_factory=ConnectorSettings)

    def now(self) -> datetime:
        return self.deps.clock.now()

    def backoff(self, attempts: int) -> timedelta:
        """The wait before try number ``attempts + 1``: doubling, capped."""
        s = self.settings
        return timedelta(seconds=min(s.retry_cap, s.retry_base * 2 ** min(attempts, 30)))
