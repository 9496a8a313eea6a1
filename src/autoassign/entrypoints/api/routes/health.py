"""Liveness, readiness (database, state store, and on the distributed back end whether a
job worker is alive) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from autoassign.entrypoints.api.deps import EngineDep
from autoassign.services import health, overview, webhooks

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    #: ok; degraded (serving, but no job worker: nothing gets assigned); unavailable
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(engine: EngineDep) -> JSONResponse:
    """503 if the database or state store is down; "degraded" if no worker runs.

    On PostgreSQL, where jobs run in `autoassign worker` processes, no worker heartbeat
    within AUTOASSIGN_STALLED_AFTER seconds makes the status "degraded" with the check
    "no worker is running …", still 200: this process can serve requests, and a load
    balancer must not take every API process out because the workers are down."""
    settings = engine.settings
    checks = await overview.readiness(
        engine.deps, expect_worker=not settings.embedded, stale_after=settings.stalled_after
    )
    backends = {k: v for k, v in checks.items() if k != "worker"}
    if not all(v == health.OK for v in backends.values()):
        body, code = Health(status="unavailable", checks=checks), 503
    elif checks.get("worker", health.OK) != health.OK:
        body, code = Health(status="degraded", checks=checks), 200
    else:
        body, code = Health(status="ok", checks=checks), 200
    return JSONResponse(body.model_dump(), status_code=code)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(engine: EngineDep) -> Response:
    """Backlogs and loads are read from the database at each scrape."""
    backlog = await overview.backlog(engine.deps)
    engine.metrics.refresh_queues(backlog.queues, backlog.loads, backlog.now)
    engine.metrics.webhooks_pending.set(await webhooks.pending_deliveries(engine.deps))
    engine.metrics.record_webhook_failures(engine.webhooks.failures)
    engine.metrics.queue_depth.set(await engine.jobs.depth())
    return Response(engine.metrics.render(), media_type="text/plain; version=0.0.4")
