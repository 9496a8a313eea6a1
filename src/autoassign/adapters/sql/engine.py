"""Engines for both back ends, with the SQLite settings that make concurrent writes safe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from autoassign.core import errors


def async_url(url: str) -> str:
    """The async-driver form of a database URL (``postgresql://`` → psycopg, sqlite → aiosqlite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise errors.InvalidValue(
        f"unsupported database URL {parsed.render_as_string()!r}: use sqlite or postgresql",
        field="database_url",
    )


def sync_url(url: str) -> str:
    """The blocking-driver form, for migrations and scripts."""
    parsed = make_url(async_url(url))
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    return parsed.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The plain ``postgresql://`` form that libpq (and Procrastinate) understands."""
    parsed = make_url(async_url(url))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def install_sqlite_pragmas(engine: sa.Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE.

    A deferred BEGIN lets two read-then-write transactions both read and then fail with
    "database is locked"; IMMEDIATE takes the write lock up front. A connection may ask
    for ``sqlite_begin="DEFERRED"`` for read-only work.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    url = async_url(url)
    _ensure_sqlite_dir(url)
    if make_url(url).get_backend_name() == "sqlite":
        # One connection per process: SQLite has one writer at a time anyway, and waiting
        # for the pool is a fair asyncio queue, whereas connections contending for the
        # write lock wait in SQLite's busy handler, which sleeps up to 100 ms per retry
        # (at 100 creates/s that turned a 10 ms batch into seconds of queueing).
        engine = create_async_engine(url, pool_size=1, max_overflow=0)
        install_sqlite_pragmas(engine.sync_engine)
        return engine
    # Kept open: at most two connections; up to ``pool_size`` under load, the rest closed
    # again when returned. An idle process then holds few connections, whatever the
    # setting (docs/scaling.md sizes max_connections from it).
    kept = min(2, pool_size)
    return create_async_engine(
        url, pool_size=kept, max_overflow=pool_size - kept, pool_pre_ping=True
    )


def make_sync_engine(url: str) -> sa.Engine:
    url = sync_url(url)
    _ensure_sqlite_dir(url)
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        install_sqlite_pragmas(engine)
    return engine


def _translate(exc: Exception) -> errors.AutoassignError:
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return errors.StoreUnavailable(f"database unavailable: {exc.orig or exc}")
    return errors.StoreUnavailable(f"database error: {exc}")


@asynccontextmanager
async def wrap_errors() -> AsyncIterator[None]:
    """Turn driver failures into StoreUnavailable; constraint errors are the caller's."""
    try:
        yield
    except OperationalError as exc:
        raise _translate(exc) from exc
    except OSError as exc:
        raise errors.StoreUnavailable(f"database unavailable: {exc}") from exc


@contextmanager
def wrap_errors_sync() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise _translate(exc) from exc
