"""Settings from the environment (prefix AUTOASSIGN_); nothing is read at import time."""

from __future__ import annotations

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
    bulk_limit: int = Field(100, gt=0)
    #: seconds a heartbeat keeps an auto-offline agent online
    presence_ttl: int = Field(60, gt=0)
    #: SQL connection pool size per process (PostgreSQL)
    pool_size: int = Field(5, gt=0)
    #: token for the platform API (creating accounts); unset: the platform API is off
    admin_token: str | None = None
    #: tries per webhook delivery, and the first retry delay in seconds (doubling)
    webhook_attempts: int = Field(5, gt=0)
    webhook_retry_delay: float = Field(1.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value.replace("postgres://", "postgresql://", 1)

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
        return value
