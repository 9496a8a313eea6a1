"""Nothing waits for the sweep (issue 11.1): with the sweep an hour away, a conversation
held back only by a fair-distribution window is assigned within a second of the window
opening, on every back end (the in-process timer; Procrastinate's scheduled jobs)."""

from __future__ import annotations

import uuid

import pytest
from bench.wakeups import Backend, measure

from tests.conftest import REDIS_URL


@pytest.fixture(params=["embedded", "postgres+redis", "postgres"])
def backend(request: pytest.FixtureRequest, redis_client) -> Backend:
    if request.param == "embedded":
        return Backend("embedded", request.getfixturevalue("sqlite_url"))
    redis_url = REDIS_URL if request.param == "postgres+redis" else None
    prefix = f"wake{uuid.uuid4().hex[:6]}"
    return Backend(request.param, request.getfixturevalue("pg_url"), redis_url, prefix)


@pytest.mark.timeout(90)
async def test_a_window_opening_assigns_within_a_second(backend: Backend):
    delays = await measure(backend, inboxes_=2, per_inbox=3, window=2)
    assert len(delays) == 4
    assert all(0 <= d < 1.0 for d in delays), delays
