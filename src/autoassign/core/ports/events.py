"""Where events go once their change has committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from autoassign.core.events import Event


class EventSink(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...
