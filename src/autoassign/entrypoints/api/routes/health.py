"""Liveness, readiness (database and state store reachable) and Prometheus metrics."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from autoassign.core import errors
from autoassign.entrypoints.api.deps import EngineDep

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(engine: EngineDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with engine.records.read() as conn:
            await conn.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except errors.BackendUnavailable as exc:
        checks["database"] = exc.message
    try:
        await engine.state.ping()
        checks["state_store"] = "ok"
    except errors.BackendUnavailable as exc:
        checks["state_store"] = exc.message
    ready = all(v == "ok" for v in checks.values())
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
