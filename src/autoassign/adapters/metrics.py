"""Prometheus metrics, one registry per engine so several engines can share a process.

Why gauges for skips: a conversation that waits for an hour is skipped by every batch of
its inbox in that hour, so a counter of skips grows with the number of batches, not with
the number of conversations in trouble. ``autoassign_skipped_conversations`` is instead
what the *latest* batch of each inbox left waiting, by reason: one waiting conversation
counts once however often it is looked at. Backlog, oldest wait and open load are read
from SQL at scrape time (``refresh_queues``), so every API process reports the same truth
whichever process ran the batches.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from autoassign.core.ports.overview import AgentLoad, InboxQueue

_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.assignments = Counter(
            "autoassign_assignments", "Conversations assigned by the engine.", registry=registry
        )
        self.skipped = Gauge(
            "autoassign_skipped_conversations",
            "Conversations the latest batch of the inbox left waiting, by reason (a whole "
            "inbox skipped, e.g. no policy, shows its reason with value 1).",
            ["inbox_id", "reason"],
            registry=registry,
        )
        self.batches = Histogram(
            "autoassign_batch_duration_seconds",
            "Time to run one inbox batch.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
        self.queue_depth = Gauge(
            "autoassign_queue_depth", "Inbox runs waiting to start.", registry=registry
        )
        self.webhooks_pending = Gauge(
            "autoassign_webhook_deliveries_pending",
            "Webhook deliveries queued or waiting for a retry (read from the outbox).",
            registry=registry,
        )
        self.webhook_failures = Counter(
            "autoassign_webhook_delivery_failures",
            "Failed webhook deliveries: attempt (retried later), gave_up (the last "
            "attempt failed), refused (a target the address policy refuses).",
            ["outcome"],
            registry=registry,
        )
        self.waiting = Gauge(
            "autoassign_inbox_waiting_conversations",
            "Open, unassigned conversations per inbox.",
            ["account_id", "inbox_id"],
            registry=registry,
        )
        self.oldest_wait = Gauge(
            "autoassign_inbox_oldest_wait_seconds",
            "Age of the inbox's oldest open, unassigned conversation (0 when none waits).",
            ["account_id", "inbox_id"],
            registry=registry,
        )
        self.open_load = Gauge(
            "autoassign_agent_open_conversations",
            "Open conversations assigned to the agent, all inboxes together.",
            ["account_id", "agent_id"],
            registry=registry,
        )
        self.http_requests = Counter(
            "autoassign_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "autoassign_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            buckets=_HTTP_BUCKETS,
            registry=registry,
        )
        #: reasons set for each inbox by its latest batch, so stale ones can be removed
        self._skip_labels: dict[int, set[str]] = {}
        #: webhook failures already added to the counter, by outcome
        self._webhook_seen: Tally[str] = Tally()

    def record_batch(
        self, assigned: int, skip_reasons: Iterable[str], seconds: float, *, inbox_id: int
    ) -> None:
        self.assignments.inc(assigned)
        self.batches.observe(seconds)
        counts = Tally(str(reason) for reason in skip_reasons)
        label = str(inbox_id)
        for gone in self._skip_labels.get(inbox_id, set()) - counts.keys():
            self.skipped.remove(label, gone)
        for reason, count in counts.items():
            self.skipped.labels(inbox_id=label, reason=reason).set(count)
        self._skip_labels[inbox_id] = set(counts)

    def record_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method=method, route=route, status=str(status)).inc()
        self.http_duration.labels(method=method, route=route).observe(seconds)

    def record_webhook_failures(self, failures: Mapping[str, int]) -> None:
        """Catch the counter up with this process's delivery runner's running totals."""
        for outcome, total in failures.items():
            new = total - self._webhook_seen[outcome]
            if new > 0:
                self.webhook_failures.labels(outcome=outcome).inc(new)
                self._webhook_seen[outcome] = total

    def refresh_queues(
        self, queues: Iterable[InboxQueue], loads: Iterable[AgentLoad], now: datetime
    ) -> None:
        """Replace the backlog and load gauges with what SQL says now (inboxes and agents
        that are gone disappear from the output)."""
        self.waiting.clear()
        self.oldest_wait.clear()
        self.open_load.clear()
        for queue in queues:
            labels = {"account_id": str(queue.account_id), "inbox_id": str(queue.inbox_id)}
            self.waiting.labels(**labels).set(queue.waiting)
            oldest = queue.oldest_created_at
            age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
            self.oldest_wait.labels(**labels).set(age)
        for load in loads:
            self.open_load.labels(account_id=str(load.account_id), agent_id=str(load.agent_id)).set(
                load.open_load
            )

    def render(self) -> bytes:
        return generate_latest(self.registry)
