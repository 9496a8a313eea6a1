"""The `autoassign` command: parse, call the engine, render. Nothing else lives here."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn, TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from autoassign import __version__, bootstrap
from autoassign.adapters import logging_setup
from autoassign.config import Settings
from autoassign.core import errors
from autoassign.core.reasons import OutcomeKind
from autoassign.entrypoints import demo as demo_module
from autoassign.entrypoints.cli_chatwoot import chatwoot_app
from autoassign.entrypoints.cli_simulate import simulate
from autoassign.services import runs
from autoassign.services.assign import validate_limit

app = typer.Typer(help="Assign support conversations to agents.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(chatwoot_app, name="chatwoot")
app.command("simulate")(simulate)
console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")
logger = logging.getLogger("autoassign.cli")
#: a demo at least this large shows progress bars while it seeds and assigns
PROGRESS_FROM = 5_000


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"AUTOASSIGN_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        _fail(f"invalid configuration: {problems}")


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code=2)


def _port_taken(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None. Bound the way uvicorn binds
    (SO_REUSEADDR), so a port that uvicorn could use is never reported as taken."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}"
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use; "
                    f"choose another: --port {port + 1} (make run PORT={port + 1})"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _backends(settings: Settings) -> dict[str, str]:
    """What this process uses, with passwords hidden: printed and logged at start."""
    if settings.redis_url is not None:
        state = _redacted(settings.redis_url)
    elif settings.embedded:
        state = "in-process memory"
    else:
        state = "PostgreSQL state tables (same database)"
    jobs = "in-process (this server runs them)" if settings.embedded else "Procrastinate"
    return {"database": settings.redacted_database_url, "state_store": state, "jobs": jobs}


def _announce(what: str, settings: Settings, **more: object) -> None:
    backends = _backends(settings)
    console.print(
        f"[bold]autoassign {__version__}[/] {what}: database [bold]{backends['database']}[/], "
        f"state store {backends['state_store']}, jobs {backends['jobs']}",
        soft_wrap=True,
    )
    logger.info("%s started", what, extra={"action": "start", **backends, **more})


def _run(work: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except errors.AutoassignError as exc:
        _fail(exc.message)


def _upgrade(settings: Settings) -> None:
    try:
        bootstrap.upgrade_database(settings)
    except errors.AutoassignError as exc:
        _fail(exc.message)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    settings = _settings()
    _upgrade(settings)
    console.print(f"database at [bold]{settings.redacted_database_url}[/] is up to date")


@app.command()
def assign(
    inbox_id: Annotated[int, typer.Argument(help="The inbox to run.")],
    limit: Annotated[int | None, typer.Option(help="Conversations per batch.")] = None,
) -> None:
    """Run one assignment batch for one inbox now and show the outcome."""
    settings = _settings()
    if limit is not None:
        try:
            validate_limit(limit)
        except errors.InvalidLimit as exc:
            _fail(exc.message)

    async def work() -> None:
        engine = bootstrap.build(settings)
        try:
            result = await runs.run_batch(engine.deps, inbox_id, limit)
        finally:
            await engine.aclose()
        if result.skipped is not None:
            console.print(f"inbox {inbox_id} skipped: {result.skipped.value}")
            return
        table = Table("conversation", "agent", "result", "detail", title=f"Inbox {inbox_id}")
        for o in result.outcomes:
            table.add_row(str(o.conversation_id), str(o.agent_id or "-"), o.result, o.detail)
        console.print(table)
        console.print(
            f"assigned {result.assigned} of {result.considered} in {result.duration_ms:.1f} ms"
        )

    _run(work)


@app.command("demo")
def demo_command(
    conversations: Annotated[int, typer.Option(min=1, max=100_000)] = 300,
) -> None:
    """Seed a sample account (inboxes, agents, a team, capacity limits) and assign it."""
    settings = _settings()
    _upgrade(settings)

    async def work() -> None:
        engine = bootstrap.build(settings)
        bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=conversations < PROGRESS_FROM,
        )
        try:
            with bars:
                seeding = bars.add_task("seeding conversations", total=conversations)
                data = await demo_module.seed(
                    engine,
                    conversations=conversations,
                    progress=lambda done: bars.update(seeding, completed=done),
                )
                assigning = bars.add_task("assigning (at most)", total=conversations)
                outcome = await demo_module.run(
                    engine, data, progress=lambda done: bars.update(assigning, completed=done)
                )
        finally:
            await engine.aclose()
        _render_demo(data, outcome)

    _run(work)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Seed a demo account if the database is empty.")
    ] = False,
) -> None:
    """Serve the HTTP API and the admin page (migrating the database first)."""
    taken = _port_taken(host, port)  # before anything else: no migration, no token
    if taken is not None:
        _fail(taken)
    import uvicorn

    from autoassign.entrypoints.api.app import create_app

    settings = _settings()
    _upgrade(settings)
    base = f"http://{host}:{port}"
    _announce("serve", settings, url=base)
    console.print(f"admin page: [bold]{base}/[/]   API docs: {base}/docs", soft_wrap=True)
    if demo:
        account_id, token = _run(lambda: demo_module.ensure_demo_account(settings))
        console.print(
            f"demo account {account_id}, api_access_token: [bold]{token}[/]", soft_wrap=True
        )
        console.print("sign in to the admin page with that token, or try:", soft_wrap=True)
        # printed plain: a terminal may wrap it, but no line break is inserted in it
        print(f"curl -H 'api_access_token: {token}' {base}/api/v1/accounts/{account_id}/agents")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,  # our structured logging (main) formats uvicorn's lines too
        access_log=False,  # one line per request comes from the app, with its request id
        workers=1,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Inbox runs at once in this process.")
    ] = None,
) -> None:
    """Run assignment jobs from PostgreSQL (Procrastinate). Run as many as you like, on
    any machine: each inbox is coalesced and never runs twice at once. SIGTERM lets the
    running batches finish; a killed worker's job is recovered by the others."""
    settings = _settings()
    if settings.embedded:
        _fail(
            "workers need PostgreSQL (AUTOASSIGN_DATABASE_URL=postgresql://…); "
            "on the embedded default `autoassign serve` runs the jobs itself"
        )
    _upgrade(settings)
    _announce("worker", settings, concurrency=concurrency or settings.worker_concurrency)

    async def work() -> None:
        from autoassign.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue

        engine = bootstrap.build(settings)
        assert isinstance(engine.jobs, ProcrastinateJobQueue)
        try:
            await engine.jobs.work(concurrency=concurrency or settings.worker_concurrency)
        finally:
            await engine.aclose()

    _run(work)


def _render_demo(data: demo_module.DemoData, outcome: demo_module.DemoRun) -> None:
    inbox_names = {i.id: i.name for i in data.inboxes}
    got: Counter[tuple[int, int]] = Counter()
    for result in outcome.results:
        for o in result.outcomes:
            if o.result is OutcomeKind.ASSIGNED and o.agent_id is not None:
                got[(o.agent_id, result.inbox_id)] += 1
    table = Table(title=f"Who got what — account {data.account.id} ({data.account.name})")
    table.add_column("agent")
    table.add_column("presence")
    for inbox in data.inboxes:
        table.add_column(inbox.name, justify="right")
    table.add_column("total", justify="right")
    for agent in data.agents:
        counts = [got[(agent.id, i.id)] for i in data.inboxes]
        table.add_row(
            agent.name, agent.availability.value, *(str(n) for n in counts), str(sum(counts))
        )
    console.print(table)
    why = Table(title="Why the rest were not assigned (after the last batch of each inbox)")
    why.add_column("inbox")
    why.add_column("reason")
    why.add_column("conversations", justify="right")
    for (inbox_id, reason), count in sorted(outcome.final_skips().items()):
        why.add_row(inbox_names[inbox_id], reason, str(count))
    console.print(why)
    batches = len(outcome.results)
    console.print(
        f"{data.conversations} conversations seeded; assigned {outcome.assigned} in "
        f"{batches} batches, {outcome.seconds * 1000:.0f} ms "
        f"({outcome.seconds * 1000 / max(batches, 1):.1f} ms per batch)"
    )


def main() -> None:
    """Structured logs at AUTOASSIGN_LOG_LEVEL (a bad setting is reported by the command
    itself, which reads the settings again), then the command."""
    try:
        level = Settings().log_level
    except ValidationError:
        level = "INFO"
    logging_setup.configure(level)
    app()
