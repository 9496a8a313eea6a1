"""The few operations only Chatwoot's request shapes need.

Chatwoot links an inbox to a policy from either side: ``POST …/inboxes/{id}/
assignment_policy`` (autoassign's own route) and ``POST …/assignment_policies/{id}/
inboxes``. Both are the same link (one policy per inbox, a new one replaces the old), so
linking here is ``inboxes.link_policy``; only the rendered object differs. Unlinking from
the policy's side is stricter than Chatwoot's, which drops the inbox's link whatever
policy it points to: here the inbox must be linked to *this* policy, so a stale client
cannot unlink another policy's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autoassign.core import errors
from autoassign.services import inboxes
from autoassign.services.context import Changed, Deps


@dataclass(frozen=True, slots=True)
class PolicyInboxLink:
    """Chatwoot's inbox_assignment_policy. An inbox has at most one, so its id is the
    inbox's; linking replaces any earlier link, so it was made (and changed) now."""

    id: int
    inbox_id: int
    assignment_policy_id: int
    created_at: datetime
    updated_at: datetime


class PolicyInboxNotLinked(errors.NotFound):
    """The inbox is not linked to this assignment policy."""

    kind = "inbox link"

    def __init__(self, inbox_id: int, policy_id: int) -> None:
        super().__init__(inbox_id)
        self.message = f"inbox {inbox_id} is not linked to assignment policy {policy_id}"
        self.args = (self.message,)


async def link_policy_inbox(
    deps: Deps, account_id: int, policy_id: int, inbox_id: int
) -> Changed[PolicyInboxLink]:
    """Link the inbox to the policy (replacing its earlier one); runs the inbox."""
    changed = await inboxes.link_policy(deps, account_id, inbox_id, policy_id)
    now = deps.clock.now()
    return Changed(PolicyInboxLink(inbox_id, inbox_id, policy_id, now, now), changed.run)


async def unlink_policy_inbox(deps: Deps, account_id: int, policy_id: int, inbox_id: int) -> None:
    """PolicyNotFound, InboxNotFound, or PolicyInboxNotLinked unless linked to it."""
    async with deps.uow.write() as uow:
        await uow.policies.require(account_id, [policy_id])
        if await uow.inboxes.policy_id(account_id, inbox_id) != policy_id:
            raise PolicyInboxNotLinked(inbox_id, policy_id)
        await uow.inboxes.unlink_policy(inbox_id)
