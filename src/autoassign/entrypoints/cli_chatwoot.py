"""`autoassign chatwoot …`: connect a Chatwoot account, and run the connector.

Parse, call the connector's services, render; the work itself is in
``services/chatwoot_*`` and the long-running loop in ``entrypoints/chatwoot_runner``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from types import ModuleType
from typing import Annotated

import typer
from rich.console import Console

from autoassign import bootstrap
from autoassign.services import chatwoot_connections, runs
from autoassign.services.chatwoot_context import ConnectorSettings
from autoassign.services.chatwoot_sync import sync as sync_directory

chatwoot_app = typer.Typer(
    help="Make autoassign the assignment engine of a Chatwoot installation.",
    no_args_is_help=True,
)
console = Console()

SyncInterval = Annotated[
    float,
    typer.Option(min=1, envvar="AUTOASSIGN_CHATWOOT_SYNC_INTERVAL", help="Seconds between syncs."),
]
RetryCap = Annotated[
    float,
    typer.Option(
        min=0.01,
        envvar="AUTOASSIGN_CHATWOOT_RETRY_CAP",
        help="Longest wait between write-back tries while Chatwoot is down (seconds).",
    ),
]
Poll = Annotated[
    float,
    typer.Option(
        min=0.05,
        envvar="AUTOASSIGN_CHATWOOT_POLL",
        help="Seconds between looks for webhooks received by another process.",
    ),
]


def _base() -> ModuleType:
    """The main command's helpers (settings, errors); imported late, as it imports us."""
    from autoassign.entrypoints import cli

    return cli


@chatwoot_app.command()
def connect(
    url: Annotated[str, typer.Option(help="Chatwoot's base URL, e.g. https://chat.example.com")],
    chatwoot_account_id: Annotated[int, typer.Option(min=1, help="The Chatwoot account id.")],
    token: Annotated[
        str,
        typer.Option(
            envvar="AUTOASSIGN_CHATWOOT_TOKEN",
            help="An administrator's access token (Chatwoot: Profile settings).",
        ),
    ],
    account_id: Annotated[
        int | None, typer.Option(min=1, help="autoassign account (default: create one).")
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(help="autoassign's address as Chatwoot reaches it: registers the webhook."),
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="Chatwoot's webhook secret, to check signatures.")
    ] = None,
) -> None:
    """Check the token, store the connection, register the webhook, sync once."""
    cli = _base()
    settings = cli._settings()
    cli._upgrade(settings)

    async def work() -> chatwoot_connections.Connected:
        from autoassign.entrypoints.chatwoot_runner import connector

        engine = bootstrap.build(settings)
        try:
            cx = connector(engine)
            done = await chatwoot_connections.connect(
                cx,
                base_url=url,
                chatwoot_account_id=chatwoot_account_id,
                api_token=token,
                account_id=account_id,
                public_url=public_url,
                webhook_secret=webhook_secret,
            )
            await engine.start()
            await runs.request_runs(engine.jobs, done.run)
            await engine.jobs.drain()
            return done.value
        finally:
            await engine.aclose()

    done = cli._run(work)
    conn = done.connection
    console.print(f"connected autoassign account [bold]{conn.account_id}[/] to {conn.base_url}")
    if done.api_access_token:
        console.print(f"new account's api_access_token: [bold]{done.api_access_token}[/]")
    if done.webhook_url:
        state = "registered in Chatwoot" if done.webhook_registered else "already in Chatwoot"
        console.print(f"webhook {done.webhook_url} ({state})")
    else:
        console.print(
            "add this webhook in Chatwoot (Settings → Integrations → Webhooks), events "
            "conversation_* and message_*: "
            f"[bold]<autoassign URL>{chatwoot_connections.WEBHOOK_PATH}{done.webhook_token}[/]"
        )
    signed = "on" if conn.webhook_secret else "off (Chatwoot sends none)"
    console.print(f"signature checks: {signed}")


@chatwoot_app.command()
def status(account_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """The connection of an account: last sync, waiting webhooks, write-backs."""
    cli = _base()
    settings = cli._settings()

    async def work() -> chatwoot_connections.ConnectionStatus:
        from autoassign.entrypoints.chatwoot_runner import connector

        engine = bootstrap.build(settings)
        try:
            return await chatwoot_connections.status(connector(engine), account_id)
        finally:
            await engine.aclose()

    found = cli._run(work)
    c, w = found.connection, found.writebacks
    console.print(
        f"account {c.account_id} ← {c.base_url} (Chatwoot account {c.chatwoot_account_id})"
    )
    console.print(
        f"last sync: {c.synced_at or 'never'}; webhooks waiting: {found.waiting_webhooks}"
    )
    console.print(
        f"write-backs: {w.pending} pending, {w.done} done, {w.superseded} superseded, "
        f"{w.failed} failed"
    )


@chatwoot_app.command()
def sync(account_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Sync agents, inboxes, members and teams from Chatwoot now."""
    cli = _base()
    settings = cli._settings()

    async def work() -> None:
        from autoassign.entrypoints.chatwoot_runner import connector

        engine = bootstrap.build(settings)
        try:
            cx = connector(engine)
            found = await cx.store.connection(account_id)
            if found is None:
                raise chatwoot_connections.NotConnected(account_id)
            await engine.start()
            await runs.request_runs(engine.jobs, await sync_directory(cx, found))
            await engine.jobs.drain()
        finally:
            await engine.aclose()

    cli._run(work)
    console.print("synced")


@chatwoot_app.command()
def disconnect(account_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Forget the connection (delete the webhook in Chatwoot yourself)."""
    cli = _base()
    settings = cli._settings()

    async def work() -> None:
        from autoassign.entrypoints.chatwoot_runner import connector

        engine = bootstrap.build(settings)
        try:
            await chatwoot_connections.disconnect(connector(engine), account_id)
        finally:
            await engine.aclose()

    cli._run(work)
    console.print(f"account {account_id} disconnected")


def _connector_settings(sync_interval: float, retry_cap: float) -> ConnectorSettings:
    return ConnectorSettings(sync_interval=sync_interval, retry_cap=retry_cap)


@chatwoot_app.command()
def run(sync_interval: SyncInterval = 60.0, retry_cap: RetryCap = 300.0, poll: Poll = 1.0) -> None:
    """Run the connector alone (PostgreSQL: next to `autoassign serve` and workers)."""
    cli = _base()
    settings = cli._settings()
    if settings.embedded:
        cli._fail("on the embedded SQLite back end run `autoassign chatwoot serve` (one process)")
    cli._upgrade(settings)

    async def work() -> None:
        from autoassign.entrypoints.chatwoot_runner import ConnectorRunner, connector

        engine = bootstrap.build(settings)
        cx = connector(engine, _connector_settings(sync_interval, retry_cap))
        runner = ConnectorRunner(engine, cx, poll=poll)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await engine.start()
            await runner.start()
            await stop.wait()
        finally:
            await runner.stop()
            await engine.aclose()

    cli._run(work)


@chatwoot_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    sync_interval: SyncInterval = 60.0,
    retry_cap: RetryCap = 300.0,
    poll: Poll = 1.0,
) -> None:
    """Serve the API (with the webhook endpoint) and run the connector in one process."""
    import uvicorn

    from autoassign.entrypoints.api.app import create_app
    from autoassign.entrypoints.chatwoot_runner import ConnectorRunner, connector, with_connector

    cli = _base()
    settings = cli._settings()
    cli._upgrade(settings)
    options = _connector_settings(sync_interval, retry_cap)
    app = with_connector(
        create_app(settings),
        lambda engine: ConnectorRunner(engine, connector(engine, options), poll=poll),
    )
    uvicorn.run(app, host=host, port=port, log_level="info", workers=1)
