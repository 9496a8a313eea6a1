"""The sliding-window rule, in one place, for every state store and the SQL rebuild.

Why here: the rule "an assignment counts towards an agent's fair-distribution limit for
exactly ``window_seconds`` after it was made" used to be spelled out in each state store
(memory, Redis, and again inside Lua). A store that rounds or compares differently would
count a different window, and the limit would depend on the back end. Every store now asks
this module for the cutoff and keeps only entries *after* it; the Lua scripts receive the
cutoff as an argument and never compute it.

Times are integer milliseconds since the epoch, the unit every state store keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def to_ms(moment: datetime) -> int:
    """``moment`` as integer milliseconds since the epoch (truncated)."""
    return int(moment.timestamp() * 1000)


def window_cutoff_ms(now: datetime, window_seconds: int) -> int:
    """The newest time (ms) that has already left the window at ``now``.

    An entry recorded at ``at_ms`` is in the window while ``at_ms > cutoff``: it leaves
    exactly ``window_seconds`` after it was recorded.
    """
    return to_ms(now) - window_seconds * 1000


def in_window(at_ms: int, cutoff_ms: int) -> bool:
    """Whether an entry recorded at ``at_ms`` still counts, given ``window_cutoff_ms``."""
    return at_ms > cutoff_ms


def trim_before_ms(now: datetime, window_seconds: int) -> int:
    """Entries at or before this time (ms) may be deleted.

    Counting never deletes: a batch counts the entries after *its* cutoff. Deleting at the
    cutoff would erase entries that a batch whose clock is slightly behind (another
    machine, or a batch that read its clock earlier) still has to count, and its limit
    would break. One whole window of margin keeps every such batch exact.
    """
    return window_cutoff_ms(now, window_seconds) - window_seconds * 1000


def frees_at(oldest_ms: int, window_seconds: int) -> datetime:
    """When an entry recorded at ``oldest_ms`` leaves the window: the earliest moment an
    agent at the limit can take work again."""
    return datetime.fromtimestamp((oldest_ms + window_seconds * 1000) / 1000, tz=UTC)


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The same cutoff as a datetime, for reading recent assignments back from SQL
    (which keeps those strictly after it)."""
    return now - timedelta(seconds=window_seconds)


def expiry_ms(now: datetime, ttl_seconds: int) -> int:
    """When a heartbeat sent at ``now`` stops counting: present while expiry > now (ms)."""
    return to_ms(now) + ttl_seconds * 1000


#: how long a lapsed heartbeat is remembered: reassignment counts its grace period from
#: the moment presence ended (core/reassignment.py), so that moment must outlive it
HEARTBEAT_RETENTION_SECONDS = 7 * 24 * 3600


def heartbeat_trim_ms(now: datetime) -> int:
    """Heartbeats that ended at or before this time (ms) may be deleted."""
    return to_ms(now) - HEARTBEAT_RETENTION_SECONDS * 1000


def from_ms(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC)


__all__ = [
    "HEARTBEAT_RETENTION_SECONDS",
    "expiry_ms",
    "frees_at",
    "from_ms",
    "heartbeat_trim_ms",
    "in_window",
    "to_ms",
    "trim_before_ms",
    "window_cutoff_ms",
    "window_start",
]
