"""Agents' working hours and time off (docs/routing.md)."""

from __future__ import annotations

from fastapi import BackgroundTasks, Response

from autoassign.core.schedules import DAYS, Leave, format_time, shifts_from
from autoassign.core.views import DutyView
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.schemas.duty import (
    DutyPublic,
    ShiftPublic,
    TimeOffCreate,
    TimeOffPublic,
    WorkingHours,
)
from autoassign.services import duty

router = account_router("working hours")


def _public(view: DutyView) -> DutyPublic:
    return DutyPublic(
        agent_id=view.agent_id,
        time_zone=view.time_zone,
        shifts=[
            ShiftPublic(day=DAYS[s.day], start=format_time(s.start), end=format_time(s.end))
            for s in view.shifts
        ],
        time_off=[TimeOffPublic.model_validate(t) for t in view.time_off],
    )


@router.get("/agents/{agent_id}/working_hours", response_model=DutyPublic)
async def get_working_hours(
    account_id: AccountDep, agent_id: IdPath, engine: EngineDep
) -> DutyPublic:
    return _public(await duty.get_duty(engine.deps, account_id, agent_id))


@router.put("/agents/{agent_id}/working_hours", response_model=DutyPublic)
async def set_working_hours(
    account_id: AccountDep,
    agent_id: IdPath,
    body: WorkingHours,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> DutyPublic:
    """Replace the weekly shifts, in the agent's IANA ``time_zone`` and wall-clock time
    (daylight saving follows the zone). No shifts: the agent works at all hours."""
    shifts = shifts_from([(s.day, s.start, s.end) for s in body.shifts])
    changed = await duty.set_working_hours(
        engine.deps, account_id, agent_id, body.time_zone, shifts
    )
    return _public(queue_runs(tasks, engine, changed))


@router.post("/agents/{agent_id}/time_off", response_model=DutyPublic)
async def add_time_off(
    account_id: AccountDep,
    agent_id: IdPath,
    body: TimeOffCreate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> DutyPublic:
    """The agent is not assigned from ``starts_at`` until ``ends_at`` (reason ``on_leave``)."""
    leave = Leave(body.starts_at, body.ends_at, body.reason)
    changed = await duty.add_time_off(engine.deps, account_id, agent_id, leave)
    return _public(queue_runs(tasks, engine, changed))


@router.delete(
    "/agents/{agent_id}/time_off/{time_off_id}", status_code=204, response_class=Response
)
async def delete_time_off(
    account_id: AccountDep,
    agent_id: IdPath,
    time_off_id: IdPath,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    queue_runs(
        tasks, engine, await duty.delete_time_off(engine.deps, account_id, agent_id, time_off_id)
    )
    return Response(status_code=204)
