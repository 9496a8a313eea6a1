"""What must hold after every fault, read straight from SQL (never from the engine).

- no conversation with two assignees: at most one engine assignment record per
  conversation (nothing in these scenarios unassigns or reopens), and the assignee in
  ``conversations`` is the agent of its latest record;
- no agent over capacity: open conversations per agent and inbox ≤ the agent's limit;
- no fair-distribution window over its limit at any instant: for every engine assignment
  at t, the same agent's engine assignments in that inbox within (t - window, t] (in
  milliseconds, the unit the state stores keep) are at most the limit;
- nothing assignable left unassigned (``pending_assignable``), and no job stuck
  (``stuck_jobs``);
- no webhook lost (``webhook_report``): every assignment was accepted at least once by
  the suite's receiver (matched by event, conversation and agent), and its outbox row
  (``webhook_deliveries``) is ``delivered``, none left pending or failed for good; and
  no delivery was accepted for an assignment that ``assignments`` does not record.
  Duplicates (the same assignment accepted twice) are counted, not failed: delivery is
  at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from tests.faults.receiver import Received

_DOUBLE_RECORDS = """
    SELECT conversation_id, count(*) FROM assignments
     WHERE selector <> 'manual' GROUP BY conversation_id HAVING count(*) > 1
"""

_ASSIGNEE_NOT_LATEST = """
    SELECT c.id, c.assignee_id, latest.agent_id
      FROM conversations c
      LEFT JOIN LATERAL (SELECT agent_id FROM assignments a WHERE a.conversation_id = c.id
                         ORDER BY a.id DESC LIMIT 1) latest ON true
     WHERE c.assignee_id IS NOT NULL AND latest.agent_id IS DISTINCT FROM c.assignee_id
"""

_OVER_CAPACITY = """
    SELECT c.inbox_id, c.assignee_id, count(*) AS open_load, l.conversation_limit
      FROM conversations c
      JOIN agents a ON a.id = c.assignee_id
      JOIN inbox_capacity_limits l
        ON l.capacity_policy_id = a.capacity_policy_id AND l.inbox_id = c.inbox_id
     WHERE c.status = 'open'
     GROUP BY c.inbox_id, c.assignee_id, l.conversation_limit
    HAVING count(*) > l.conversation_limit
"""

_ENGINE_ASSIGNMENTS = """
    SELECT a.inbox_id, a.agent_id, a.assigned_at,
           p.fair_distribution_limit, p.fair_distribution_window
      FROM assignments a
      JOIN inbox_assignment_policies l ON l.inbox_id = a.inbox_id
      JOIN assignment_policies p ON p.id = COALESCE(a.policy_id, l.assignment_policy_id)
     WHERE a.selector <> 'manual'
     ORDER BY a.inbox_id, a.agent_id, a.assigned_at
"""

#: open unassigned conversations (created by ``before``) that some online member of a
#: running inbox could take now: per inbox, min(waiting, members' free capacity). The
#: scenarios use no labels, teams, exclusions or heartbeat presence, so this is exact.
_PENDING = """
    WITH load AS (
        SELECT inbox_id, assignee_id, count(*) AS n FROM conversations
         WHERE status = 'open' AND assignee_id IS NOT NULL GROUP BY inbox_id, assignee_id
    ), room AS (
        SELECT m.inbox_id,
               sum(CASE WHEN l.conversation_limit IS NULL THEN 1000000000
                        ELSE greatest(l.conversation_limit - coalesce(load.n, 0), 0) END) AS n
          FROM inbox_members m
          JOIN agents a ON a.id = m.agent_id AND a.availability = 'online'
          LEFT JOIN inbox_capacity_limits l
            ON l.capacity_policy_id = a.capacity_policy_id AND l.inbox_id = m.inbox_id
          LEFT JOIN load ON load.inbox_id = m.inbox_id AND load.assignee_id = m.agent_id
         GROUP BY m.inbox_id
    ), waiting AS (
        SELECT inbox_id, count(*) AS n FROM conversations
         WHERE status = 'open' AND assignee_id IS NULL AND created_at <= %(before)s
         GROUP BY inbox_id
    )
    SELECT coalesce(sum(least(w.n, coalesce(r.n, 0))), 0)
      FROM waiting w
      JOIN inboxes i ON i.id = w.inbox_id AND i.enable_auto_assignment
      JOIN inbox_assignment_policies ip ON ip.inbox_id = w.inbox_id
      JOIN assignment_policies p ON p.id = ip.assignment_policy_id AND p.enabled
      LEFT JOIN room r ON r.inbox_id = w.inbox_id
"""

#: a job is stuck when it is ``doing`` or ready (``todo`` and due) for over ``seconds``
_STUCK_JOBS = """
    SELECT j.id, j.task_name, j.status, j.lock, j.scheduled_at
      FROM procrastinate_jobs j
     WHERE j.status = 'doing'
        OR (j.status = 'todo'
            AND coalesce(j.scheduled_at, (SELECT min(e.at) FROM procrastinate_events e
                                           WHERE e.job_id = j.id))
                < now() - make_interval(secs => %(seconds)s))
"""


#: every assignment up to ``upto`` with the outbox row(s) of its event for ``webhook``
#: (none: it was never queued); bodies are the stored JSON of ``core.events.payload``
_ASSIGNMENT_DELIVERIES = """
    SELECT a.id, a.conversation_id, a.agent_id, a.assigned_at,
           d.delivery_id, d.status, d.attempts, d.last_error
      FROM assignments a
      LEFT JOIN webhook_deliveries d
        ON d.webhook_id = %(webhook)s AND d.event = 'assignee_changed'
       AND (d.body::jsonb ->> 'conversation_id')::bigint = a.conversation_id
       AND (d.body::jsonb ->> 'assignee_id')::bigint = a.agent_id
     WHERE a.id <= %(upto)s
     ORDER BY a.id
"""


_ASSIGNED_PAIRS = "SELECT DISTINCT conversation_id, agent_id FROM assignments"


class Probe:
    """One autocommit connection that reconnects after the server went away."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._conn: psycopg.AsyncConnection[TupleRow] | None = None

    async def rows(self, query: str, params: dict[str, Any] | None = None) -> list[TupleRow]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=3
            )
        try:
            cursor = await self._conn.execute(query, params)
            return await cursor.fetchall()
        except psycopg.OperationalError:
            await self.close()
            raise

    async def scalar(self, query: str, params: dict[str, Any] | None = None) -> int:
        rows = await self.rows(query, params)
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None


async def pending_assignable(probe: Probe, before: datetime | None = None) -> int:
    return await probe.scalar(_PENDING, {"before": _naive(before or datetime.now(UTC))})


async def stuck_jobs(probe: Probe, seconds: float = 10.0) -> list[TupleRow]:
    return await probe.rows(_STUCK_JOBS, {"seconds": seconds})


async def window_breaches(probe: Probe) -> list[str]:
    """Every engine assignment whose window (as of its own instant) holds more than the
    limit, computed from ``assignments`` alone."""
    per_agent: dict[tuple[int, int], list[int]] = defaultdict(list)
    rules: dict[tuple[int, int], tuple[int, int]] = {}
    for inbox_id, agent_id, at, limit, window in await probe.rows(_ENGINE_ASSIGNMENTS):
        key = (inbox_id, agent_id)
        per_agent[key].append(int(at.replace(tzinfo=UTC).timestamp() * 1000))
        rules[key] = (limit, window * 1000)
    breaches: list[str] = []
    for key, moments in per_agent.items():
        limit, window_ms = rules[key]
        first = 0
        for last, at in enumerate(moments):  # ordered; ties are the same instant
            if last + 1 < len(moments) and moments[last + 1] == at:
                continue  # counted at the last of its ties
            while moments[first] <= at - window_ms:
                first += 1
            held = last - first + 1
            if held > limit:
                offsets = ", ".join(f"-{at - m}" for m in moments[first : last + 1])
                breaches.append(
                    f"inbox {key[0]} agent {key[1]}: {held} engine assignments in the"
                    f" {window_ms // 1000}-s window ending at {at} ms (limit {limit});"
                    f" at offsets (ms) {offsets}"
                )
    return breaches


async def violations(probe: Probe, *, windows: bool = True) -> list[str]:
    """Every safety invariant broken, as readable lines (empty: all hold); ``windows``
    false skips the window history (the costly one)."""
    found: list[str] = []
    for cid, count in await probe.rows(_DOUBLE_RECORDS):
        found.append(f"conversation {cid} was assigned by the engine {count} times")
    for cid, assignee, latest in await probe.rows(_ASSIGNEE_NOT_LATEST):
        found.append(f"conversation {cid} held by {assignee} but last assigned to {latest}")
    for inbox_id, agent_id, load, limit in await probe.rows(_OVER_CAPACITY):
        found.append(f"agent {agent_id} holds {load} open in inbox {inbox_id} (limit {limit})")
    breaches = await window_breaches(probe) if windows else []
    found.extend(breaches[:20])
    if len(breaches) > 20:
        found.append(f"... {len(breaches) - 20} more window breaches")
    return found


async def wait_for(
    probe: Probe, *, before: datetime | None, within: float, poll: float = 0.25
) -> float | None:
    """Seconds until nothing created by ``before`` is left assignable, or None after
    ``within`` (database errors while it is down count as "not yet")."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        with contextlib.suppress(psycopg.Error, OSError):
            if await pending_assignable(probe, before) == 0:
                return time.monotonic() - started
        await asyncio.sleep(poll)
    return None


def _naive(moment: datetime) -> datetime:
    """``conversations.created_at`` holds naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


NO_ROW = "no delivery row was queued"


@dataclass
class WebhookReport:
    """What the receiver accepted for the assignments up to an id, and what the outbox
    says of them. Clean when nothing is ``missing`` or ``unsettled`` (waiting can fix
    those); ``phantoms`` are a breach of their own (waiting cannot); ``duplicates`` are
    reported, never failed (delivery is at least once)."""

    #: assignments checked
    checked: int = 0
    #: assignment id -> why it was never accepted (its outbox row's state)
    missing: dict[int, str] = field(default_factory=dict)
    #: assignment id -> its outbox rows that are not ``delivered`` (or "no delivery row")
    unsettled: dict[int, list[str]] = field(default_factory=dict)
    #: assignment id -> accepted deliveries beyond the first
    duplicates: dict[int, int] = field(default_factory=dict)
    #: assignment id -> seconds from the assignment to its first accepted delivery
    delays: dict[int, float] = field(default_factory=dict)
    #: deliveries accepted in all (duplicates included)
    accepted: int = 0
    #: accepted deliveries of an assignment no row of ``assignments`` records (the
    #: outbox must hold a delivery exactly when its assignment committed)
    phantoms: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.unsettled

    def lines(self, limit: int = 20) -> list[str]:
        found = [
            f"assignment {a}: never accepted by the receiver ({why})"
            for a, why in self.missing.items()
        ]
        found += [
            f"assignment {a}: outbox row {row}"
            for a, rows in self.unsettled.items()
            if a not in self.missing
            for row in rows
        ]
        if len(found) > limit:
            found = [*found[:limit], f"... {len(found) - limit} more"]
        return found


async def webhook_report(
    probe: Probe, webhook_id: int, received: Sequence[Received], upto: int
) -> WebhookReport:
    """Every assignment with ``id <= upto`` against the deliveries ``received`` (those the
    receiver accepted) and the webhook's outbox rows."""
    first: dict[tuple[str, int, int], float] = {}
    count: dict[tuple[str, int, int], int] = defaultdict(int)
    for got in received:
        key = (got.event, got.conversation_id, got.assignee_id)
        first.setdefault(key, got.at)
        count[key] += 1
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    facts: dict[int, tuple[int, int, datetime]] = {}
    for assignment_id, conversation, agent, at, *outbox in await probe.rows(
        _ASSIGNMENT_DELIVERIES, {"webhook": webhook_id, "upto": upto}
    ):
        facts[assignment_id] = (conversation, agent, at)
        if outbox[0] is not None:
            rows[assignment_id].append(tuple(outbox))
    report = WebhookReport(checked=len(facts), accepted=len(received))
    assigned = {(c, a) for c, a in await probe.rows(_ASSIGNED_PAIRS)}
    report.phantoms = [
        f"delivery {got.delivery_id}: conversation {got.conversation_id} to agent"
        f" {got.assignee_id}, which no assignment records"
        for got in received
        if (got.conversation_id, got.assignee_id) not in assigned
    ]
    for assignment_id, (conversation, agent, at) in facts.items():
        outbox = rows[assignment_id]
        states = [_row_state(*row) for row in outbox] or [NO_ROW]
        unsettled = [_row_state(*row) for row in outbox if row[1] != "delivered"]
        if unsettled or not outbox:
            report.unsettled[assignment_id] = unsettled or states
        key = ("assignee_changed", conversation, agent)
        if key not in first:
            why = "; ".join(states)
            report.missing[assignment_id] = f"conversation {conversation} to agent {agent}: {why}"
            continue
        report.delays[assignment_id] = first[key] - at.replace(tzinfo=UTC).timestamp()
        if count[key] > 1:
            report.duplicates[assignment_id] = count[key] - 1
    return report


def _row_state(delivery_id: str, status: str, attempts: int, error: str | None) -> str:
    detail = f", last error {error!r}" if error else ""
    return f"{delivery_id} {status} after {attempts} attempt(s){detail}"


async def wait_for_webhooks(
    probe: Probe,
    webhook_id: int,
    received: Callable[[], Sequence[Received]],
    upto: int,
    *,
    stalled: float,
    within: float,
    poll: float = 0.25,
) -> tuple[WebhookReport, float | None]:
    """Until the report on assignments up to ``upto`` is clean: the last report, and the
    seconds it took. None when ``stalled`` seconds passed without progress (nothing newly
    accepted, no row newly delivered) or ``within`` in all: a backlog being delivered
    may take long, a delivery that waits for nothing must not."""
    started = moved = time.monotonic()
    last: tuple[int, int] | None = None
    report: WebhookReport | None = None
    while True:
        with contextlib.suppress(psycopg.Error, OSError):
            report = await webhook_report(probe, webhook_id, received(), upto)
            if report.clean:
                return report, time.monotonic() - started
            progress = (report.accepted, -len(report.unsettled))
            if progress != last:
                last, moved = progress, time.monotonic()
        now = time.monotonic()
        if now - moved >= stalled or now - started >= within:
            if report is None:
                report = await webhook_report(probe, webhook_id, received(), upto)
            return report, None
        await asyncio.sleep(poll)
