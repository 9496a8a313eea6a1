"""RedisStateStore: the production state store, shared by every worker.

Owns the keys built by ``keys.Keys``: per-agent window ZSETs, the rotation ZSET and the
hydrated marker of each inbox, presence ZSETs per account, and run gates. A batch's
reads and its writes run as one Lua script each; other writes as one MULTI pipeline. The
window rule comes from ``core.windows``; the scripts receive its cutoff. Every Redis
failure surfaces as ``StateStoreUnavailable``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError

from autoassign.adapters.state.keys import Keys
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


def _script(name: str) -> str:
    return resources.files(__package__).joinpath("lua", name).read_text(encoding="utf-8")


@asynccontextmanager
async def _wrap_errors() -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise errors.StateStoreUnavailable(f"state store unavailable: {exc}") from exc


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _window_key_ttl_ms(window_seconds: int) -> int:
    """How long a window key lives after its last write: two windows, the horizon
    ``trim_before_ms`` keeps entries for. A batch reads its clock before its load
    reaches Redis (milliseconds later, or more on a busy machine); a key that expired
    exactly one window after its newest entry could vanish while that batch must still
    count the entry, and the limit would break (seen in tests/faults)."""
    return 2 * window_seconds * 1000


def _marker(window_seconds: int, run_id: str) -> str:
    """The hydrated marker: the window it was rebuilt with, and by which server run."""
    return f"{window_seconds}:{run_id}"


class RedisStateStore:
    def __init__(self, client: aioredis.Redis, prefix: str = "aa") -> None:
        self._redis = client
        self.keys = Keys(prefix)
        self._load = client.register_script(_script("load_inbox.lua"))
        self._request_run = client.register_script(_script("request_run.lua"))
        self._finish_run = client.register_script(_script("finish_run.lua"))
        self._record = client.register_script(_script("record.lua"))

    @classmethod
    def from_url(cls, url: str, prefix: str = "aa") -> RedisStateStore:
        """A client that reconnects by itself: after a Redis restart the first command on
        a pooled connection meets "Connection closed by server", and is retried on a new
        connection instead of failing the batch (every script here is idempotent)."""
        client = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
            retry_on_error=[ConnectionError, TimeoutError],
            health_check_interval=30,
        )
        return cls(client, prefix)

    async def load_inbox(
        self, inbox_id: int, agent_ids: Sequence[int], window_seconds: int, now: datetime
    ) -> InboxState:
        k = self.keys
        async with _wrap_errors():
            marker, run_id, ranks, counts, oldest = await self._load(
                keys=[
                    k.hydrated(inbox_id),
                    k.rotation(inbox_id),
                    *(k.window(inbox_id, a) for a in agent_ids),
                ],
                args=[
                    window_cutoff_ms(now, window_seconds),
                    trim_before_ms(now, window_seconds),
                    *agent_ids,
                ],
            )
        return InboxState(
            hydrated=marker == _marker(window_seconds, run_id),
            window_counts={a: int(c) for a, c in zip(agent_ids, counts, strict=True)},
            rotation={a: int(float(r)) for a, r in zip(agent_ids, ranks, strict=True)},
            oldest_ms={
                a: int(float(o)) for a, o in zip(agent_ids, oldest, strict=True) if o != "0"
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
        k = self.keys
        cutoff = window_cutoff_ms(now, window_seconds)
        windows: dict[int, dict[str, int]] = {}
        for entry in history.window_entries:
            at = to_ms(entry.assigned_at)
            if in_window(at, cutoff):
                windows.setdefault(entry.agent_id, {})[str(entry.conversation_id)] = at
        async with _wrap_errors():
            # read before rebuilding: a restart in between leaves a stale marker, and the
            # next batch rebuilds again (never a fresh marker over lost entries)
            run_id = str((await self._redis.info("server"))["run_id"])
        async with _wrap_errors(), self._redis.pipeline(transaction=True) as pipe:
            for agent_id in {*agent_ids, *history.rotation}:
                pipe.delete(k.window(inbox_id, agent_id))
            for agent_id, members in windows.items():
                pipe.zadd(k.window(inbox_id, agent_id), members)
                pipe.pexpire(k.window(inbox_id, agent_id), _window_key_ttl_ms(window_seconds))
            pipe.delete(k.rotation(inbox_id))
            if history.rotation:
                pipe.zadd(k.rotation(inbox_id), {str(a): s for a, s in history.rotation.items()})
            pipe.set(k.hydrated(inbox_id), _marker(window_seconds, run_id))
            await pipe.execute()

    async def record(
        self,
        inbox_id: int,
        entries: Sequence[WindowEntry],
        rotation: Mapping[int, int],
        window_seconds: int,
        now: datetime,
    ) -> None:
        k = self.keys
        at = to_ms(now)
        per_agent: dict[int, list[int]] = {}
        for entry in entries:
            per_agent.setdefault(entry.agent_id, []).append(entry.conversation_id)
        if not per_agent and not rotation:
            return
        keys = [k.rotation(inbox_id)]
        args: list[int | str] = [at, _window_key_ttl_ms(window_seconds)]
        for agent_id, members in per_agent.items():
            keys.append(k.window(inbox_id, agent_id))
            args.append(len(members))
            args.extend(members)
        for agent_id, seq in rotation.items():
            args.extend((seq, agent_id))
        async with _wrap_errors():
            await self._record(keys=keys, args=args)

    async def forget(self, inbox_id: int, entries: Sequence[WindowEntry]) -> None:
        if not entries:
            return
        async with _wrap_errors(), self._redis.pipeline(transaction=True) as pipe:
            for entry in entries:
                pipe.zrem(self.keys.window(inbox_id, entry.agent_id), str(entry.conversation_id))
            await pipe.execute()

    async def heartbeat(
        self, account_id: int, agent_id: int, now: datetime, ttl_seconds: int
    ) -> None:
        key = self.keys.presence(account_id)
        async with _wrap_errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", heartbeat_trim_ms(now))
            pipe.zadd(key, {str(agent_id): expiry_ms(now, ttl_seconds)})
            await pipe.execute()

    async def present(self, account_id: int, agent_ids: Sequence[int], now: datetime) -> set[int]:
        if not agent_ids:
            return set()
        async with _wrap_errors():
            scores = await self._redis.zmscore(
                self.keys.presence(account_id), [str(a) for a in agent_ids]
            )
        at = to_ms(now)
        return {a for a, s in zip(agent_ids, scores, strict=True) if s is not None and s > at}

    async def presence_ends(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, datetime]:
        if not agent_ids:
            return {}
        async with _wrap_errors():
            scores = await self._redis.zmscore(
                self.keys.presence(account_id), [str(a) for a in agent_ids]
            )
        return {a: from_ms(int(s)) for a, s in zip(agent_ids, scores, strict=True) if s is not None}

    async def request_run(self, name: str, ttl_seconds: float) -> bool:
        keys = [self.keys.gate(name), self.keys.again(name)]
        async with _wrap_errors():
            took = await self._request_run(keys=keys, args=[_ms(ttl_seconds)])
        return bool(took)

    async def claim_run(self, name: str, ttl_seconds: float) -> None:
        async with _wrap_errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.gate(name), "1", px=_ms(ttl_seconds))
            pipe.delete(self.keys.again(name))
            await pipe.execute()

    async def finish_run(self, name: str, ttl_seconds: float) -> bool:
        keys = [self.keys.gate(name), self.keys.again(name)]
        async with _wrap_errors():
            again = await self._finish_run(keys=keys, args=[_ms(ttl_seconds)])
        return bool(again)

    async def ping(self) -> None:
        async with _wrap_errors():
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
