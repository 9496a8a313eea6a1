"""The simulated world: the product's services wired to embedded stores and a virtual clock.

Why the real ``Deps``: the simulator runs an inbox exactly as the product's job does,
through ``services.runs.run_inbox_job`` (one batch of ``assign_inbox``, and again when
the batch was full), so the planner, selectors, limits, windows and the "go again"
rule are the product's own. Only the adapters differ: the in-memory twin of the SQL
store, the memory state store, a clock that reads simulated time, and a sink that hands
each assignment back to the simulator. There is no database: the unit of work refuses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from autoassign.adapters.memory_store import MemoryAssignmentStore
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.core import errors
from autoassign.core.events import Event
from autoassign.core.model import Account, Agent, Inbox, Presence
from autoassign.core.policies import CapacityPolicy
from autoassign.core.ports.uow import UnitOfWork
from autoassign.services.context import Deps
from autoassign.simulation.scenario import Scenario

ACCOUNT = Account(1, "Simulated")
INBOX_ID = 1
#: the loggers of the batch path, which log each batch (at INFO) in the product
ENGINE_LOGGERS = ("autoassign.services.runs", "autoassign.services.assign")
_simulating: ContextVar[bool] = ContextVar("autoassign_simulating", default=False)


class _NotInSimulation(logging.Filter):
    """Drops the engine's per-batch records made inside a simulation: millions of lines
    about simulated batches would drown the real ones (the API runs what-ifs beside
    real traffic, so the loggers stay on; only this context is filtered)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _simulating.get()


_FILTER = _NotInSimulation()


@contextmanager
def quiet_engine_logs() -> Iterator[None]:
    """Within the block (this thread or task only), the engine's batch logs are dropped."""
    for name in ENGINE_LOGGERS:
        engine_logger = logging.getLogger(name)
        if _FILTER not in engine_logger.filters:
            engine_logger.addFilter(_FILTER)
    token = _simulating.set(True)
    try:
        yield
    finally:
        _simulating.reset(token)


class VirtualClock:
    """The Clock port over simulated seconds; the simulator moves it, nothing sleeps."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.seconds = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


class AssignmentRecorder:
    """The EventSink port: keeps (conversation, agent) of each assignment announced."""

    def __init__(self) -> None:
        self.assigned: list[tuple[int, int]] = []

    async def publish(self, events: Sequence[Event]) -> None:
        self.assigned.extend((e.conversation_id, e.agent_id) for e in events)

    def take(self) -> list[tuple[int, int]]:
        taken, self.assigned = self.assigned, []
        return taken


class _NoMetrics:
    def record_batch(
        self, assigned: int, skip_reasons: Iterable[str], seconds: float, *, inbox_id: int
    ) -> None:
        return None


class _NoDatabase:
    """The unit of work of a world without SQL: the batch path never asks for one."""

    def write(self) -> AbstractAsyncContextManager[UnitOfWork]:
        raise errors.StoreUnavailable("the simulator has no database")

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        raise errors.StoreUnavailable("the simulator has no database")

    async def ping(self) -> None:
        raise errors.StoreUnavailable("the simulator has no database")


@dataclass(frozen=True, slots=True)
class World:
    store: MemoryAssignmentStore
    clock: VirtualClock
    recorder: AssignmentRecorder
    deps: Deps


def build_world(scenario: Scenario) -> World:
    """One inbox with the scenario's policy, agents, capacity limits and teams."""
    store = MemoryAssignmentStore()
    store.add_inbox(Inbox(INBOX_ID, ACCOUNT.id, "Simulated inbox"))
    if scenario.policy is not None:
        store.link_policy(INBOX_ID, store.add_policy(scenario.policy))
    # one capacity policy per distinct limit, as an admin would set it up
    limits = sorted({a.capacity for a in scenario.agents if a.capacity is not None})
    capacity_ids = {
        limit: store.add_capacity_policy(
            CapacityPolicy(0, ACCOUNT.id, f"{limit} at a time", inbox_limits={INBOX_ID: limit})
        )
        for limit in limits
    }
    for spec in scenario.agents:
        presence = Presence.OFFLINE if spec.shifts else spec.presence
        store.add_agent(
            Agent(
                spec.agent_id,
                ACCOUNT.id,
                spec.name,
                availability=presence,
                capacity_policy_id=capacity_ids.get(spec.capacity) if spec.capacity else None,
            )
        )
    store.add_members(INBOX_ID, [a.agent_id for a in scenario.agents])
    for team in scenario.teams:
        store.add_team(team)
    clock = VirtualClock(scenario.start)
    recorder = AssignmentRecorder()
    deps = Deps(
        uow=_NoDatabase(),
        store=store,
        state=MemoryStateStore(),
        clock=clock,
        sink=recorder,
        metrics=_NoMetrics(),
        bulk_limit=scenario.bulk_limit,
    )
    return World(store, clock, recorder, deps)
