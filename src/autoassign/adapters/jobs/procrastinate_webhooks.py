"""Webhook deliveries as Procrastinate jobs, on the workers that run inbox jobs.

One task, ``autoassign.deliver_webhooks``, runs the outbox until it is idle (or for a
bounded time). It is deferred right after a commit that queued deliveries (``defer``,
the outbox's after-commit callback) and every ``TICK_SECONDS`` by a periodic job, which
picks up retries falling due and anything whose wake-up was lost (the process died
after its commit). At most one such job waits (its queueing lock).

At most one claims at a time, fleet-wide, so a claim's per-account share is exact: the
job holds a PostgreSQL advisory lock on a connection of its own while it claims, and a
job that cannot take it ends at once (the claiming one polls for new rows while it has
deliveries in flight, and lingers for retries due soon). After ``BUDGET_SECONDS`` it
lets go of the lock and queues a follow-up, which claims while the first finishes its
attempts: a slow receiver never leaves a gap in which nobody claims. Not
Procrastinate's ``lock``: a job killed with its worker keeps that until recovered,
while an advisory lock dies with its connection. Sends happen without a transaction
open; the lock's connection is idle meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

import psycopg
from procrastinate import App
from procrastinate import exceptions as pexc

from autoassign.adapters.jobs.procrastinate_queue import QUEUE, interval_to_cron

logger = logging.getLogger(__name__)

DELIVER_TASK = "autoassign.deliver_webhooks"
#: how often a job looks for retries that fell due; also how long a job lingers
TICK_SECONDS = 2
#: seconds one job claims for; it then lets the next job claim, and finishes the
#: attempts it has in flight (so a worker stopping waits for it at most this long plus
#: twice AUTOASSIGN_WEBHOOK_TIMEOUT)
BUDGET_SECONDS = 10.0
_ADVISORY_LOCK = "SELECT pg_try_advisory_lock(hashtext('autoassign:webhooks'))"

#: runs the outbox, claiming for at most the budget (seconds); awaits the callback once
#: it stops claiming (True: the budget was spent) before waiting for its attempts
RunDeliveries = Callable[[float, Callable[[bool], Awaitable[None]]], Awaitable[None]]


def register_deliveries(
    app: App, conninfo: str, run: RunDeliveries
) -> Callable[[], Awaitable[None]]:
    """Register the task and its periodic job on ``app``; returns ``defer``, which
    queues a run now (a no-op when one is already waiting)."""

    @app.periodic(cron=interval_to_cron(TICK_SECONDS), periodic_id="webhooks")
    @app.task(name=DELIVER_TASK, queue=QUEUE, queueing_lock=DELIVER_TASK)
    async def deliver_webhooks(timestamp: int = 0) -> None:
        conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        try:
            taken = await (await conn.execute(_ADVISORY_LOCK)).fetchone()
            if not (taken and taken[0]):
                return  # another job claims (and picks these rows up)

            async def claimed(spent: bool) -> None:
                await conn.close()  # the lock goes with it: the next run may claim now
                if spent:
                    await defer()  # more may be due: a follow-up now, not at the tick

            await run(BUDGET_SECONDS, claimed)
        finally:
            await conn.close()

    async def defer() -> None:
        with contextlib.suppress(pexc.AlreadyEnqueued):  # a waiting job sees these rows too
            await app.configure_task(DELIVER_TASK).defer_async(timestamp=0)

    return defer
