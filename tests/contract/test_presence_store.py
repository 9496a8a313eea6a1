"""One PresenceStore contract, three implementations: memory, Redis and PostgreSQL.

Heartbeats keep auto-offline agents present until their TTL runs out; presence is per
account.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from autoassign.core.ports import PresenceStore
from autoassign.core.windows import HEARTBEAT_RETENTION_SECONDS
from tests.factories import T0


async def test_presence_expires(state: PresenceStore):
    await state.heartbeat(1, 7, T0, ttl_seconds=20)
    await state.heartbeat(1, 8, T0 - timedelta(seconds=15), ttl_seconds=20)
    assert await state.present(1, [7, 8, 9], T0) == {7, 8}
    assert await state.present(1, [7, 8, 9], T0 + timedelta(seconds=10)) == {7}
    assert await state.present(2, [7], T0) == set()  # per account
    assert await state.present(1, [], T0) == set()


async def test_a_new_heartbeat_extends_presence(state: PresenceStore):
    await state.heartbeat(1, 7, T0, ttl_seconds=20)
    await state.heartbeat(1, 7, T0 + timedelta(seconds=15), ttl_seconds=20)
    assert await state.present(1, [7], T0 + timedelta(seconds=30)) == {7}
    assert await state.present(1, [7], T0 + timedelta(seconds=35)) == set()


async def test_a_heartbeat_after_others_expired_keeps_only_the_fresh_ones(state: PresenceStore):
    await state.heartbeat(1, 7, T0, ttl_seconds=10)
    await state.heartbeat(1, 8, T0 + timedelta(seconds=30), ttl_seconds=10)
    assert await state.present(1, [7, 8], T0 + timedelta(seconds=30)) == {8}


async def test_a_flush_makes_agents_look_absent_until_their_next_heartbeat(
    state: PresenceStore, flush_state: Callable[[], Awaitable[None]]
):
    await state.heartbeat(1, 7, T0, ttl_seconds=20)
    await flush_state()
    assert await state.present(1, [7], T0) == set()
    await state.heartbeat(1, 7, T0, ttl_seconds=20)
    assert await state.present(1, [7], T0) == {7}


async def test_presence_ends_are_kept_after_they_pass(state: PresenceStore):
    """Reassignment counts its grace from when presence ended, so a lapsed heartbeat is
    remembered (for ``HEARTBEAT_RETENTION_SECONDS``) although others heartbeat since."""
    await state.heartbeat(1, 7, T0, ttl_seconds=10)
    await state.heartbeat(1, 8, T0 + timedelta(seconds=60), ttl_seconds=10)
    ends = await state.presence_ends(1, [7, 8, 9])
    assert ends == {7: T0 + timedelta(seconds=10), 8: T0 + timedelta(seconds=70)}
    assert await state.presence_ends(2, [7]) == {}
    assert await state.presence_ends(1, []) == {}
    later = T0 + timedelta(seconds=HEARTBEAT_RETENTION_SECONDS + 11)
    await state.heartbeat(1, 8, later, ttl_seconds=10)
    assert set(await state.presence_ends(1, [7, 8])) == {8}  # 7's is past the retention
