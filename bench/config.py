"""Where a bench run puts its data, so that two runs (or a run and the test suite) never
meet: its own database names, its own Redis keys, its own ports.

Every name carries the run's id (``AUTOASSIGN_BENCH_RUN_ID``, by default the process id
and a few random characters). PostgreSQL databases are ``autoassign_bench_<id>_…`` and
only the ones this run created are ever dropped; Redis keys live under the prefix
``aabench:<id>`` in database 12 (``AUTOASSIGN_BENCH_REDIS_URL``; the test suite uses 9)
and only those keys are ever deleted (no FLUSHDB); the API and the webhook receiver
listen on ports the kernel hands out unless ``AUTOASSIGN_BENCH_API_PORT`` and
``AUTOASSIGN_BENCH_RECEIVER_PORT`` say otherwise.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis

DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def _new_run_id() -> str:
    return f"{os.getpid()}{secrets.token_hex(3)}"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class RunConfig:
    """One bench run's servers and names; ``from_env`` reads the overrides."""

    run_id: str = field(default_factory=_new_run_id)
    #: a database to connect to for CREATE/DROP DATABASE (never written to)
    pg_admin: str = DEFAULT_PG_ADMIN
    redis_url: str = DEFAULT_REDIS_URL
    #: 0: a free port chosen when needed
    api_port: int = 0
    receiver_port: int = 0

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]{1,24}", self.run_id):
            raise ValueError(f"run id {self.run_id!r}: 1 to 24 characters among a-z, 0-9 and _")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunConfig:
        env = os.environ if env is None else env
        return cls(
            run_id=env.get("AUTOASSIGN_BENCH_RUN_ID") or _new_run_id(),
            pg_admin=env.get("AUTOASSIGN_BENCH_PG_ADMIN_URL") or DEFAULT_PG_ADMIN,
            redis_url=env.get("AUTOASSIGN_BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
            api_port=int(env.get("AUTOASSIGN_BENCH_API_PORT") or 0),
            receiver_port=int(env.get("AUTOASSIGN_BENCH_RECEIVER_PORT") or 0),
        )

    def database(self, suffix: str) -> str:
        """``autoassign_bench_<run id>_<suffix>``: this run's database of that name."""
        name = f"autoassign_bench_{self.run_id}_{suffix}"
        if len(name) > 63 or not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"bad database name {name!r}")
        return name

    def database_url(self, name: str) -> str:
        base, _, _ = self.pg_admin.rpartition("/")
        return f"{base}/{name}"

    @property
    def redis_prefix(self) -> str:
        """The prefix of every key this run writes (autoassign's and the baselines')."""
        return f"aabench:{self.run_id}"

    def ports(self) -> tuple[int, int]:
        """(API port, receiver port): the configured ones, or free ones."""
        api = self.api_port or free_port()
        receiver = self.receiver_port or free_port()
        while receiver == api:
            receiver = free_port()
        return api, receiver


def delete_keys(redis_url: str, prefix: str) -> int:
    """Delete every key ``<prefix>:…`` (and only those); returns how many."""
    deleted = 0
    with redis.Redis.from_url(redis_url) as r:
        batch: list[bytes] = []
        for key in r.scan_iter(match=f"{prefix}:*", count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                deleted += int(r.unlink(*batch))
                batch = []
        if batch:
            deleted += int(r.unlink(*batch))
    return deleted


def count_keys(redis_url: str, prefix: str) -> int:
    """How many keys ``<prefix>:…`` there are."""
    with redis.Redis.from_url(redis_url) as r:
        return sum(1 for _ in r.scan_iter(match=f"{prefix}:*", count=10_000))
