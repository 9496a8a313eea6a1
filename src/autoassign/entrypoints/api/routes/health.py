"""Liveness, readiness (database and state store reachable) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from autoassign.entrypoints.api.deps import EngineDep
from autoassign.services import health

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(engine: EngineDep) -> JSONResponse:
    checks = await health.readiness(engine.deps)
    ready = all(v == health.OK for v in checks.values())
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(engine: EngineDep) -> Response:
    engine.metrics.webhooks_pending.set(engine.webhooks.pending)
    engine.metrics.queue_depth.set(await engine.jobs.depth())
    return Response(engine.metrics.render(), media_type="text/plain; version=0.0.4")
