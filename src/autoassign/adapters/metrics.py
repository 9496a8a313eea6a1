"""Prometheus metrics, one registry per engine so several engines can share a process."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.assignments = Counter(
            "autoassign_assignments",
            "Conversations assigned by the engine.",
            registry=self.registry,
        )
        self.skips = Counter(
            "autoassign_skips",
            "Conversations (or whole inbox runs) left unassigned, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.batches = Histogram(
            "autoassign_batch_duration_seconds",
            "Time to run one inbox batch.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "autoassign_queue_depth", "Inbox runs waiting to start.", registry=self.registry
        )
        self.webhooks_pending = Gauge(
            "autoassign_webhook_deliveries_pending",
            "Webhook deliveries queued or waiting for a retry.",
            registry=self.registry,
        )

    def record_batch(self, assigned: int, skip_reasons: Iterable[str], seconds: float) -> None:
        self.assignments.inc(assigned)
        for reason in skip_reasons:
            self.skips.labels(reason=reason).inc()
        self.batches.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
