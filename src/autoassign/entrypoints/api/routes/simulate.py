"""What-if: how would this inbox do with other staffing or another policy? Parse, call
``services.simulate.what_if`` with the simulator, render (JSON, or the HTML report).

Bounded, so one request costs seconds of CPU, not minutes: at most
``MAX_CONVERSATIONS`` simulated conversations in all (both sides, every replication),
``MAX_AGENTS`` agents, a replayed period of ``MAX_PERIOD`` and ``BUDGET_SECONDS`` of
simulation (past it, 422 rather than a partial answer); bigger questions are for
``autoassign simulate``. The simulation runs in a worker thread, so the server keeps
answering meanwhile. An administration route (an agent's token may not use it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from autoassign.core import errors
from autoassign.core.policies import AssignmentOrder
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.common import Timestamp
from autoassign.services import simulate as simulate_service
from autoassign.simulation import report, whatif
from autoassign.simulation.kernel import TooLong

router = account_router("what-if")
MAX_CONVERSATIONS = 10_000
MAX_AGENTS = 100
MAX_PERIOD = timedelta(days=31)
#: wall seconds a request may simulate (a queue that only grows costs more than its
#: conversation count says: every batch then meets up to 500 waiting candidates)
BUDGET_SECONDS = 5.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WhatIfChanges(_Strict):
    agents: int | None = Field(None, ge=0, le=MAX_AGENTS, description="Agents online.")
    assignment_order: AssignmentOrder | None = None
    conversation_limit: int | None = Field(
        None, ge=1, le=1000, description="Every agent's open-conversation limit in the inbox."
    )
    fair_distribution_limit: int | None = Field(None, ge=1, le=1_000_000)
    fair_distribution_window: int | None = Field(None, ge=1, le=86_400 * 7)


class WhatIfTraffic(_Strict):
    arrival_rate_per_minute: float = Field(ge=0.001, le=1000)
    handle_time_minutes: float = Field(ge=0.001, le=10_000, description="Mean, exponential.")
    patience_minutes: float | None = Field(None, ge=0.001, le=10_000)


class WhatIfRequest(_Strict):
    changes: WhatIfChanges = Field(default_factory=WhatIfChanges)
    traffic: WhatIfTraffic | None = Field(
        None, description="Synthetic traffic; without it the recorded period is replayed."
    )
    since: Timestamp | None = Field(None, description="Replay from (default: 7 days ago).")
    until: Timestamp | None = Field(None, description="Replay until (default: now).")
    duration_minutes: float = Field(480, ge=1, le=10_080, description="For synthetic traffic.")
    replications: int = Field(1, ge=1, le=20)
    seed: int = Field(0, ge=0, le=2**31)
    service_level_seconds: float = Field(60, ge=0, le=86_400)


class WhatIfResult(BaseModel):
    current: dict[str, Any]
    what_if: dict[str, Any]


@router.post(
    "/inboxes/{inbox_id}/what_if",
    response_model=WhatIfResult,
    responses={200: {"content": {"text/html": {}}}},
)
async def what_if(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: WhatIfRequest,
    engine: EngineDep,
    output: Annotated[
        Literal["json", "html"], Query(alias="format", description="html: the report")
    ] = "json",
) -> Any:
    """Simulate the inbox as configured now and with ``changes``, on the same customers:
    synthetic ``traffic``, or the conversations recorded in [since, until)."""
    traffic = body.traffic
    if traffic is not None:
        expected = 2 * traffic.arrival_rate_per_minute * body.duration_minutes * body.replications
        if expected > MAX_CONVERSATIONS:
            raise errors.InvalidValue(
                f"about {expected:,.0f} conversations to simulate; at most {MAX_CONVERSATIONS:,}"
                " (lower the rate, the duration or the replications)",
                field="traffic",
            )
        period = None
    else:
        until = body.until or datetime.now(UTC)
        since = body.since or until - min(
            timedelta(days=7), until - datetime.min.replace(tzinfo=UTC)
        )
        if not timedelta(0) < until - since <= MAX_PERIOD:
            raise errors.InvalidValue(
                f"the replayed period must be after since and at most {MAX_PERIOD.days} days",
                field="since",
            )
        period = (since, until)
    changes = simulate_service.Changes(**body.changes.model_dump())
    run = whatif.Run(
        duration_minutes=body.duration_minutes,
        replications=body.replications,
        seed=body.seed,
        service_level_seconds=body.service_level_seconds,
        budget_seconds=BUDGET_SECONDS,
    )

    async def simulate(
        current: simulate_service.InboxSetup,
        changed: simulate_service.InboxSetup,
        recorded: simulate_service.Recorded | None,
    ) -> list[report.Outcome]:
        if max(len(current.agents), len(changed.agents)) > MAX_AGENTS:
            raise errors.InvalidValue(
                f"at most {MAX_AGENTS} agents in the inbox, members included",
                field="changes.agents",
            )
        if recorded is not None and 2 * len(recorded.conversations) > MAX_CONVERSATIONS:
            raise errors.InvalidValue(
                f"the period holds {len(recorded.conversations):,} conversations; at most "
                f"{MAX_CONVERSATIONS // 2:,} (shorten it)",
                field="since",
            )
        wanted = None if traffic is None else _traffic(traffic)
        try:
            return await whatif.compare(
                current, changed, recorded, traffic=wanted, run=run, notes=changes.describe()
            )
        except TooLong:
            raise errors.InvalidValue(
                f"this what-if needs more than {BUDGET_SECONDS:g} s of simulation (a queue"
                " that keeps growing is costly); shorten it, or run `autoassign simulate`",
                field="traffic",
            ) from None
        except ValueError as exc:  # a scenario the simulator cannot run
            raise errors.InvalidValue(str(exc)) from None

    outcomes = await simulate_service.what_if(
        engine.deps, account_id, inbox_id, changes, period=period, simulate=simulate
    )
    if output == "html":
        return HTMLResponse(report.html(outcomes, f"What-if for inbox {inbox_id}"))
    return JSONResponse(
        WhatIfResult(
            current=report.to_json(outcomes[0]), what_if=report.to_json(outcomes[1])
        ).model_dump()
    )


def _traffic(traffic: WhatIfTraffic) -> whatif.Traffic:
    return whatif.Traffic(
        arrival_rate=traffic.arrival_rate_per_minute,
        handle_minutes=traffic.handle_time_minutes,
        patience_minutes=traffic.patience_minutes,
    )
