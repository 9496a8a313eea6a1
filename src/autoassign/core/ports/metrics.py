"""What the services report about their work, for whoever counts it (Prometheus)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class BatchMetrics(Protocol):
    def record_batch(self, assigned: int, skip_reasons: Iterable[str], seconds: float) -> None:
        """One inbox batch: how many it assigned, why the rest were skipped, how long."""
        ...
