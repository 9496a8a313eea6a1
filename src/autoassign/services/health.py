"""Readiness: can this process reach its database and its state store?"""

from __future__ import annotations

from autoassign.core import errors
from autoassign.services.context import Deps

OK = "ok"


async def readiness(deps: Deps) -> dict[str, str]:
    """Each back end's check: "ok" or why not."""
    checks: dict[str, str] = {}
    try:
        await deps.uow.ping()
        checks["database"] = OK
    except errors.BackendUnavailable as exc:
        checks["database"] = exc.message
    try:
        await deps.state.ping()
        checks["state_store"] = OK
    except errors.BackendUnavailable as exc:
        checks["state_store"] = exc.message
    return checks
