"""Event sinks available without a network, and the combinator that joins sinks."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from autoassign.core.events import Event
from autoassign.core.ports import EventSink

logger = logging.getLogger("autoassign.events")
#: sink failures go to this module's logger, not to the event stream above
_failures = logging.getLogger(__name__)


class LoggingEventSink:
    """The embedded default: events go to the log (webhook delivery is a separate sink)."""

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            logger.info(
                "%s conversation=%s agent=%s",
                event.name,
                event.conversation_id,
                event.agent_id,
                extra={
                    "action": event.name,
                    "account_id": event.account_id,
                    "inbox_id": event.inbox_id,
                },
            )


class FanoutSink:
    """Publishes to several sinks; one failing sink does not stop the others.

    Assignments are already committed when events are published, so a sink that raises
    (a database hiccup while looking up webhooks, say) must cost only its own output,
    never the log line or the other sinks'.
    """

    def __init__(self, *sinks: EventSink) -> None:
        self._sinks = sinks

    async def publish(self, events: Sequence[Event]) -> None:
        for sink in self._sinks:
            try:
                await sink.publish(events)
            except Exception:
                _failures.exception("event sink %r failed", sink, extra={"action": "publish"})
