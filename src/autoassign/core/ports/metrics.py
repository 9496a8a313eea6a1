"""What the services report about their work, for whoever counts it (Prometheus)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class BatchMetrics(Protocol):
    def record_batch(
        self, assigned: int, skip_reasons: Iterable[str], seconds: float, *, inbox_id: int
    ) -> None:
        """One inbox batch: how many it assigned, why the rest were skipped (one reason per
        conversation left waiting, or the inbox's one), how long. ``inbox_id`` lets skips
        be kept per inbox as "left waiting by the latest batch", so a conversation that
        every batch skips is not counted again on each one."""
        ...
