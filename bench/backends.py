"""The two back ends a benchmark runs on, each able to hand out a fresh copy of the data.

Names come from the run's :class:`~bench.config.RunConfig`: PostgreSQL databases
``autoassign_bench_<run id>_…`` (only those this object created are ever dropped), SQLite
files in the run's own directory, Redis keys under the run's prefix (only those are ever
deleted).
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.engine import make_sync_engine
from bench import dataset
from bench.config import RunConfig, delete_keys


@dataclass
class Backend(ABC):
    """``name`` for the report; ``fresh`` gives a database URL holding an untouched copy."""

    name: str
    key: str
    workdir: Path
    config: RunConfig
    #: state in Redis (the run's keys in the run's Redis database) rather than in process
    uses_redis: bool = False
    #: template size → the migration head it was made (or last upgraded) at
    _templates: dict[int, str] = field(default_factory=dict)
    #: full names of the databases this object created: the only ones it drops
    _made: set[str] = field(default_factory=set)

    @property
    def redis_url(self) -> str | None:
        return self.config.redis_url if self.uses_redis else None

    @property
    def embedded(self) -> bool:
        return self.key == "sqlite"

    def env(self, url: str) -> dict[str, str]:
        """The AUTOASSIGN_* variables of a process serving ``url`` on this back end."""
        env = {"AUTOASSIGN_DATABASE_URL": url, "AUTOASSIGN_REDIS_PREFIX": self.config.redis_prefix}
        if self.redis_url:
            env["AUTOASSIGN_REDIS_URL"] = self.redis_url
        return env

    def flush_state(self) -> None:
        """Delete this run's Redis keys (never another run's, never a FLUSHDB)."""
        if self.redis_url:
            delete_keys(self.redis_url, self.config.redis_prefix)

    @contextmanager
    def fresh(self, spec: dataset.Spec, order: str) -> Iterator[str]:
        head = _head()
        if spec.conversations not in self._templates:
            self._make_template(spec)
            self._templates[spec.conversations] = head
        elif self._templates[spec.conversations] != head:
            # a migration was added while the bench ran (the tree is shared): the
            # processes it starts run the new code, so the copies need the new schema
            migrate.upgrade(self._template_url(spec.conversations))
            self._templates[spec.conversations] = head
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
        return f"tpl_{size}"

    @abstractmethod
    def _template_url(self, size: int) -> str:
        """The URL of the template of ``size`` conversations."""

    @abstractmethod
    def _create(self, name: str) -> str:
        """An empty database called ``name`` (within this run); its URL."""

    @abstractmethod
    def _clone(self, size: int) -> str:
        """A copy of the template of ``size`` conversations; its URL."""

    @abstractmethod
    def drop_all(self) -> None:
        """Remove every database this object made, and the run's Redis keys."""


class SqliteBackend(Backend):
    def _path(self, name: str) -> Path:
        return self.workdir / f"{name}.db"

    def _create(self, name: str) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self._path(name)}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{self._path(name)}"

    def _template_url(self, size: int) -> str:
        return f"sqlite:///{self._path(self._template_name(size))}"

    def _clone(self, size: int) -> str:
        url = self._create("run")
        shutil.copyfile(self._path(self._template_name(size)), self._path("run"))
        return url

    def drop_all(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.flush_state()


class PostgresBackend(Backend):
    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.config.pg_admin, autocommit=True)

    def _create(self, name: str, template: str | None = None) -> str:
        full = self.config.database(name)
        self._made.add(full)
        with self._admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{full}" WITH (FORCE)')
            suffix = f' TEMPLATE "{self.config.database(template)}"' if template else ""
            db.execute(f'CREATE DATABASE "{full}"{suffix}')
        return self.config.database_url(full)

    def _template_url(self, size: int) -> str:
        return self.config.database_url(self.config.database(self._template_name(size)))

    def _clone(self, size: int) -> str:
        # pg_statistic is per database, so the template's ANALYZE comes along
        return self._create("run", template=self._template_name(size))

    def database_name(self, url: str) -> str:
        return url.rsplit("/", 1)[1]

    def drop_all(self) -> None:
        with self._admin() as db:
            for name in sorted(self._made):
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.clear()
        self._templates.clear()
        self.flush_state()


def _head() -> str:
    """The newest migration's revision, as the files on disk say now."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    return ",".join(sorted(heads))


def all_backends(workdir: Path, config: RunConfig) -> list[Backend]:
    return [
        SqliteBackend("SQLite + memory", "sqlite", workdir / "sqlite", config),
        PostgresBackend("PostgreSQL + Redis", "postgres", workdir, config, uses_redis=True),
    ]
