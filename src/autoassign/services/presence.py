"""Heartbeats: agents with auto_offline stay online only while these keep arriving."""

from __future__ import annotations

from autoassign.core.ports import Clock, StateStore


async def heartbeat(
    account_id: int, agent_id: int, *, state: StateStore, clock: Clock, ttl_seconds: int
) -> None:
    await state.heartbeat(account_id, agent_id, clock.now(), ttl_seconds)
