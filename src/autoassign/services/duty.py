"""Agents' working hours and time off: when each works (the rule is core/schedules.py).
Any change runs the agent's inboxes: a shift that now covers the present, or a leave
that ended, may let waiting work through, and each run computes the next wake-up."""

from __future__ import annotations

from autoassign.core.ports.uow import UnitOfWork
from autoassign.core.schedules import Leave, Shift
from autoassign.core.views import DutyView
from autoassign.services import triggers
from autoassign.services.context import Changed, Deps


async def get_duty(deps: Deps, account_id: int, agent_id: int) -> DutyView:
    async with deps.uow.read() as uow:
        return await uow.duty.get(account_id, agent_id)


async def set_working_hours(
    deps: Deps, account_id: int, agent_id: int, time_zone: str, shifts: tuple[Shift, ...]
) -> Changed[DutyView]:
    """Replace the weekly shifts (none: the agent works at all hours)."""
    async with deps.uow.write() as uow:
        await uow.duty.set_shifts(account_id, agent_id, time_zone, shifts)
        view = await uow.duty.get(account_id, agent_id)
        run = await _runs(uow, deps, agent_id)
    return Changed(view, run)


async def get_business_hours(
    deps: Deps, account_id: int, inbox_id: int
) -> tuple[str, tuple[Shift, ...]]:
    async with deps.uow.read() as uow:
        return await uow.duty.get_inbox_hours(account_id, inbox_id)


async def set_business_hours(
    deps: Deps, account_id: int, inbox_id: int, time_zone: str, shifts: tuple[Shift, ...]
) -> Changed[tuple[str, tuple[Shift, ...]]]:
    """Outside its business hours the inbox assigns nothing (none: always open); the
    change runs the inbox, which sets its wake-up for the next opening."""
    async with deps.uow.write() as uow:
        await uow.duty.set_inbox_hours(account_id, inbox_id, time_zone, shifts)
        fired = {triggers.Trigger.BUSINESS_HOURS_CHANGED}
        run = await triggers.inboxes_to_run(uow, deps.clock.now(), fired, inbox_id=inbox_id)
    return Changed((time_zone, shifts), run)


async def get_skills(deps: Deps, account_id: int, agent_id: int) -> dict[str, int]:
    async with deps.uow.read() as uow:
        return await uow.duty.skills(account_id, agent_id)


async def set_skills(
    deps: Deps, account_id: int, agent_id: int, skills: dict[str, int]
) -> Changed[dict[str, int]]:
    """Replace the agent's skills (levels 1 to 5); runs their inboxes."""
    async with deps.uow.write() as uow:
        await uow.duty.set_skills(account_id, agent_id, skills)
        run = await _runs(uow, deps, agent_id)
    return Changed(skills, run)


async def get_skill_labels(deps: Deps, account_id: int, inbox_id: int) -> dict[str, dict[str, int]]:
    async with deps.uow.read() as uow:
        return await uow.duty.skill_labels(account_id, inbox_id)


async def set_skill_labels(
    deps: Deps, account_id: int, inbox_id: int, labels: dict[str, dict[str, int]]
) -> Changed[dict[str, dict[str, int]]]:
    """What each label requires of the inbox's conversations; runs the inbox."""
    async with deps.uow.write() as uow:
        await uow.duty.set_skill_labels(account_id, inbox_id, labels)
        fired = {triggers.Trigger.BUSINESS_HOURS_CHANGED}
        run = await triggers.inboxes_to_run(uow, deps.clock.now(), fired, inbox_id=inbox_id)
    return Changed(labels, run)


async def add_time_off(
    deps: Deps, account_id: int, agent_id: int, leave: Leave
) -> Changed[DutyView]:
    async with deps.uow.write() as uow:
        await uow.duty.add_time_off(account_id, agent_id, leave)
        view = await uow.duty.get(account_id, agent_id)
        run = await _runs(uow, deps, agent_id)
    return Changed(view, run)


async def delete_time_off(
    deps: Deps, account_id: int, agent_id: int, time_off_id: int
) -> Changed[None]:
    async with deps.uow.write() as uow:
        await uow.duty.delete_time_off(account_id, agent_id, time_off_id)
        run = await _runs(uow, deps, agent_id)
    return Changed(None, run)


async def _runs(uow: UnitOfWork, deps: Deps, agent_id: int) -> frozenset[int]:
    fired = {triggers.Trigger.DUTY_CHANGED}
    return await triggers.inboxes_to_run(uow, deps.clock.now(), fired, agent_id=agent_id)
