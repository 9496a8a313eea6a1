"""Events in, deliveries out: which webhooks hear of an event, and what they are sent."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from autoassign.adapters.webhooks.dispatcher import Delivery, WebhookDispatcher
from autoassign.core.events import Event
from autoassign.core.views import WebhookView

#: ``(account_ids, event name) -> webhooks`` of those accounts subscribed to that event;
#: the core read model itself, so the composition root passes a query, not a converter
WebhookLookup = Callable[[set[int], str], Awaitable[Sequence[WebhookView]]]


class WebhookSink:
    """An EventSink that fans events out to the account's subscribed webhooks.

    Events are grouped by name so one lookup serves a whole batch, and a body is built
    only for events some webhook will receive.
    """

    def __init__(self, lookup: WebhookLookup, dispatcher: WebhookDispatcher) -> None:
        self._lookup = lookup
        self.dispatcher = dispatcher

    async def publish(self, events: Sequence[Event]) -> None:
        by_name: dict[str, list[Event]] = {}
        for event in events:
            by_name.setdefault(event.name, []).append(event)
        for name, group in by_name.items():
            targets = await self._lookup({e.account_id for e in group}, name)
            if not targets:
                continue  # the common case: no body is built for nobody
            for event in group:
                mine = [t for t in targets if t.account_id == event.account_id]
                if mine:
                    body = payload(event)
                    for target in mine:
                        self.dispatcher.submit(Delivery(target, name, body))


def payload(event: Event) -> bytes:
    """The JSON body receivers get: the event under its public field names.

    ``sort_keys`` makes the bytes (and so the signatures) the same for the same event.
    """
    data = {
        "account_id": event.account_id,
        "assigned_at": event.assigned_at.isoformat(),
        "assignee_id": event.agent_id,
        "conversation_id": event.conversation_id,
        "event": event.name,
        "inbox_id": event.inbox_id,
        "policy_id": event.policy_id,
        "reason": event.reason,
    }
    return json.dumps(data, sort_keys=True).encode()
