"""PostgresStateStore: the shared state store when PostgreSQL runs without Redis.

Why it exists: PostgreSQL without ``redis_url`` used to get a per-process memory store,
so with two processes each counted only its own assignments and the fair-distribution
limit broke (defect D1), and a run gate taken in one process could not be released by
another. This store keeps the same state in PostgreSQL tables
(``postgres_tables.py``), so every process shares it, and passes the same contract suite
as ``MemoryStateStore`` and ``RedisStateStore``.

Each call is atomic like a Lua script on Redis: one statement where the work fits in one
(upserts with ``ON CONFLICT``, data-modifying CTEs, ``RETURNING``), otherwise one short
transaction. Times: windows and presence use the caller's clock through ``core.windows``
(the same rule as every other store); run gates use the database clock, as Redis expiry
uses the Redis server's. The store uses its own small connection pool: a batch holds a
connection (and its inbox lock) from the main pool while it calls the state store, so
sharing that pool could starve.

A deadlock between two calls (possible when concurrent calls delete overlapping rows) is
retried: every call either has no effect when aborted or is idempotent. Connection
failures surface as ``StateStoreUnavailable``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql.engine import make_engine
from autoassign.core import errors
from autoassign.core.ports import History, InboxState, WindowEntry
from autoassign.core.windows import (
    expiry_ms,
    from_ms,
    heartbeat_trim_ms,
    in_window,
    to_ms,
    trim_before_ms,
    window_cutoff_ms,
)

T = TypeVar("T")

#: deadlock_detected, serialization_failure: the statement had no effect; try again
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})
_ATTEMPTS = 5

_LOAD_INBOX = sa.text(
    """
    SELECT h.window_seconds AS marker,
           a.agent_id,
           (SELECT count(*) FROM state_windows w
             WHERE w.inbox_id = :inbox AND w.agent_id = a.agent_id
               AND w.at_ms > :cutoff) AS window_count,
           (SELECT min(w.at_ms) FROM state_windows w
             WHERE w.inbox_id = :inbox AND w.agent_id = a.agent_id
               AND w.at_ms > :cutoff) AS oldest_ms,
           (SELECT r.seq FROM state_rotation r
             WHERE r.inbox_id = :inbox AND r.agent_id = a.agent_id) AS seq
      FROM (SELECT 1) AS one
      LEFT JOIN state_hydrated h ON h.inbox_id = :inbox
      LEFT JOIN unnest(CAST(:agents AS BIGINT[])) AS a(agent_id) ON true
    """
)

# Trims the inbox's entries that left the window (except those being re-recorded, so no
# row is touched twice), adds the new entries and moves the rotation forward (ZADD GT).
_RECORD = sa.text(
    """
    WITH new AS (
        SELECT * FROM unnest(CAST(:agents AS BIGINT[]), CAST(:conversations AS BIGINT[]))
            AS n(agent_id, conversation_id)
    ), trimmed AS (
        DELETE FROM state_windows w
         WHERE w.inbox_id = :inbox AND w.at_ms <= :trim
           AND NOT EXISTS (SELECT 1 FROM new
                            WHERE new.agent_id = w.agent_id
                              AND new.conversation_id = w.conversation_id)
    ), rotated AS (
        INSERT INTO state_rotation AS r (inbox_id, agent_id, seq)
        SELECT :inbox, agent_id, seq
          FROM unnest(CAST(:rotation_agents AS BIGINT[]), CAST(:rotation_seqs AS BIGINT[]))
            AS s(agent_id, seq)
         ORDER BY agent_id
        ON CONFLICT (inbox_id, agent_id) DO UPDATE SET seq = GREATEST(r.seq, excluded.seq)
    )
    INSERT INTO state_windows AS w (inbox_id, agent_id, conversation_id, at_ms)
    SELECT :inbox, agent_id, conversation_id, :at FROM new
     ORDER BY agent_id, conversation_id
    ON CONFLICT (inbox_id, agent_id, conversation_id) DO UPDATE SET at_ms = excluded.at_ms
    """
)

_HYDRATE_CLEAR = sa.text(
    """
    WITH windows AS (
        DELETE FROM state_windows
         WHERE inbox_id = :inbox AND agent_id = ANY(CAST(:agents AS BIGINT[]))
    )
    DELETE FROM state_rotation WHERE inbox_id = :inbox
    """
)

# Upserts rather than inserts: a concurrent hydrate of the same inbox (explain does not
# hold the inbox lock) may have written the same rows after this one cleared them.
_HYDRATE_FILL = sa.text(
    """
    WITH windows AS (
        INSERT INTO state_windows AS w (inbox_id, agent_id, conversation_id, at_ms)
        SELECT :inbox, agent_id, conversation_id, at_ms
          FROM unnest(CAST(:agents AS BIGINT[]), CAST(:conversations AS BIGINT[]),
                      CAST(:ats AS BIGINT[])) AS n(agent_id, conversation_id, at_ms)
         ORDER BY agent_id, conversation_id
        ON CONFLICT (inbox_id, agent_id, conversation_id) DO UPDATE SET at_ms = excluded.at_ms
    ), rotation AS (
        INSERT INTO state_rotation AS r (inbox_id, agent_id, seq)
        SELECT :inbox, agent_id, seq
          FROM unnest(CAST(:rotation_agents AS BIGINT[]), CAST(:rotation_seqs AS BIGINT[]))
            AS s(agent_id, seq)
         ORDER BY agent_id
        ON CONFLICT (inbox_id, agent_id) DO UPDATE SET seq = excluded.seq
    )
    INSERT INTO state_hydrated AS h (inbox_id, window_seconds) VALUES (:inbox, :window)
    ON CONFLICT (inbox_id) DO UPDATE SET window_seconds = excluded.window_seconds
    """
)

_FORGET = sa.text(
    """
    DELETE FROM state_windows w
     USING unnest(CAST(:agents AS BIGINT[]), CAST(:conversations AS BIGINT[]))
        AS f(agent_id, conversation_id)
     WHERE w.inbox_id = :inbox AND w.agent_id = f.agent_id
       AND w.conversation_id = f.conversation_id
    """
)

# Drops the account's heartbeats that ended before the retention (not the one being
# refreshed), like the Redis ZREMRANGEBYSCORE, and sets this agent's expiry.
_HEARTBEAT = sa.text(
    """
    WITH expired AS (
        DELETE FROM state_presence
         WHERE account_id = :account AND expires_ms <= :trim AND agent_id <> :agent
    )
    INSERT INTO state_presence AS p (account_id, agent_id, expires_ms)
    VALUES (:account, :agent, :expires)
    ON CONFLICT (account_id, agent_id) DO UPDATE SET expires_ms = excluded.expires_ms
    """
)

_PRESENCE_ENDS = sa.text(
    """
    SELECT agent_id, expires_ms FROM state_presence
     WHERE account_id = :account AND agent_id = ANY(CAST(:agents AS BIGINT[]))
    """
)

_PRESENT = sa.text(
    """
    SELECT agent_id FROM state_presence
     WHERE account_id = :account AND agent_id = ANY(CAST(:agents AS BIGINT[]))
       AND expires_ms > :now
    """
)

# Takes a free (missing or expired) gate and returns true; flags a held one to go again
# and returns false. The SET expressions read the row as it was before this statement.
_REQUEST_RUN = sa.text(
    """
    INSERT INTO state_run_gates AS g (name, expires_at, again)
    VALUES (:name, statement_timestamp() + make_interval(secs => :ttl), false)
    ON CONFLICT (name) DO UPDATE SET
        again = g.expires_at > statement_timestamp(),
        expires_at = CASE WHEN g.expires_at > statement_timestamp() THEN g.expires_at
                          ELSE excluded.expires_at END
    RETURNING NOT again AS took
    """
)

_CLAIM_RUN = sa.text(
    """
    INSERT INTO state_run_gates AS g (name, expires_at, again)
    VALUES (:name, statement_timestamp() + make_interval(secs => :ttl), false)
    ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at, again = false
    """
)

# Holds the gate again and returns a row when triggers arrived (again) or the gate was
# lost (missing or expired): a lost gate may have lost a trigger with it (defect D2).
# Otherwise returns nothing, but the conflicting row stays locked (ON CONFLICT DO UPDATE
# locks it even when its WHERE is false) until _RELEASE_RUN deletes it in the same
# transaction, so no trigger can slip in between.
_FINISH_RUN = sa.text(
    """
    INSERT INTO state_run_gates AS g (name, expires_at, again)
    VALUES (:name, statement_timestamp() + make_interval(secs => :ttl), false)
    ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at, again = false
     WHERE g.again OR g.expires_at <= statement_timestamp()
    RETURNING true AS again
    """
)

_RELEASE_RUN = sa.text("DELETE FROM state_run_gates WHERE name = :name")


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _unavailable(exc: BaseException) -> errors.StateStoreUnavailable:
    cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    return errors.StateStoreUnavailable(f"state store unavailable: {cause}")


class PostgresStateStore:
    def __init__(self, engine: AsyncEngine, *, owns_engine: bool = False) -> None:
        """``engine`` must be PostgreSQL; ``owns_engine``: ``close()`` disposes it."""
        if engine.dialect.name != "postgresql":
            raise ValueError(f"PostgresStateStore needs PostgreSQL, not {engine.dialect.name}")
        self._engine = engine
        self._owns_engine = owns_engine

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 5) -> PostgresStateStore:
        """A store with its own connection pool on the database at ``url``."""
        return cls(make_engine(url, pool_size=pool_size), owns_engine=True)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._engine.begin() as conn:
                yield conn
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
            if isinstance(exc, sa_exc.DBAPIError) and _sqlstate(exc) in _RETRY_SQLSTATES:
                raise
            raise _unavailable(exc) from exc
        except OSError as exc:
            raise _unavailable(exc) from exc

    async def _run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work`` in one transaction, again if it lost a deadlock."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self._connection() as conn:
                    return await work(conn)
            except sa_exc.DBAPIError as exc:
                if _sqlstate(exc) not in _RETRY_SQLSTATES:
                    raise
                if attempt == _ATTEMPTS:
                    raise _unavailable(exc) from exc
        raise AssertionError("unreachable")

    async def _execute(self, statement: sa.TextClause, **params: Any) -> list[sa.Row[Any]]:
        """One statement in its own transaction; the rows it returns, if any."""

        async def work(conn: AsyncConnection) -> list[sa.Row[Any]]:
            result = await conn.execute(statement, params)
            return list(result) if result.returns_rows else []

        return await self._run(work)

    async def load_inbox(
        self, inbox_id: int, agent_ids: Sequence[int], window_seconds: int, now: datetime
    ) -> InboxState:
        rows = await self._execute(
            _LOAD_INBOX,
            inbox=inbox_id,
            agents=list(agent_ids),
            cutoff=window_cutoff_ms(now, window_seconds),
        )
        marker = rows[0].marker
        counts = {r.agent_id: int(r.window_count) for r in rows if r.agent_id is not None}
        ranks = {r.agent_id: int(r.seq or 0) for r in rows if r.agent_id is not None}
        return InboxState(
            hydrated=marker == window_seconds,
            window_counts={a: counts.get(a, 0) for a in agent_ids},
            rotation={a: ranks.get(a, 0) for a in agent_ids},
            oldest_ms={
                r.agent_id: int(r.oldest_ms)
                for r in rows
                if r.agent_id is not None and r.oldest_ms is not None
            },
        )

    async def hydrate(
        self,
        inbox_id: int,
        agent_ids: Sequence[int],
        history: History,
        window_seconds: int,
        now: datetime,
    ) -> None:
        cutoff = window_cutoff_ms(now, window_seconds)
        windows: dict[tuple[int, int], int] = {}
        for entry in history.window_entries:
            at = to_ms(entry.assigned_at)
            if in_window(at, cutoff):
                windows[(entry.agent_id, entry.conversation_id)] = at

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                _HYDRATE_CLEAR,
                {"inbox": inbox_id, "agents": sorted({*agent_ids, *history.rotation})},
            )
            await conn.execute(
                _HYDRATE_FILL,
                {
                    "inbox": inbox_id,
                    "agents": [a for a, _ in windows],
                    "conversations": [c for _, c in windows],
                    "ats": list(windows.values()),
                    "rotation_agents": list(history.rotation),
                    "rotation_seqs": list(history.rotation.values()),
                    "window": window_seconds,
                },
            )

        await self._run(work)

    async def record(
        self,
        inbox_id: int,
        entries: Sequence[WindowEntry],
        rotation: Mapping[int, int],
        window_seconds: int,
        now: datetime,
    ) -> None:
        if not entries and not rotation:
            return
        unique = dict.fromkeys((e.agent_id, e.conversation_id) for e in entries)
        await self._execute(
            _RECORD,
            inbox=inbox_id,
            agents=[a for a, _ in unique],
            conversations=[c for _, c in unique],
            rotation_agents=list(rotation),
            rotation_seqs=list(rotation.values()),
            at=to_ms(now),
            trim=trim_before_ms(now, window_seconds),
        )

    async def forget(self, inbox_id: int, entries: Sequence[WindowEntry]) -> None:
        if not entries:
            return
        await self._execute(
            _FORGET,
            inbox=inbox_id,
            agents=[e.agent_id for e in entries],
            conversations=[e.conversation_id for e in entries],
        )

    async def heartbeat(
        self, account_id: int, agent_id: int, now: datetime, ttl_seconds: int
    ) -> None:
        await self._execute(
            _HEARTBEAT,
            account=account_id,
            agent=agent_id,
            trim=heartbeat_trim_ms(now),
            expires=expiry_ms(now, ttl_seconds),
        )

    async def present(self, account_id: int, agent_ids: Sequence[int], now: datetime) -> set[int]:
        if not agent_ids:
            return set()
        rows = await self._execute(
            _PRESENT, account=account_id, agents=list(agent_ids), now=to_ms(now)
        )
        return {int(row.agent_id) for row in rows}

    async def presence_ends(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, datetime]:
        if not agent_ids:
            return {}
        rows = await self._execute(_PRESENCE_ENDS, account=account_id, agents=list(agent_ids))
        return {int(row.agent_id): from_ms(int(row.expires_ms)) for row in rows}

    async def request_run(self, name: str, ttl_seconds: float) -> bool:
        (row,) = await self._execute(_REQUEST_RUN, name=name, ttl=float(ttl_seconds))
        return bool(row.took)

    async def claim_run(self, name: str, ttl_seconds: float) -> None:
        await self._execute(_CLAIM_RUN, name=name, ttl=float(ttl_seconds))

    async def finish_run(self, name: str, ttl_seconds: float) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            again = await conn.execute(_FINISH_RUN, {"name": name, "ttl": float(ttl_seconds)})
            if again.first() is not None:
                return True
            await conn.execute(_RELEASE_RUN, {"name": name})
            return False

        return await self._run(work)

    async def ping(self) -> None:
        await self._execute(sa.text("SELECT 1"))

    async def close(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()


__all__ = ["PostgresStateStore"]
