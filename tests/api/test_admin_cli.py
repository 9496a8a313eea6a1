"""What a newcomer meets before the admin page: `serve` refusing a busy port in one line
before anything else, what serve and worker connect to (passwords hidden), the curl hint
on one line, and progress reported by long demo seeds."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import rich.progress
from typer.testing import CliRunner

from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.entrypoints import cli, demo

runner = CliRunner()


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture
def served(tmp_path, monkeypatch) -> list[dict[str, Any]]:
    """`serve` up to the point where uvicorn would start (recorded instead)."""
    import uvicorn

    monkeypatch.setenv("AUTOASSIGN_DATABASE_URL", f"sqlite:///{tmp_path}/serve.db")
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    return calls


def test_a_busy_port_is_one_line_before_anything_else(busy_port: int, served):
    result = runner.invoke(cli.app, ["serve", "--demo", "--port", str(busy_port)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"error: port {busy_port} on 127.0.0.1 is already in use; choose another: "
        f"--port {busy_port + 1} (make run PORT={busy_port + 1})"
    ]
    assert served == []  # and no migration, no demo account, no token


def test_serve_says_what_it_uses_and_prints_the_curl_hint_on_one_line(served):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(cli.app, ["serve", "--demo", "--port", str(port)], terminal_width=60)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        line.startswith("autoassign ")
        and "database sqlite:///" in line
        and "jobs in-process" in line
        for line in lines
    ), lines
    assert f"admin page: http://127.0.0.1:{port}/   API docs: http://127.0.0.1:{port}/docs" in lines
    curl = [line for line in lines if line.startswith("curl ")]
    assert len(curl) == 1
    assert curl[0].endswith(f"http://127.0.0.1:{port}/api/v1/accounts/1/agents")
    assert len(curl[0]) > 60  # longer than the terminal, and still not broken
    assert served == [
        {"host": "127.0.0.1", "port": port, "log_config": None, "access_log": False, "workers": 1}
    ]


def test_backends_are_announced_without_passwords():
    settings = Settings(
        database_url="postgresql://app:s3cret@db.internal:5432/aa",
        redis_url="redis://:hunter2@cache.internal:6379/0",
    )
    announced = cli._backends(settings)
    assert announced == {
        "database": "postgresql://app:***@db.internal:5432/aa",
        "state_store": "redis://:***@cache.internal:6379/0",
        "jobs": "Procrastinate",
    }
    no_redis = cli._backends(Settings(database_url="postgresql://app@db/aa"))
    assert no_redis["state_store"] == "PostgreSQL state tables (same database)"


def test_worker_announces_its_backends_before_it_works(monkeypatch, pg_url):
    from autoassign.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue

    async def work(self: Any, **options: Any) -> None:
        return None

    monkeypatch.setattr(ProcrastinateJobQueue, "work", work)
    monkeypatch.setenv("AUTOASSIGN_DATABASE_URL", pg_url.replace("postgres@", "postgres:pw@"))
    result = runner.invoke(cli.app, ["worker", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    line = " ".join(result.output.split())
    assert "worker: database postgresql://postgres:***@127.0.0.1" in line
    assert "state store PostgreSQL state tables (same database), jobs Procrastinate" in line
    assert ":pw@" not in result.output


def test_long_demo_seeds_report_progress(monkeypatch, sqlite_url):
    monkeypatch.setattr(demo, "SEED_CHUNK", 10)
    seeded: list[int] = []
    assigned: list[int] = []

    async def seed_and_run() -> None:
        engine = build(Settings(database_url=sqlite_url))
        try:
            data = await demo.seed(engine, conversations=25, progress=seeded.append)
            await demo.run(engine, data, progress=assigned.append)
        finally:
            await engine.aclose()

    asyncio.run(seed_and_run())
    assert seeded == [10, 20, 25]
    assert assigned
    assert assigned == sorted(assigned)


def test_the_demo_command_shows_bars_only_for_large_seeds(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOASSIGN_DATABASE_URL", f"sqlite:///{tmp_path}/demo.db")
    monkeypatch.setattr(cli, "PROGRESS_FROM", 20)
    shown: list[bool] = []
    real = rich.progress.Progress

    def spy(*columns: Any, **options: Any) -> Any:
        shown.append(not options["disable"])
        return real(*columns, **options)

    monkeypatch.setattr(cli, "Progress", spy)
    for size in ("10", "30"):
        result = runner.invoke(cli.app, ["demo", "--conversations", size])
        assert result.exit_code == 0, result.output
    assert shown == [False, True]
