"""Settings from the environment (prefix AUTOASSIGN_); nothing is read at import time."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./data/autoassign.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOASSIGN_", env_file=".env", extra="ignore")

    #: SQLite file by default; ``postgresql://…`` for production
    database_url: str = DEFAULT_DATABASE_URL
    #: None: in-process state (one process); ``redis://…`` to share state between workers
    redis_url: str | None = None
    #: prefix of every Redis key autoassign writes
    redis_prefix: str = Field("aa", min_length=1)
    #: conversations per batch
    bulk_limit: int = Field(500, gt=0)
    #: seconds a heartbeat keeps an auto-offline agent online
    presence_ttl: int = Field(60, gt=0)
    #: SQL connection pool size per process (PostgreSQL)
    pool_size: int = Field(5, gt=0)
    #: token for the platform API (creating accounts); unset: the platform API is off
    admin_token: str | None = None
    #: largest request body the API reads, in bytes (413 beyond it)
    max_body_bytes: int = Field(1_048_576, gt=0)
    #: seconds between periodic sweeps of every inbox with auto-assignment on
    sweep_interval: int = Field(300, gt=0)
    #: seconds before a failed inbox run is tried again (doubling, in-process)
    job_retry_delay: int = Field(5, gt=0)
    #: seconds without a worker heartbeat after which its job is recovered
    stalled_after: float = Field(30.0, gt=0)
    #: seconds a job may stay ``doing`` while its worker heartbeats before it is taken as
    #: wedged (failed, its inbox queued again); unset: max(10 * stalled_after, 300)
    wedged_after: float | None = Field(None, gt=0)
    #: inbox runs one worker process executes at once
    worker_concurrency: int = Field(4, gt=0)
    #: keep finished Procrastinate jobs (and their events) instead of deleting them
    keep_finished_jobs: bool = False
    #: tries per webhook delivery, and the first retry delay in seconds (doubling)
    webhook_attempts: int = Field(5, gt=0)
    webhook_retry_delay: float = Field(1.0, gt=0)
    #: webhook deliveries sent at once (by the process running them), and at most per
    #: account, so one account's slow receiver never holds up the others'
    webhook_concurrency: int = Field(16, gt=0)
    webhook_account_concurrency: int = Field(4, gt=0)
    #: seconds a webhook attempt may wait to connect, send or read (twice that in all)
    webhook_timeout: float = Field(5.0, gt=0)
    #: days the delivery log keeps settled deliveries and their attempts
    webhook_log_days: float = Field(7.0, gt=0)
    #: webhook targets allowed although not public (loopback, private, link-local...):
    #: comma-separated exact host names, addresses or CIDR ranges; empty: public only
    webhook_allowed_hosts: str = ""
    #: least severe log level written: DEBUG, INFO, WARNING, ERROR or CRITICAL
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value.replace("postgres://", "postgresql://", 1)

    @field_validator("sweep_interval")
    @classmethod
    def _even_interval(cls, value: int) -> int:
        evenly = (value < 60 and 60 % value == 0) or (value % 60 == 0 and 60 % (value // 60) == 0)
        evenly = evenly or (value % 3600 == 0 and 24 % (value // 3600) == 0)
        if not evenly:
            raise ValueError("sweep_interval must divide a minute, an hour or a day evenly")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        """Normalised, and typos refused at startup: a malformed range, a wildcard or a
        port would silently match nothing, and deliveries be refused in production."""
        entries = []
        for raw in value.split(","):
            entry = raw.strip().strip("[]").rstrip(".").lower()
            if not entry:
                continue
            if "*" in entry:
                raise ValueError(f"{raw.strip()!r}: wildcards are not supported; list names")
            if "/" in entry or ":" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{raw.strip()!r} is neither an address nor a CIDR range (no ports)"
                    ) from None
            entries.append(entry)
        return ",".join(entries)

    @property
    def redacted_database_url(self) -> str:
        """The database URL with any password hidden, for logs and messages."""
        parts = urlsplit(self.database_url)
        if parts.password is None:
            return self.database_url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def embedded(self) -> bool:
        """SQLite: one process runs the API and the in-process job queue."""
        return self.database_url.startswith("sqlite")

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
        return value
