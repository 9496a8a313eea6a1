"""The two back ends a benchmark runs on, each able to hand out a fresh copy of the data."""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.engine import make_sync_engine
from bench import dataset

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/12"


@dataclass
class Backend(ABC):
    """``name`` for the report; ``fresh`` gives a database URL holding an untouched copy."""

    name: str
    key: str
    workdir: Path
    redis_url: str | None = None
    _templates: set[int] = field(default_factory=set)

    def env(self, url: str) -> dict[str, str]:
        env = {"AUTOASSIGN_DATABASE_URL": url}
        if self.redis_url:
            env["AUTOASSIGN_REDIS_URL"] = self.redis_url
        return env

    def flush_state(self) -> None:
        if self.redis_url:
            with redis.Redis.from_url(self.redis_url) as r:
                r.flushdb()

    @contextmanager
    def fresh(self, spec: dataset.Spec, order: str) -> Iterator[str]:
        if spec.conversations not in self._templates:
            self._make_template(spec)
            self._templates.add(spec.conversations)
        self.flush_state()
        url = self._clone(spec.conversations)
        engine = make_sync_engine(url)
        try:
            dataset.set_order(engine, order)
        finally:
            engine.dispose()
        yield url

    def _make_template(self, spec: dataset.Spec) -> None:
        url = self._create(self._template_name(spec.conversations))
        migrate.upgrade(url)
        engine = make_sync_engine(url)
        try:
            dataset.load(engine, spec)
        finally:
            engine.dispose()

    def _template_name(self, size: int) -> str:
        return f"aa_bench_tpl_{size}"

    @abstractmethod
    def _create(self, name: str) -> str:
        """Per back end."""

    @abstractmethod
    def _clone(self, size: int) -> str:
        """Per back end."""

    @abstractmethod
    def drop_all(self) -> None:
        """Per back end."""


class SqliteBackend(Backend):
    def _path(self, name: str) -> Path:
        return self.workdir / f"{name}.db"

    def _create(self, name: str) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self._path(name)}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{self._path(name)}"

    def _clone(self, size: int) -> str:
        url = self._create("aa_bench_run")
        shutil.copyfile(self._path(self._template_name(size)), self._path("aa_bench_run"))
        return url

    def drop_all(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


class PostgresBackend(Backend):
    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(PG_ADMIN, autocommit=True)

    def _create(self, name: str, template: str | None = None) -> str:
        with self._admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            db.execute(f'CREATE DATABASE "{name}"{suffix}')
        return f"postgresql://postgres@127.0.0.1:5432/{name}"

    def _clone(self, size: int) -> str:
        # pg_statistic is per database, so the template's ANALYZE comes along
        return self._create("aa_bench_run", template=self._template_name(size))

    def drop_all(self) -> None:
        with self._admin() as db:
            names = db.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'aa_bench_%'"
            ).fetchall()
            for (name,) in names:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def all_backends(workdir: Path) -> list[Backend]:
    return [
        SqliteBackend("SQLite + memory", "sqlite", workdir),
        PostgresBackend("PostgreSQL + Redis", "postgres", workdir, redis_url=REDIS_URL),
    ]
