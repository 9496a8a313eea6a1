"""Agents' working hours and time off (docs/routing.md)."""

from __future__ import annotations

from fastapi import BackgroundTasks, Response

from autoassign.core.schedules import DAYS, Leave, Shift, format_time, shifts_from
from autoassign.core.views import DutyView
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.schemas.duty import (
    DutyPublic,
    ShiftPublic,
    SkillLabels,
    SkillsBody,
    TimeOffCreate,
    TimeOffPublic,
    WorkingHours,
)
from autoassign.services import duty

router = account_router("working hours")


def _shifts(shifts: tuple[Shift, ...]) -> list[ShiftPublic]:
    return [
        ShiftPublic(day=DAYS[s.day], start=format_time(s.start), end=format_time(s.end))
        for s in shifts
    ]


def _hours(time_zone: str, shifts: tuple[Shift, ...]) -> WorkingHours:
    return WorkingHours.model_validate(
        {"time_zone": time_zone, "shifts": [s.model_dump() for s in _shifts(shifts)]}
    )


def _public(view: DutyView) -> DutyPublic:
    return DutyPublic(
        agent_id=view.agent_id,
        time_zone=view.time_zone,
        shifts=_shifts(view.shifts),
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


@router.get("/inboxes/{inbox_id}/business_hours", response_model=WorkingHours)
async def get_business_hours(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> WorkingHours:
    time_zone, shifts = await duty.get_business_hours(engine.deps, account_id, inbox_id)
    return _hours(time_zone, shifts)


@router.put("/inboxes/{inbox_id}/business_hours", response_model=WorkingHours)
async def set_business_hours(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: WorkingHours,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> WorkingHours:
    """Replace the inbox's weekly business hours (none: always open). Outside them it
    assigns nothing (``outside_business_hours``) and wakes when they open."""
    shifts = shifts_from([(s.day, s.start, s.end) for s in body.shifts])
    changed = await duty.set_business_hours(
        engine.deps, account_id, inbox_id, body.time_zone, shifts
    )
    return _hours(*queue_runs(tasks, engine, changed))


@router.get("/agents/{agent_id}/skills", response_model=SkillsBody)
async def get_skills(account_id: AccountDep, agent_id: IdPath, engine: EngineDep) -> SkillsBody:
    return SkillsBody(skills=await duty.get_skills(engine.deps, account_id, agent_id))


@router.put("/agents/{agent_id}/skills", response_model=SkillsBody)
async def set_skills(
    account_id: AccountDep,
    agent_id: IdPath,
    body: SkillsBody,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> SkillsBody:
    """Replace the agent's skills: name → level 1 to 5 (docs/routing.md)."""
    changed = await duty.set_skills(engine.deps, account_id, agent_id, dict(body.skills))
    return SkillsBody(skills=queue_runs(tasks, engine, changed))


@router.get("/inboxes/{inbox_id}/skill_labels", response_model=SkillLabels)
async def get_skill_labels(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> SkillLabels:
    return SkillLabels(labels=await duty.get_skill_labels(engine.deps, account_id, inbox_id))


@router.put("/inboxes/{inbox_id}/skill_labels", response_model=SkillLabels)
async def set_skill_labels(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: SkillLabels,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> SkillLabels:
    """What each label requires of this inbox's conversations: label → {skill: level}."""
    labels = {label: dict(needs) for label, needs in body.labels.items()}
    changed = await duty.set_skill_labels(engine.deps, account_id, inbox_id, labels)
    return SkillLabels(labels=queue_runs(tasks, engine, changed))


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
