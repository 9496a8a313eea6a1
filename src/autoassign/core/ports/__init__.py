"""The interfaces the services need from the outside world; each has an embedded and a
production adapter that pass one contract suite. One module per concern."""

from __future__ import annotations

from autoassign.core.ports.assignment_store import (
    HELD_LIMIT,
    AssignmentRecord,
    AssignmentStore,
    History,
    InboxBatch,
    InboxSettings,
    Member,
    RecordedAssignment,
)
from autoassign.core.ports.clock import Clock
from autoassign.core.ports.events import EventSink
from autoassign.core.ports.jobs import JobQueue, RunResult
from autoassign.core.ports.state import (
    InboxState,
    PresenceStore,
    RunGate,
    StateStore,
    WindowAndPresenceStore,
    WindowEntry,
    WindowStore,
)

__all__ = [
    "HELD_LIMIT",
    "AssignmentRecord",
    "AssignmentStore",
    "Clock",
    "EventSink",
    "History",
    "InboxBatch",
    "InboxSettings",
    "InboxState",
    "JobQueue",
    "Member",
    "PresenceStore",
    "RecordedAssignment",
    "RunGate",
    "RunResult",
    "StateStore",
    "WindowAndPresenceStore",
    "WindowEntry",
    "WindowStore",
]
