"""Shared fixtures: real PostgreSQL, Redis and SQLite back ends; never mocks of them.

A missing server fails the run: the fixtures raise instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis as redis_sync
from psycopg import sql

from autoassign.adapters.sql import migrate
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.state.postgres_store import PostgresStateStore
from autoassign.adapters.state.postgres_tables import STATE_TABLES
from autoassign.adapters.state.redis_store import RedisStateStore
from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.core.ports import StateStore

PG_URL = os.environ.get("AUTOASSIGN_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AUTOASSIGN_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
TEMPLATE = f"autoassign_tmpl_{os.getpid()}"


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they pass: no AUTOASSIGN_ variable and no .env file."""
    for key in list(os.environ):
        if key.startswith("AUTOASSIGN_") and not key.startswith("AUTOASSIGN_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _pg_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_URL, autocommit=True)
    except psycopg.OperationalError as exc:  # never skip: the suite needs the server
        pytest.fail(f"PostgreSQL is required at {PG_URL}: {exc}")


def _url_for(database: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated database that each test copies (CREATE DATABASE … TEMPLATE)."""
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
        admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    migrate.upgrade(_url_for(TEMPLATE))
    yield TEMPLATE
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    name = f"autoassign_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _url_for(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def sqlite_url(sqlite_template: str, tmp_path: object) -> str:
    import shutil
    from pathlib import Path

    target = Path(str(tmp_path)) / "autoassign.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every SQL contract test runs on both back ends."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def redis_client() -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis_sync.ConnectionError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
async def redis_state(redis_client: redis_sync.Redis) -> AsyncIterator[RedisStateStore]:
    store = RedisStateStore.from_url(REDIS_URL, prefix=f"t{uuid.uuid4().hex[:6]}")
    yield store
    await store.close()


@pytest.fixture
async def postgres_state(pg_url: str) -> AsyncIterator[PostgresStateStore]:
    store = PostgresStateStore.from_url(pg_url)
    yield store
    await store.close()


@pytest.fixture(params=["memory", "redis", "postgres"])
def state(request: pytest.FixtureRequest) -> StateStore:
    """Every state-store contract test runs on all three implementations."""
    if request.param == "memory":
        return MemoryStateStore()
    store: StateStore = request.getfixturevalue(f"{request.param}_state")
    return store


@pytest.fixture
def flush_state(state: StateStore, request: pytest.FixtureRequest) -> Callable[[], Awaitable[None]]:
    """Lose everything the ``state`` store holds, as a Redis flush or restart would."""
    if isinstance(state, MemoryStateStore):
        memory = state

        async def flush_memory() -> None:
            memory.clear()

        return flush_memory
    if isinstance(state, RedisStateStore):
        client: redis_sync.Redis = request.getfixturevalue("redis_client")

        async def flush_redis() -> None:
            client.flushdb()

        return flush_redis
    assert isinstance(state, PostgresStateStore)
    url: str = request.getfixturevalue("pg_url")

    async def truncate() -> None:
        names = sql.SQL(", ").join(sql.Identifier(t.name) for t in STATE_TABLES)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("TRUNCATE {}").format(names))

    return truncate


class ListSink:
    """Collects published events so tests can read them."""

    def __init__(self) -> None:
        self.events: list[object] = []

    async def publish(self, events: Sequence[object]) -> None:
        self.events.extend(events)


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
async def engine(database_url: str, clock: FakeClock, sink: ListSink) -> AsyncIterator[Engine]:
    """An engine on each SQL back end, with memory state and a fake clock."""
    built = build(
        Settings(database_url=database_url), state=MemoryStateStore(), sink=sink, clock=clock
    )
    yield built
    await built.aclose()


@pytest.fixture
async def pg_engine(
    pg_url: str, redis_client: redis_sync.Redis, clock: FakeClock, sink: ListSink
) -> AsyncIterator[Engine]:
    """The production combination: PostgreSQL + Redis."""
    built = build(Settings(database_url=pg_url, redis_url=REDIS_URL), sink=sink, clock=clock)
    yield built
    await built.aclose()


@pytest.fixture
async def sqlite_engine(sqlite_url: str, clock: FakeClock, sink: ListSink) -> AsyncIterator[Engine]:
    built = build(Settings(database_url=sqlite_url), sink=sink, clock=clock)
    yield built
    await built.aclose()


__all__ = ["FakeClock", "ListSink"]
