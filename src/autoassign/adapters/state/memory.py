"""MemoryStateStore: the embedded twin of RedisStateStore and PostgresStateStore, for one
process.

All methods run without awaiting, so on one event loop each call is atomic, like a Lua
script on Redis. State dies with the process; the SQL store rebuilds it. ``clear()``
models a flush, so tests can show what losing the state does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

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


class MemoryStateStore:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        #: (inbox, agent) → conversation id → assigned at (ms)
        self._windows: dict[tuple[int, int], dict[int, int]] = {}
        #: inbox → agent → rotation sequence
        self._rotation: dict[int, dict[int, int]] = {}
        #: inbox → window (s) the inbox was last rebuilt with
        self._hydrated: dict[int, int] = {}
        #: account → agent → heartbeat expiry (ms)
        self._presence: dict[int, dict[int, int]] = {}
        #: run gate name → monotonic expiry
        self._gates: dict[str, float] = {}
        #: run gates whose holder must go again
        self._again: set[str] = set()

    def clear(self) -> None:
        """Forget everything, as a Redis flush or restart would."""
        for part in (
            self._windows,
            self._rotation,
            self._hydrated,
            self._presence,
            self._gates,
            self._again,
        ):
            part.clear()

    def _window(self, key: tuple[int, int], cutoff_ms: int, trim_ms: int) -> list[int]:
        """The entries (ms) that count at ``cutoff_ms``; only those at or before
        ``trim_ms`` are deleted (``core.windows.trim_before_ms`` says why)."""
        entries = self._windows.get(key)
        if not entries:
            return []
        for cid in [cid for cid, at in entries.items() if at <= trim_ms]:
            del entries[cid]
        if not entries:
            del self._windows[key]
        return [at for at in entries.values() if in_window(at, cutoff_ms)]

    async def load_inbox(
        self, inbox_id: int, agent_ids: Sequence[int], window_seconds: int, now: datetime
    ) -> InboxState:
        cutoff = window_cutoff_ms(now, window_seconds)
        trim = trim_before_ms(now, window_seconds)
        rotation = self._rotation.get(inbox_id, {})
        windows = {a: self._window((inbox_id, a), cutoff, trim) for a in agent_ids}
        return InboxState(
            hydrated=self._hydrated.get(inbox_id) == window_seconds,
            window_counts={a: len(w) for a, w in windows.items()},
            rotation={a: rotation.get(a, 0) for a in agent_ids},
            oldest_ms={a: min(w) for a, w in windows.items() if w},
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
        for agent_id in {*agent_ids, *history.rotation}:
            self._windows.pop((inbox_id, agent_id), None)
        for entry in history.window_entries:
            at = to_ms(entry.assigned_at)
            if in_window(at, cutoff):
                self._windows.setdefault((inbox_id, entry.agent_id), {})[entry.conversation_id] = at
        self._rotation[inbox_id] = dict(history.rotation)
        self._hydrated[inbox_id] = window_seconds

    async def record(
        self,
        inbox_id: int,
        entries: Sequence[WindowEntry],
        rotation: Mapping[int, int],
        window_seconds: int,
        now: datetime,
    ) -> None:
        at = to_ms(now)
        for entry in entries:
            self._windows.setdefault((inbox_id, entry.agent_id), {})[entry.conversation_id] = at
        current = self._rotation.setdefault(inbox_id, {})
        for agent_id, seq in rotation.items():
            current[agent_id] = max(seq, current.get(agent_id, 0))

    async def forget(self, inbox_id: int, entries: Sequence[WindowEntry]) -> None:
        for entry in entries:
            self._windows.get((inbox_id, entry.agent_id), {}).pop(entry.conversation_id, None)

    async def heartbeat(
        self, account_id: int, agent_id: int, now: datetime, ttl_seconds: int
    ) -> None:
        expiries = self._presence.setdefault(account_id, {})
        trim = heartbeat_trim_ms(now)
        for other in [a for a, ends in expiries.items() if ends <= trim]:
            del expiries[other]
        expiries[agent_id] = expiry_ms(now, ttl_seconds)

    async def present(self, account_id: int, agent_ids: Sequence[int], now: datetime) -> set[int]:
        expiries = self._presence.get(account_id, {})
        at = to_ms(now)
        return {a for a in agent_ids if expiries.get(a, 0) > at}

    async def presence_ends(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, datetime]:
        expiries = self._presence.get(account_id, {})
        return {a: from_ms(expiries[a]) for a in agent_ids if a in expiries}

    def _held(self, name: str) -> bool:
        expiry = self._gates.get(name)
        return expiry is not None and expiry > self._monotonic()

    def _hold(self, name: str, ttl_seconds: float) -> None:
        self._gates[name] = self._monotonic() + ttl_seconds

    async def request_run(self, name: str, ttl_seconds: float) -> bool:
        if not self._held(name):
            self._hold(name, ttl_seconds)
            return True
        self._again.add(name)
        return False

    async def claim_run(self, name: str, ttl_seconds: float) -> None:
        self._hold(name, ttl_seconds)
        self._again.discard(name)

    async def finish_run(self, name: str, ttl_seconds: float) -> bool:
        if name in self._again or not self._held(name):
            # triggers arrived, or the gate was lost (flushed, expired) and with it any
            # record of them: go again, holding the gate
            self._again.discard(name)
            self._hold(name, ttl_seconds)
            return True
        del self._gates[name]
        return False

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
