"""The benchmark's own pieces do the work they claim, on a tiny data set (real servers)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from bench.backends import Backend, PostgresBackend, SqliteBackend
from bench.config import RunConfig, count_keys
from bench.dataset import Spec

from autoassign.adapters.sql.engine import make_sync_engine
from bench import baseline, ceiling, cpu, floor, latency, loadgen, perrow, suite

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TINY = Spec(inboxes=4, agents=20, conversations=400, fair_limit=6, capacity=5)


@pytest.fixture
def config() -> RunConfig:
    """A run of its own: its databases, its keys (never the suite's Redis database 9)."""
    return RunConfig(run_id=f"t{os.getpid()}{os.urandom(3).hex()}")


@pytest.fixture
def postgres(tmp_path: Path, config: RunConfig) -> Iterator[Backend]:
    backend = PostgresBackend("PostgreSQL + Redis", "postgres", tmp_path, config, uses_redis=True)
    yield backend
    backend.drop_all()


def loads(url: str) -> list[tuple[int, int, int]]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as db:
            return [
                (int(i), int(a), int(n))
                for i, a, n in db.execute(
                    sa.text(
                        "SELECT inbox_id, assignee_id, count(*) FROM conversations "
                        "WHERE assignee_id IS NOT NULL GROUP BY inbox_id, assignee_id"
                    )
                )
            ]
    finally:
        engine.dispose()


def recorded(url: str) -> int:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as db:
            return int(db.scalar(sa.text("SELECT count(*) FROM assignments")) or 0)
    finally:
        engine.dispose()


def expected_total() -> int:
    online = sum(
        1
        for inbox in range(1, TINY.inboxes + 1)
        for agent in range(1, TINY.agents + 1)
        if TINY.online(agent) and inbox in TINY.members(agent)
    )
    return online * min(TINY.capacity, TINY.fair_limit)


def test_the_data_set_has_the_promised_shape():
    members = [len([a for a in range(1, 1_001) if i in Spec().members(a)]) for i in (1, 50, 100)]
    assert members == [30, 30, 30]
    assert Spec().online_agents == 800


def test_a_run_names_only_its_own_databases_and_keys():
    a, b = RunConfig(), RunConfig()
    assert a.run_id != b.run_id
    assert a.database("run").startswith(f"autoassign_bench_{a.run_id}_")
    assert a.redis_url.endswith("/12")
    assert a.redis_prefix != b.redis_prefix
    with pytest.raises(ValueError, match="run id"):
        RunConfig(run_id="x; DROP DATABASE")


def test_ours_and_the_baseline_do_the_same_work_within_the_limits(postgres: Backend):
    with postgres.fresh(TINY, "round_robin") as url:
        ours = suite.run_worker(postgres, url, 500)
        our_loads = loads(url)
    prefix = f"{postgres.config.redis_prefix}:ref"
    assert postgres.redis_url is not None
    with postgres.fresh(TINY, "round_robin") as url:
        port = baseline.Baseline(url, postgres.redis_url, prefix)
        try:
            port.seed_presence()
            theirs = port.run(seconds=60)
            with redis.Redis.from_url(postgres.redis_url) as r:
                keys = list(r.scan_iter(match=f"{prefix}:ASSIGNMENT::*", count=1000))
        finally:
            port.close()
        their_loads = loads(url)
    assert ours.assigned == theirs == expected_total()  # the limits bind both the same way
    assert len(keys) == theirs  # one rate-limit key per assignment, as the reference
    for _inbox, _agent, count in our_loads + their_loads:
        assert count <= TINY.capacity


def test_the_per_row_engine_respects_the_limits_like_ours(postgres: Backend):
    assert postgres.redis_url is not None
    with postgres.fresh(TINY, "round_robin") as url:
        ours = suite.run_worker(postgres, url, 500, "--per-batch", "1", "--seconds", "60")
    assert ours.assigned == expected_total()
    for batch, order in ((1, "round_robin"), (500, "balanced")):
        with postgres.fresh(TINY, order) as url:
            engine = perrow.PerRowEngine(url, postgres.redis_url, postgres.config.redis_prefix)
            try:
                theirs, seconds = engine.run(batch, seconds=60)
            finally:
                engine.close()
            assert seconds > 0
            assert theirs == expected_total()  # the limits bind it as they bind ours
            assert recorded(url) == theirs  # claim and record in one statement
            for _inbox, _agent, count in loads(url):
                assert count <= TINY.capacity
    postgres.flush_state()
    assert count_keys(postgres.redis_url, postgres.config.redis_prefix) == 0


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_ceiling_and_the_floor_claim_exactly_what_they_are_given(
    kind: str, tmp_path: Path, config: RunConfig
):
    backend: Backend = (
        SqliteBackend("SQLite + memory", "sqlite", tmp_path, config)
        if kind == "sqlite"
        else PostgresBackend("PostgreSQL + Redis", "postgres", tmp_path, config, uses_redis=True)
    )
    try:
        with backend.fresh(TINY, "round_robin") as url:
            rows, seconds = ceiling.run(url, {1: 7, 2: 3})
            assert rows == 10
            assert seconds > 0
            per_inbox = {i: sum(n for j, _a, n in loads(url) if j == i) for i in (1, 2, 3)}
            assert per_inbox == {1: 7, 2: 3, 3: 0}
        with backend.fresh(TINY, "round_robin") as url:
            rows, seconds = floor.run(url, {1: 7, 2: 3}, batch=4)
            assert rows == 10
            assert seconds > 0
            per_inbox = {i: sum(n for j, _a, n in loads(url) if j == i) for i in (1, 2, 3)}
            assert per_inbox == {1: 7, 2: 3, 3: 0}
            assert recorded(url) == 10
    finally:
        backend.drop_all()


def test_the_sampler_counts_a_busy_child_and_not_an_idle_one():
    busy = subprocess.Popen(
        ["python3", "-c", "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass"]
    )
    idle = subprocess.Popen(["sleep", "1"])
    try:
        sampler = cpu.Sampler(cpu.Discover(pids={"busy": [busy.pid], "idle": [idle.pid]}))
        sampler.start()
        busy.wait()
        window = sampler.stop()
    finally:
        idle.kill()
        idle.wait()
    assert window.cpu["busy"] >= 0.3
    assert window.cpu.get("idle", 0.0) < 0.05


def _phase(**changes: object) -> latency.Phase:
    base: dict[str, object] = {
        "offered": 100,
        "seconds": 10.0,
        "sent": 1_000,
        "created": 1_000,
        "http_errors": 0,
        "errors": 0,
        "timeouts": 0,
        "assigned": 1_000,
        "p50_ms": 4.0,
        "p95_ms": 9.0,
        "p99_ms": 20.0,
        "max_ms": 30.0,
        "response_p50_ms": 2.0,
        "response_p99_ms": 5.0,
        "committed_p50_ms": 3.0,
        "committed_p99_ms": 8.0,
        "lag_p99_ms": 0.5,
        "cpu": {"API server": 2.0, "Redis": 0.5},
        "window_seconds": 10.1,
        "sessions": None,
        "backends_born": 0,
        "generator_cpu": 0.1,
        "bench_cpu": 0.1,
    }
    base.update(changes)
    return latency.Phase(**base)  # type: ignore[arg-type]


def test_a_phase_is_saturated_only_when_it_falls_behind():
    assert _phase().saturated == []
    assert _phase().cpu_ms_per_create(("API server", "Redis")) == pytest.approx(2.5)
    assert _phase(assigned=980).saturated == ["980 of 1,000 assigned in time"]
    assert _phase(timeouts=11).saturated == ["11 failed"]
    assert _phase(seconds=11.0).saturated == ["sent at 91/s"]
    assert _phase(p99_ms=1_500.0).saturated == ["p99 1,500 ms"]
    curve = latency.Curve("x", "sqlite", ("API server",), [_phase(offered=50), _phase()])
    assert curve.saturation is None
    assert curve.sustained == 100
    curve.phases.append(_phase(offered=200, p99_ms=2_000.0))
    assert curve.saturation is not None
    assert curve.saturation.offered == 200
    assert curve.sustained == 100
    # the CPU per create is read at a rate that kept up
    assert curve.steady(200) is curve.phases[1]
    assert curve.steady(100) is curve.phases[1]
    assert not curve.phases[2].overloaded
    assert _phase(assigned=400).overloaded
    assert _phase(timeouts=101).overloaded


async def test_the_load_generator_reads_sized_and_chunked_responses():
    for raw, body in (
        (b'HTTP/1.1 201 Created\r\ncontent-length: 9\r\n\r\n{"id": 7}', b'{"id": 7}'),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", b"abc"),
    ):
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        status, got, keep = await loadgen.read_response(reader)
        assert got == body
        assert keep
        assert status in (200, 201)
