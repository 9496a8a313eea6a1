"""Inboxes, their members and their assignment policy.

Switching auto-assignment on, adding members and linking a policy run the inbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from autoassign.core import errors
from autoassign.core.drafts import InboxPatch, MemberChange, Membership
from autoassign.core.model import Inbox
from autoassign.core.views import AgentView, InboxView, MemberView, PolicyView
from autoassign.services import triggers
from autoassign.services.context import Changed, Deps


async def list_inboxes(deps: Deps, account_id: int) -> list[InboxView]:
    async with deps.uow.read() as uow:
        return await uow.queries.inboxes(account_id)


async def get_inbox(deps: Deps, account_id: int, inbox_id: int) -> InboxView:
    async with deps.uow.read() as uow:
        return await uow.queries.inbox(account_id, inbox_id)


async def create_inbox(deps: Deps, draft: Inbox) -> InboxView:
    """A new inbox has no members and no policy yet, so nothing runs."""
    async with deps.uow.write() as uow:
        inbox_id = await uow.inboxes.add(replace(draft, id=0), deps.clock.now())
        return await uow.queries.inbox(draft.account_id, inbox_id)


async def update_inbox(
    deps: Deps, account_id: int, inbox_id: int, patch: InboxPatch
) -> Changed[InboxView]:
    async with deps.uow.write() as uow:
        before = await uow.queries.inbox(account_id, inbox_id)
        await uow.inboxes.update(account_id, inbox_id, patch)
        after = await uow.queries.inbox(account_id, inbox_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), triggers.inbox_updated(before, after), inbox_id=inbox_id
        )
    return Changed(after, run)


async def delete_inbox(deps: Deps, account_id: int, inbox_id: int) -> None:
    """The inbox is marked deleted; its conversations and assignment history stay."""
    async with deps.uow.write() as uow:
        await uow.inboxes.delete(account_id, inbox_id, deps.clock.now())


async def list_members(deps: Deps, account_id: int, inbox_id: int) -> list[AgentView]:
    async with deps.uow.read() as uow:
        return await uow.queries.inbox_members(account_id, inbox_id)


async def change_members(
    deps: Deps, account_id: int, inbox_id: int, agent_ids: Sequence[int], change: Membership
) -> Changed[list[AgentView]]:
    now = deps.clock.now()
    async with deps.uow.write() as uow:
        changed = await uow.inboxes.change_members(account_id, inbox_id, agent_ids, change, now)
        members = await uow.queries.inbox_members(account_id, inbox_id)
        fired = triggers.members_changed(changed.added, changed.removed)
        run = await triggers.inboxes_to_run(uow, now, fired, inbox_id=inbox_id)
    return Changed(members, run)


async def set_member(
    deps: Deps, account_id: int, inbox_id: int, agent_id: int, change: MemberChange
) -> Changed[MemberView]:
    """A member who opts out (a watcher, a supervisor) never receives auto-assignments
    in the inbox; opting back in runs it. The weight is their share of the work."""
    async with deps.uow.write() as uow:
        before = await uow.inboxes.set_member(account_id, inbox_id, agent_id, change)
        opted_in = change.get("auto_assign") is True and not before.auto_assign
        fired = {triggers.Trigger.MEMBERS_ADDED} if opted_in else set()
        run = await triggers.inboxes_to_run(uow, deps.clock.now(), fired, inbox_id=inbox_id)
    after = MemberView(
        inbox_id,
        agent_id,
        change.get("auto_assign", before.auto_assign),
        change.get("weight", before.weight),
    )
    return Changed(after, run)


async def get_policy(deps: Deps, account_id: int, inbox_id: int) -> PolicyView:
    async with deps.uow.read() as uow:
        policy_id = await uow.inboxes.policy_id(account_id, inbox_id)
        if policy_id is None:
            raise errors.InboxPolicyNotFound(inbox_id)
        return await uow.queries.policy(account_id, policy_id)


async def link_policy(
    deps: Deps, account_id: int, inbox_id: int, policy_id: int
) -> Changed[PolicyView]:
    """Links the policy, replacing any earlier one (one policy per inbox)."""
    async with deps.uow.write() as uow:
        await uow.inboxes.require(account_id, [inbox_id])
        await uow.policies.require(account_id, [policy_id])
        await uow.inboxes.link_policy(inbox_id, policy_id)
        view = await uow.queries.policy(account_id, policy_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), {triggers.Trigger.POLICY_LINKED}, inbox_id=inbox_id
        )
    return Changed(view, run)


async def unlink_policy(deps: Deps, account_id: int, inbox_id: int) -> None:
    async with deps.uow.write() as uow:
        if await uow.inboxes.policy_id(account_id, inbox_id) is None:
            raise errors.InboxPolicyNotFound(inbox_id)
        await uow.inboxes.unlink_policy(inbox_id)
