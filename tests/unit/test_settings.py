"""Settings: what the environment may set, and what tests must never pick up."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoassign import __version__
from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app


def test_a_dotenv_file_in_the_working_directory_does_not_reach_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("AUTOASSIGN_BULK_LIMIT=7\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().bulk_limit == 500


def test_a_dotenv_file_configures_a_real_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".env").write_text("AUTOASSIGN_BULK_LIMIT=7\n")
    monkeypatch.chdir(tmp_path)
    assert Settings(_env_file=".env").bulk_limit == 7


def test_the_version_is_declared_once() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["version"]
    assert __version__ == declared
    assert create_app(Settings()).version == declared


def test_passwords_are_hidden_in_the_database_url() -> None:
    settings = Settings(database_url="postgresql://app:s3cret@db:5432/prod")
    assert settings.redacted_database_url == "postgresql://app:***@db:5432/prod"
    assert Settings().redacted_database_url == Settings().database_url
