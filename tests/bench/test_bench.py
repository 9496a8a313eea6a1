"""The benchmark's own pieces do the work they claim, on a tiny data set (real servers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from bench.backends import REDIS_URL, Backend, PostgresBackend, SqliteBackend
from bench.dataset import Spec

from autoassign.adapters.sql.engine import make_sync_engine
from bench import baseline, ceiling, suite

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TINY = Spec(inboxes=4, agents=20, conversations=400, fair_limit=6, capacity=5)


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Backend]:
    backend = PostgresBackend("PostgreSQL + Redis", "postgres", tmp_path, redis_url=REDIS_URL)
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


def test_the_data_set_has_the_promised_shape():
    members = [len([a for a in range(1, 1_001) if i in Spec().members(a)]) for i in (1, 50, 100)]
    assert members == [30, 30, 30]
    assert Spec().online_agents == 800


def test_ours_and_the_baseline_do_the_same_work_within_the_limits(postgres: Backend):
    with postgres.fresh(TINY, "round_robin") as url:
        ours = suite.run_worker(postgres, url, 500)
        our_loads = loads(url)
    with postgres.fresh(TINY, "round_robin") as url:
        port = baseline.Baseline(url, suite.BASELINE_REDIS_URL)
        try:
            port.redis.flushdb()
            port.seed_presence()
            theirs = port.run(seconds=60)
            keys = port.redis.keys("ASSIGNMENT::*")
            port.redis.flushdb()
        finally:
            port.close()
        their_loads = loads(url)
    online = sum(
        1
        for inbox in range(1, TINY.inboxes + 1)
        for agent in range(1, TINY.agents + 1)
        if TINY.online(agent) and inbox in TINY.members(agent)
    )
    expected = online * min(TINY.capacity, TINY.fair_limit)
    assert ours.assigned == theirs == expected  # the limits bind both the same way
    assert len(keys) == theirs  # one rate-limit key per assignment, as the reference
    for _inbox, _agent, count in our_loads + their_loads:
        assert count <= TINY.capacity


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_ceiling_claims_exactly_what_it_is_given(kind: str, tmp_path: Path):
    backend: Backend = (
        SqliteBackend("SQLite + memory", "sqlite", tmp_path)
        if kind == "sqlite"
        else PostgresBackend("PostgreSQL + Redis", "postgres", tmp_path, redis_url=REDIS_URL)
    )
    try:
        with backend.fresh(TINY, "round_robin") as url:
            rows, seconds = ceiling.run(url, {1: 7, 2: 3})
            assert rows == 10
            assert seconds > 0
            per_inbox = {i: sum(n for j, _a, n in loads(url) if j == i) for i in (1, 2, 3)}
            assert per_inbox == {1: 7, 2: 3, 3: 0}
    finally:
        backend.drop_all()
