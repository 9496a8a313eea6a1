"""`autoassign simulate`: the issue's command line, what-ifs and a replay of history."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from autoassign.entrypoints.cli import app

runner = CliRunner()
ISSUE = ["simulate", "--agents", "4", "--arrival-rate", "3", "--handle-time", "1"]


def run(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*ISSUE, *args])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_the_issue_s_command_answers_in_json():
    body = run("--duration", "300", "--seed", "5", "--json")
    assert body["conversations"] > 700
    assert 0 < body["mean_wait_seconds"] < 120
    assert 0 < body["p_wait"] < 1
    assert 0.6 < body["utilisation"] < 0.9
    assert body["parameters"]["assignment_order"] == "round_robin"
    assert body["parameters"]["capacity"] == {"1": 4}
    assert (
        run("--duration", "300", "--seed", "5", "--json")["mean_wait_seconds"]
        == (body["mean_wait_seconds"])
    )


def test_a_what_if_runs_both_on_the_same_customers_and_writes_a_report(tmp_path):
    report = tmp_path / "report.html"
    body = run(
        "--duration", "300", "--json", "--vs", "agents=5", "--vs", "order=balanced",
        "--report", str(report), "--plots", str(tmp_path / "plots"),
    )  # fmt: skip
    baseline, what_if = body["baseline"], body["what_if"]
    assert baseline["conversations"] == what_if["conversations"]
    assert what_if["mean_wait_seconds"] < baseline["mean_wait_seconds"]
    assert what_if["parameters"]["notes"] == ["agents=5", "order=balanced"]
    assert "what-if" in report.read_text()
    assert (tmp_path / "plots" / "queue_length.svg").exists()


def test_a_table_without_json_and_clear_errors():
    result = runner.invoke(app, [*ISSUE, "--duration", "60"])
    assert result.exit_code == 0, result.output
    assert "mean wait" in result.output
    bad = runner.invoke(app, [*ISSUE, "--vs", "colour=blue"])
    assert bad.exit_code == 2
    assert "--vs takes key=value" in bad.output
    bad = runner.invoke(app, [*ISSUE, "--order", "random"])
    assert bad.exit_code == 2


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOASSIGN_DATABASE_URL", f"sqlite:///{tmp_path}/sim.db")
    result = runner.invoke(app, ["demo", "--conversations", "60"])
    assert result.exit_code == 0, result.output


def test_a_replay_of_recorded_history(demo_db):
    result = runner.invoke(
        app,
        ["simulate", "--replay-inbox", "1", "--account", "1", "--json", "--vs", "agents=1"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["baseline"]["parameters"]["traffic"] == "replay"
    assert body["baseline"]["conversations"] == body["what_if"]["conversations"] > 0
    assert body["what_if"]["parameters"]["notes"] == ["agents=1"]
