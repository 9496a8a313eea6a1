"""Run Alembic migrations programmatically, from the installed package."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from autoassign.adapters.sql.engine import make_sync_engine, sync_url, wrap_errors_sync


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("autoassign.adapters.sql").joinpath("migrations"))
    )
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; safe to run repeatedly."""
    config = alembic_config(url)
    engine = make_sync_engine(url)
    try:
        with wrap_errors_sync(), engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_sync_engine(url)
    try:
        with wrap_errors_sync(), engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
