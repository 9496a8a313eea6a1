"""One contract for both job queues: in-process (embedded) and Procrastinate (PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from autoassign.adapters.clock import SystemClock
from autoassign.adapters.jobs.inprocess import InProcessJobQueue
from autoassign.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue, interval_to_cron
from autoassign.adapters.sql.engine import libpq_url
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.core import errors
from autoassign.core.ports import JobQueue, RunResult


@dataclass
class Recorder:
    """A stand-in for the engine's inbox run: records each run's start and end."""

    runs: dict[int, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    full_times: dict[int, int] = field(default_factory=dict)
    fail_times: dict[int, int] = field(default_factory=dict)
    during_run: Callable[[int], object] | None = None
    sweep_ids: list[int] = field(default_factory=list)
    #: inbox → wake-up times the next runs ask for, in order
    wakes: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    active: set[int] = field(default_factory=set)
    overlaps: int = 0
    #: wall-clock start of each run, per inbox
    started_at: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))

    async def run(self, inbox_id: int) -> RunResult:
        if inbox_id in self.active:
            self.overlaps += 1
        self.active.add(inbox_id)
        started = time.monotonic()
        self.started_at[inbox_id].append(datetime.now(UTC))
        try:
            if self.during_run is not None:
                result = self.during_run(inbox_id)
                if asyncio.iscoroutine(result):
                    await result
            await asyncio.sleep(0.02)
            if self.fail_times.get(inbox_id, 0) > 0:
                self.fail_times[inbox_id] -= 1
                raise RuntimeError("boom")
            wake_at = self.wakes[inbox_id].pop(0) if self.wakes[inbox_id] else None
            if self.full_times.get(inbox_id, 0) > 0:
                self.full_times[inbox_id] -= 1
                return RunResult(again=True, wake_at=wake_at)
            return RunResult(wake_at=wake_at)
        finally:
            self.active.discard(inbox_id)
            self.runs[inbox_id].append((started, time.monotonic()))

    async def sweep(self) -> Iterable[int]:
        return list(self.sweep_ids)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(params=["inprocess", "procrastinate"])
async def queue(request: pytest.FixtureRequest, recorder: Recorder) -> AsyncIterator[JobQueue]:
    made: JobQueue
    if request.param == "inprocess":
        made = InProcessJobQueue(
            recorder.run, recorder.sweep, clock=SystemClock(), sweep_interval=3600, retry_delay=0.05
        )
    else:
        made = ProcrastinateJobQueue(
            libpq_url(request.getfixturevalue("pg_url")),
            gate=MemoryStateStore(),
            run=recorder.run,
            sweep=recorder.sweep,
            retry_delay=1,
            concurrency=4,
        )
    await made.start()
    yield made
    await made.stop()


async def test_a_burst_of_triggers_for_one_inbox_queues_one_run(queue: JobQueue, recorder):
    queued = [await queue.enqueue([1]) for _ in range(50)]
    assert queued == [1] + [0] * 49
    await queue.drain()
    assert len(recorder.runs[1]) == 1


async def test_inboxes_are_independent(queue: JobQueue, recorder):
    assert await queue.enqueue([1, 2, 3, 2, 1]) == 3
    await queue.drain()
    assert {i: len(r) for i, r in recorder.runs.items()} == {1: 1, 2: 1, 3: 1}


async def test_a_trigger_during_a_run_queues_exactly_one_follow_up(queue: JobQueue, recorder):
    triggered: list[int] = []

    async def trigger_three_times(inbox_id: int) -> None:
        if not triggered:
            triggered.append(inbox_id)
            for _ in range(3):
                await queue.enqueue([inbox_id])

    recorder.during_run = trigger_three_times
    await queue.enqueue([5])
    await queue.drain()
    assert len(recorder.runs[5]) == 2  # the run, then one follow-up for three triggers
    first, second = recorder.runs[5]
    assert first[1] <= second[0]  # never at once


async def test_a_full_batch_queues_its_own_follow_up(queue: JobQueue, recorder):
    recorder.full_times[4] = 2
    await queue.enqueue([4])
    await queue.drain()
    assert len(recorder.runs[4]) == 3


async def test_a_failed_run_is_retried(queue: JobQueue, recorder):
    recorder.fail_times[6] = 1
    await queue.enqueue([6])
    await queue.drain()
    deadline = time.monotonic() + 5
    while len(recorder.runs[6]) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        await queue.drain()  # a distributed retry is scheduled in the future
    assert len(recorder.runs[6]) == 2


async def test_runs_of_one_inbox_never_overlap(queue: JobQueue, recorder):
    budget = [12]

    async def more(inbox_id: int) -> None:
        if budget[0] > 0:  # triggers arriving mid-run, for a while
            budget[0] -= 1
            await queue.enqueue([inbox_id, inbox_id % 3 + 1])

    recorder.during_run = more
    recorder.full_times = {1: 3, 2: 3, 3: 3}
    for _ in range(5):
        await queue.enqueue([1, 2, 3])
    await queue.drain()
    await queue.drain()
    assert recorder.overlaps == 0
    for runs in recorder.runs.values():
        ordered = sorted(runs)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(ordered))


async def test_sweep_queues_every_covered_inbox(queue: JobQueue, recorder):
    recorder.sweep_ids = [7, 8]
    assert await queue.sweep_now() == 2
    await queue.drain()
    # Procrastinate's periodic sweep may also fire when the draining worker starts
    assert set(recorder.runs) == {7, 8}
    assert recorder.overlaps == 0


def test_sweep_intervals_become_crons():
    assert interval_to_cron(5) == "* * * * * */5"  # croniter: seconds come last
    assert interval_to_cron(300) == "*/5 * * * *"
    assert interval_to_cron(7200) == "0 */2 * * *"
    with pytest.raises(ValueError, match="divide a minute"):
        interval_to_cron(7)


def test_sub_minute_crons_fire_every_n_seconds():
    import croniter  # type: ignore[import-untyped]

    start = 1_795_575_600.0  # a whole minute
    ticks = croniter.croniter(interval_to_cron(5), start)
    assert [int(ticks.get_next(float) - start) for _ in range(3)] == [5, 10, 15]


async def test_depth_counts_waiting_runs(queue: JobQueue, recorder):
    assert await queue.depth() == 0
    await queue.enqueue([1, 2])
    assert await queue.depth() == 2  # queued, not started yet
    await queue.drain()
    assert await queue.depth() == 0


async def runs_until(queue: JobQueue, recorder: Recorder, inbox_id: int, count: int) -> None:
    """Let the queue work until the inbox has run ``count`` times (at most 5 s): the
    in-process queue works by itself; a distributed one is drained again and again, as
    its wake-ups become due."""
    deadline = time.monotonic() + 5
    while len(recorder.runs[inbox_id]) < count and time.monotonic() < deadline:
        await queue.drain(grace=1)
        await asyncio.sleep(0.05)


async def test_a_run_waiting_on_time_is_woken_at_that_time(queue: JobQueue, recorder):
    wake_at = datetime.now(UTC) + timedelta(seconds=0.8)
    recorder.wakes[3] = [wake_at]
    await queue.enqueue([3])
    await runs_until(queue, recorder, 3, 2)
    first, second = recorder.started_at[3][:2]
    assert first < wake_at <= second
    assert second - wake_at < timedelta(seconds=1.5)  # not the sweep (an hour away)


async def test_a_wake_up_in_the_past_runs_at_once(queue: JobQueue, recorder):
    await queue.schedule(9, datetime.now(UTC) - timedelta(seconds=10))
    await runs_until(queue, recorder, 9, 1)
    assert len(recorder.runs[9]) == 1


async def test_wake_ups_never_make_runs_of_one_inbox_overlap(queue: JobQueue, recorder):
    soon = datetime.now(UTC) + timedelta(seconds=0.3)
    for offset in (0.0, 0.0, 1.1, 1.2):  # two at once, two a second later
        await queue.schedule(2, soon + timedelta(seconds=offset))
    await queue.enqueue([2])
    await runs_until(queue, recorder, 2, 2)  # an earlier wake-up may cover later ones
    await asyncio.sleep(1.2)
    await queue.drain()
    assert recorder.overlaps == 0
    assert soon <= recorder.started_at[2][1]
    assert 2 <= len(recorder.runs[2]) <= 4


async def test_a_wake_up_survives_the_worker_that_scheduled_it(pg_url, recorder):
    """Wake-ups are rows: a worker killed with one scheduled loses nothing."""

    def make() -> ProcrastinateJobQueue:
        return ProcrastinateJobQueue(
            libpq_url(pg_url), gate=MemoryStateStore(), run=recorder.run, sweep=recorder.sweep
        )

    first = make()
    await first.start()
    await first.schedule(4, datetime.now(UTC) + timedelta(seconds=0.5))
    await first.stop()  # gone before the wake-up is due
    second = make()
    await second.start()
    try:
        await runs_until(second, recorder, 4, 1)
    finally:
        await second.stop()
    assert len(recorder.runs[4]) == 1


async def test_forcing_gets_past_a_gate_left_held_by_a_dead_process(pg_url, recorder):
    gate = MemoryStateStore()
    queue = ProcrastinateJobQueue(libpq_url(pg_url), gate=gate, run=recorder.run)
    await queue.start()
    try:
        assert await gate.request_run("inbox:8", 60)  # a process took the gate, then died
        assert await queue.enqueue([8]) == 0  # every trigger now waits for the gate's TTL
        assert await queue.enqueue([8], force=True) == 1  # the relay's way past it
        await queue.drain()
        assert len(recorder.runs[8]) == 1
        assert await queue.enqueue([8]) == 1  # the run released the gate
    finally:
        await queue.stop()


async def test_runs_go_on_while_the_run_gate_is_unreachable(pg_url, recorder):
    """A Redis blip must not stop an inbox's job chain (issue 10.4)."""
    gate = BrokenGate()
    queue = ProcrastinateJobQueue(libpq_url(pg_url), gate=gate, run=recorder.run, retry_delay=1)
    await queue.start()
    try:
        recorder.full_times[5] = 1
        assert await queue.enqueue([5]) == 1  # deferred without the gate
        # the full batch goes again; then, unable to tell whether triggers came, the job
        # looks again after the retry delay rather than ending the chain
        await runs_until(queue, recorder, 5, 3)
    finally:
        await queue.stop()
    assert len(recorder.runs[5]) >= 3
    assert recorder.overlaps == 0


class BrokenGate:
    """A run gate whose store is down (a Redis blip)."""

    async def request_run(self, name: str, ttl_seconds: float) -> bool:
        raise errors.StateStoreUnavailable("state store unavailable: connection refused")

    async def claim_run(self, name: str, ttl_seconds: float) -> None:
        raise errors.StateStoreUnavailable("state store unavailable: connection refused")

    async def finish_run(self, name: str, ttl_seconds: float) -> bool:
        raise errors.StateStoreUnavailable("state store unavailable: connection refused")
