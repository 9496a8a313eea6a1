"""The `autoassign` command, run through Typer's test runner on a temporary SQLite file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from autoassign.entrypoints.cli import app

runner = CliRunner()


def flat(output: str) -> str:
    """Rich wraps long lines; compare text with whitespace folded."""
    return " ".join(output.split())


@pytest.fixture
def db_env(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOASSIGN_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    return tmp_path


def test_db_upgrade_is_idempotent(db_env):
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "is up to date" in flat(result.output)


def test_demo_seeds_assigns_and_explains(db_env):
    result = runner.invoke(app, ["demo", "--conversations", "120"])
    assert result.exit_code == 0, result.output
    assert "Who got what" in result.output
    assert "Why the rest were not assigned" in result.output
    assert "120 conversations seeded; assigned" in flat(result.output)
    # busy and offline agents never receive work
    for line in result.output.splitlines():
        if "│ busy" in line or "│ offline" in line:
            assert line.rstrip("│ ").endswith("0"), line


def test_assign_runs_one_inbox(db_env):
    assert runner.invoke(app, ["demo", "--conversations", "30"]).exit_code == 0
    result = runner.invoke(app, ["assign", "1", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "assigned" in result.output


def test_unknown_inbox_is_a_clear_error(db_env):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["assign", "999"])
    assert result.exit_code == 2
    assert "inbox 999 not found" in flat(result.output)


def test_negative_limit_is_a_clear_error(db_env):
    result = runner.invoke(app, ["assign", "1", "--limit", "-3"])
    assert result.exit_code == 2
    assert "limit must be a positive integer (got -3)" in flat(result.output)


def test_bad_configuration_names_the_variable(db_env, monkeypatch):
    monkeypatch.setenv("AUTOASSIGN_BULK_LIMIT", "0")
    result = runner.invoke(app, ["assign", "1"])
    assert result.exit_code == 2
    assert "AUTOASSIGN_BULK_LIMIT" in flat(result.output)


def test_unsupported_database_url_is_rejected(monkeypatch):
    monkeypatch.setenv("AUTOASSIGN_DATABASE_URL", "mysql://x")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "AUTOASSIGN_DATABASE_URL" in flat(result.output)
