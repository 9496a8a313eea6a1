"""What every service call gets (its ports and settings) and what a write gives back.

A write returns ``Changed``: the value to render and the inboxes whose assignment must
run now. The caller hands ``run`` to the job queue *after* the unit of work committed, so
the run sees the change; services never queue jobs themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from autoassign.core.ports import AssignmentStore, Clock, EventSink
from autoassign.core.ports.metrics import BatchMetrics
from autoassign.core.ports.overview import NoOverview, OverviewReader
from autoassign.core.ports.state import WindowAndPresenceStore
from autoassign.core.ports.uow import UnitOfWorkFactory

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deps:
    uow: UnitOfWorkFactory
    store: AssignmentStore
    state: WindowAndPresenceStore
    clock: Clock
    sink: EventSink
    metrics: BatchMetrics
    #: conversations per batch
    bulk_limit: int = 500
    #: seconds a heartbeat keeps an auto-offline agent online
    presence_ttl: int = 60
    #: the admin page's, the metrics' and readiness's aggregate reads; bootstrap always
    #: gives the SQL one (the default serves compositions without SQL, the simulator)
    overview: OverviewReader = field(default_factory=NoOverview)


@dataclass(frozen=True, slots=True)
class Changed(Generic[T]):
    value: T
    #: inboxes whose assignment must run once the change has committed
    run: frozenset[int] = field(default_factory=frozenset)
