"""Conversations: create, change, assign by hand, and explain their assignment.

The rules a conversation change follows live here: moving to a team the assignee is not
in clears the assignee; an assignment by hand is recorded in the history (it counts
toward no fair-distribution window) and queued for webhooks in the same transaction, so
it is announced exactly when it commits. Which of these run the inbox is the trigger
table's (``triggers``).
"""

from __future__ import annotations

from typing import cast

from autoassign.core.drafts import Activity, ConversationChanges, ConversationPatch, MessageType
from autoassign.core.events import ConversationAssigned
from autoassign.core.model import Conversation, Status
from autoassign.core.views import ConversationFilter, ConversationView, Page, Paging
from autoassign.services import explain, triggers
from autoassign.services.context import Changed, Deps

MANUAL_REASON = "assigned by hand"


async def list_conversations(
    deps: Deps, account_id: int, where: ConversationFilter, paging: Paging
) -> Page[ConversationView]:
    async with deps.uow.read() as uow:
        return await uow.queries.conversations(account_id, where, paging)


async def get_conversation(deps: Deps, account_id: int, conversation_id: int) -> ConversationView:
    async with deps.uow.read() as uow:
        return await uow.queries.conversation(account_id, conversation_id)


async def create_conversations(
    deps: Deps, account_id: int, drafts: list[Conversation]
) -> Changed[list[int]]:
    """Many at once (imports, demos); each open, unassigned one runs its inbox."""
    now = deps.clock.now()
    async with deps.uow.write() as uow:
        ids = await uow.conversations.add_many(account_id, drafts, now)
        fired = [(d.inbox_id, triggers.conversation_created(d)) for d in drafts]
        run = await triggers.inboxes_to_run(
            uow,
            now,
            set().union(*(these for _, these in fired)),
            inbox_ids={inbox_id for inbox_id, these in fired if these},
        )
    return Changed(ids, run)


async def create_conversation(deps: Deps, draft: Conversation) -> Changed[ConversationView]:
    """An open, unassigned conversation is offered to the inbox's agents right away."""
    now = deps.clock.now()
    async with deps.uow.write() as uow:
        created = await uow.conversations.add(draft, now)
        run = await triggers.inboxes_to_run(
            uow, now, triggers.conversation_created(created), inbox_id=created.inbox_id
        )
    return Changed(created, run)


async def update_conversation(
    deps: Deps, account_id: int, conversation_id: int, patch: ConversationPatch
) -> Changed[ConversationView]:
    """Moving to a team the assignee is not in clears the assignee (team rules hold for
    every assignment, not only the engine's)."""
    async with deps.uow.write() as uow:
        before = await uow.queries.conversation(account_id, conversation_id)
        changes = cast(ConversationChanges, dict(patch))
        team_id = patch.get("team_id", before.team_id)
        if "team_id" in patch and team_id != before.team_id and team_id is not None:
            await uow.teams.require(account_id, [team_id])
            if before.assignee_id is not None and not await uow.teams.has_member(
                team_id, before.assignee_id
            ):
                changes["assignee_id"] = None
        now = deps.clock.now()
        if changes.get("assignee_id", before.assignee_id) is None and before.assignee_id:
            changes["assigned_at"] = None
        if changes.get("status", before.status) is Status.OPEN and before.status is not Status.OPEN:
            changes["reopened_at"] = now  # the reopen rule of core/reassignment.py
        await uow.conversations.update(account_id, conversation_id, changes, now)
        after = await uow.queries.conversation(account_id, conversation_id)
        fired = triggers.conversation_updated(before, after)
        freed = before.assignee_id if triggers.Trigger.CAPACITY_FREED in fired else None
        if freed is not None and await uow.agents.total_limited(freed):
            fired.add(triggers.Trigger.TOTAL_CAPACITY_FREED)  # frees a place in every inbox
        run = await triggers.inboxes_to_run(
            uow, now, fired, inbox_id=after.inbox_id, agent_id=freed
        )
    return Changed(after, run)


async def record_activity(
    deps: Deps, account_id: int, conversation_id: int, activity: Activity
) -> Changed[ConversationView]:
    """A message on the conversation (Chatwoot's ``message_created``): keeps
    ``last_activity_at``, ``waiting_since`` and ``first_reply_at`` as Chatwoot does,
    and with them the unanswered timer (core/reassignment.py). A reply committed before
    a reassignment's claim wins: the claim checks that no activity came since."""
    now = deps.clock.now()
    at = activity.created_at or now
    async with deps.uow.write() as uow:
        before = await uow.queries.conversation(account_id, conversation_id)
        changes = ConversationChanges()
        if activity.message_type is not MessageType.ACTIVITY:
            changes["last_activity_at"] = max(at, before.last_activity_at)
        if activity.from_customer and before.waiting_since is None:
            changes["waiting_since"] = at
        if activity.agent_reply:
            changes["agent_replied_at"] = at
            changes["waiting_since"] = None
            if before.first_reply_created_at is None:
                changes["first_reply_at"] = at
        await uow.conversations.update(account_id, conversation_id, changes, now)
        after = await uow.queries.conversation(account_id, conversation_id)
        run = await triggers.inboxes_to_run(
            uow, now, triggers.activity_recorded(before, after), inbox_id=after.inbox_id
        )
    return Changed(after, run)


async def assign_by_hand(
    deps: Deps, account_id: int, conversation_id: int, assignee_id: int | None
) -> Changed[ConversationView]:
    """Assign to an agent of the account, or unassign with None (which offers an open
    conversation to the engine again). A person may assign past limits: limits govern
    the engine, and the assignment is recorded with its reason."""
    now = deps.clock.now()
    async with deps.uow.write() as uow:
        before = await uow.queries.conversation(account_id, conversation_id)
        if assignee_id is not None:
            await uow.agents.require(account_id, [assignee_id])
        changes = ConversationChanges(
            assignee_id=assignee_id,
            assigned_at=now if assignee_id is not None else None,
            previous_assignee_id=None,
            reassign_reason=None,
        )
        await uow.conversations.update(account_id, conversation_id, changes, now)
        events: list[ConversationAssigned] = []
        if assignee_id is not None and assignee_id != before.assignee_id:
            await uow.conversations.record_manual(
                account_id, before.inbox_id, conversation_id, assignee_id, MANUAL_REASON, now
            )
            events.append(
                ConversationAssigned(
                    account_id=account_id,
                    inbox_id=before.inbox_id,
                    conversation_id=conversation_id,
                    agent_id=assignee_id,
                    policy_id=None,
                    assigned_at=now,
                    reason=MANUAL_REASON,
                )
            )
            await uow.deliveries.queue(events, now)  # the webhook outbox, in this commit
        after = await uow.queries.conversation(account_id, conversation_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), triggers.assigned_by_hand(before, after), inbox_id=after.inbox_id
        )
    if events:
        await deps.sink.publish(events)
    return Changed(after, run)


async def explain_assignment(
    deps: Deps, account_id: int, conversation_id: int
) -> explain.Explanation:
    """Why it is assigned to whom, or why not: a dry run that changes nothing."""
    view = await get_conversation(deps, account_id, conversation_id)
    return await explain.explain_conversation(
        view.entity(), store=deps.store, state=deps.state, clock=deps.clock
    )
