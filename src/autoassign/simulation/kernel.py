"""The discrete-event loop: simulated time jumps from event to event, nothing sleeps.

Events are arrivals, resolutions (an agent finished), abandonments, presence changes
(shifts) and the periodic sweep. Each event that the product's trigger table
(``services.triggers``) says runs the inbox runs it *at that instant*, as the job queue
would: a conversation created (CONVERSATION_CREATED), an assigned conversation resolved
(CAPACITY_FREED), an agent coming online (AGENT_ONLINE); an unassigned conversation
resolved by its customer leaving triggers nothing. A run is
``services.runs.run_inbox_job``: repeated at once while it says ``again``, and woken at
its ``wake_at`` (a fair-distribution window opening) as the job queue's timer would. The
periodic sweep (the product's safety net) runs every ``sweep_seconds``.

The trace keeps raw times per conversation (in arrays, a few bytes each), and the
statistics are computed from it afterwards (``results``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from array import array
from dataclasses import dataclass, field

from autoassign.core.model import Conversation, Presence, Status
from autoassign.services.runs import run_inbox_job
from autoassign.simulation.scenario import Scenario
from autoassign.simulation.workload import Customer, customers
from autoassign.simulation.world import ACCOUNT, INBOX_ID, World, build_world, quiet_engine_logs

# event kinds, in the order simultaneous events are handled when scheduled together
_ARRIVAL, _RESOLVE, _ABANDON, _ONLINE, _OFFLINE, _WAKE, _SWEEP = range(7)
NAN = math.nan


class TooLong(ValueError):
    """The run passed its deadline (wall time): the question is bigger than the caller
    allowed (the API's what-if), so no partial answer is given."""


@dataclass(slots=True)
class Trace:
    """What happened in one run. Conversation ``i`` has id ``i + 1``; times are seconds
    from the start; NaN means "never"."""

    scenario: Scenario
    replication: int
    arrival: array[float] = field(default_factory=lambda: array("d"))
    assigned: array[float] = field(default_factory=lambda: array("d"))
    handle: array[float] = field(default_factory=lambda: array("d"))
    #: seconds the customer would wait before leaving (inf: never)
    patience: array[float] = field(default_factory=lambda: array("d"))
    abandoned: array[float] = field(default_factory=lambda: array("d"))
    agent: array[int] = field(default_factory=lambda: array("q"))
    #: the number waiting (open, unassigned), as a step function: from each time on
    queue_times: array[float] = field(default_factory=lambda: array("d"))
    queue_lengths: array[int] = field(default_factory=lambda: array("q"))
    #: agent id → [(online from, online until)]
    online: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    #: engine batches run
    runs: int = 0
    #: simulated time at which the run stopped
    end: float = 0.0
    wall_seconds: float = 0.0

    @property
    def horizon(self) -> float:
        return self.scenario.duration_minutes * 60

    @property
    def warmup(self) -> float:
        return self.scenario.warmup_minutes * 60


class _Loop:
    """One run's state; ``run`` is the loop."""

    def __init__(self, scenario: Scenario, replication: int, deadline: float | None) -> None:
        self.scenario = scenario
        #: time.perf_counter() past which the run gives up (None: never)
        self.deadline = deadline
        self.world: World = build_world(scenario)
        self.trace = Trace(scenario, replication)
        self.customers = customers(scenario, replication)
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = itertools.count()
        self.now = 0.0
        self.waiting = 0
        self.online_since: dict[int, float] = {}
        #: conversation id → team, for the recorded conversations that had one
        self.teams: dict[int, int] = {}
        #: the inbox's pending wake-up (simulated seconds), if any
        self.wake: float | None = None
        #: the next sweep on the sweep grid, None while nothing waits (``_next_sweep``)
        self.sweep_due: float | None = None
        drain = scenario.drain_minutes
        self.stop_at = self.trace.horizon + 60 * (
            scenario.duration_minutes if drain is None else drain
        )

    def push(self, at: float, kind: int, arg: int = 0) -> None:
        heapq.heappush(self.heap, (at, next(self.seq), kind, arg))

    async def run(self) -> Trace:
        started = time.perf_counter()
        self._schedule_presence()
        self._next_arrival()
        trace, horizon, heap = self.trace, self.trace.horizon, self.heap
        store = self.world.store
        events = 0
        while heap:
            events += 1
            late = self.deadline is not None and not events % 512
            if late and time.perf_counter() > (self.deadline or 0.0):
                raise TooLong("the simulation took longer than allowed")
            at, _, kind, arg = heapq.heappop(heap)
            if at > self.stop_at or (at >= horizon and self.waiting == 0 and kind != _ARRIVAL):
                break
            self.now = self.world.clock.seconds = at
            if kind == _ARRIVAL:
                await self._arrive(arg)
            elif kind == _RESOLVE:
                store.set_status(arg, Status.RESOLVED)  # CAPACITY_FREED
                store.discard(arg)
                await self._run_inbox()
            elif kind == _ABANDON:
                self._abandon(arg)
            elif kind == _ONLINE:
                store.set_availability(arg, Presence.ONLINE)  # AGENT_ONLINE
                self.online_since.setdefault(arg, at)
                await self._run_inbox()
            elif kind == _OFFLINE:
                store.set_availability(arg, Presence.OFFLINE)  # triggers nothing
                self._close_online(arg, at)
            elif kind == _WAKE:
                if self.wake == at:  # else an earlier wake-up replaced it
                    self.wake = None
                    await self._run_inbox()
            else:
                self.sweep_due = None
                await self._run_inbox()
                self._next_sweep()
        # the run covers at least the horizon, even when its last event came earlier
        trace.end = max(self.now, horizon)
        for agent_id in list(self.online_since):
            self._close_online(agent_id, trace.end)
        trace.wall_seconds = time.perf_counter() - started
        return trace

    def _next_arrival(self) -> None:
        customer: Customer | None = next(self.customers, None)
        if customer is None:
            return
        t = self.trace
        t.arrival.append(customer.at)
        t.handle.append(customer.handle)
        t.patience.append(customer.patience)
        t.assigned.append(NAN)
        t.abandoned.append(NAN)
        t.agent.append(0)
        cid = len(t.arrival)
        self.push(customer.at, _ARRIVAL, cid)
        if customer.patience != math.inf:
            self.push(customer.at + customer.patience, _ABANDON, cid)
        if customer.team_id is not None:
            self.teams[cid] = customer.team_id

    async def _arrive(self, cid: int) -> None:
        now = self.world.clock.now()
        team_id = self.teams.pop(cid, None)
        self._next_arrival()
        self.world.store.add_conversation(
            Conversation(cid, ACCOUNT.id, INBOX_ID, now, now, team_id=team_id)
        )
        self._queue(+1)
        await self._run_inbox()  # CONVERSATION_CREATED

    def _abandon(self, cid: int) -> None:
        i = cid - 1
        if not math.isnan(self.trace.assigned[i]) or not math.isnan(self.trace.abandoned[i]):
            return
        self.trace.abandoned[i] = self.now
        self.world.store.set_status(cid, Status.RESOLVED)  # unassigned: triggers nothing
        self.world.store.discard(cid)
        self._queue(-1)

    async def _run_inbox(self) -> None:
        """One job of the inbox, going again while it asks to, then the assignments it
        announced: each starts its handling clock now."""
        deps = self.world.deps
        while True:
            self.trace.runs += 1
            result = await run_inbox_job(deps, INBOX_ID)
            if result.wake_at is not None:
                self._wake_at((result.wake_at - self.world.clock.start).total_seconds())
            if not result.again:
                break
        assigned = self.world.recorder.take()
        if not assigned:
            return
        trace = self.trace
        for cid, agent_id in assigned:
            i = cid - 1
            trace.assigned[i] = self.now
            trace.agent[i] = agent_id
            self.push(self.now + trace.handle[i], _RESOLVE, cid)
        self._queue(-len(assigned))

    def _wake_at(self, at: float) -> None:
        """The embedded job queue's rule: one wake-up per inbox, an earlier one replaces a
        later one; a time already past runs at once (next in the event order)."""
        at = max(at, self.now)
        if self.wake is None or at < self.wake:
            self.wake = at
            self.push(at, _WAKE)

    def _next_sweep(self) -> None:
        """The sweep runs every ``sweep_seconds`` on a fixed grid. A sweep with nothing
        waiting finds no candidate and changes nothing, so the loop schedules sweeps only
        while something waits (a long quiet replay would otherwise be all sweeps)."""
        if self.waiting == 0 or self.sweep_due is not None:
            return
        every = self.scenario.sweep_seconds
        self.sweep_due = (math.floor(self.now / every) + 1) * every
        self.push(self.sweep_due, _SWEEP)

    def _queue(self, change: int) -> None:
        self.waiting += change
        if change > 0:
            self._next_sweep()
        self.trace.queue_times.append(self.now)
        self.trace.queue_lengths.append(self.waiting)

    def _schedule_presence(self) -> None:
        """Agents without shifts keep their presence; shifts repeat every day."""
        for spec in self.scenario.agents:
            if not spec.shifts:
                if spec.presence is Presence.ONLINE:
                    self.online_since[spec.agent_id] = 0.0
                continue
            for day in range(int(self.stop_at // 86400) + 1):
                for shift in spec.shifts:
                    self.push(day * 86400 + shift.start_minute * 60, _ONLINE, spec.agent_id)
                    self.push(day * 86400 + shift.end_minute * 60, _OFFLINE, spec.agent_id)

    def _close_online(self, agent_id: int, at: float) -> None:
        since = self.online_since.pop(agent_id, None)
        if since is not None and at > since:
            self.trace.online.setdefault(agent_id, []).append((since, at))


async def run(scenario: Scenario, replication: int = 0, deadline: float | None = None) -> Trace:
    """Run ``scenario`` once (replication ``n`` draws its own customers); TooLong past
    ``deadline`` (a ``time.perf_counter()`` value)."""
    with quiet_engine_logs():
        return await _Loop(scenario, replication, deadline).run()


def simulate(scenario: Scenario, replication: int = 0, deadline: float | None = None) -> Trace:
    """``run`` on a fresh event loop, for callers outside one."""
    return asyncio.run(run(scenario, replication, deadline))
