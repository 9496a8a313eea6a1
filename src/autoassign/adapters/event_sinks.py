"""Event sinks available without a network: a structured log line per event."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from autoassign.core.events import Event

logger = logging.getLogger("autoassign.events")


class LoggingEventSink:
    """The embedded default: events go to the log (webhook delivery is a separate sink)."""

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            logger.info(
                "%s conversation=%s agent=%s",
                event.name,
                event.conversation_id,
                event.agent_id,
                extra={"action": event.name, "inbox_id": event.inbox_id},
            )
