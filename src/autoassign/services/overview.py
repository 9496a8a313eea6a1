"""What the admin page, the metrics scrape and readiness show: read-only use cases.

Why a service of its own: the admin page looks across aggregates (queues with their
policy, agents with their load, capacity and window in each inbox, the sweep schedule),
and routes must call one service and render. Nothing here writes: the page changes
policies, limits, links and availability through the existing services, so the same
triggers run the same inboxes as the API would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from autoassign.core.ports.overview import AgentLoad, InboxQueue, RecentAssignment, WindowFill
from autoassign.core.views import (
    AgentView,
    CapacityPolicyView,
    ConversationView,
    InboxView,
    PolicyView,
)
from autoassign.core.windows import window_start
from autoassign.services import conversations, explain, health
from autoassign.services.context import Deps

NO_WORKER = "no worker is running"


@dataclass(frozen=True, slots=True)
class Sweep:
    """The periodic sweep that runs every inbox with auto-assignment on."""

    interval: int
    #: True: fires on the wall clock (Procrastinate's cron, shared by all workers);
    #: False: an in-process timer started with the server, whose next time is not kept
    aligned: bool


@dataclass(frozen=True, slots=True)
class NextRun:
    #: exact time of the next periodic run, when it is known
    at: datetime | None
    #: what the page says, honestly: "never (…)", or which sweep and how often
    text: str


@dataclass(frozen=True, slots=True)
class InboxRow:
    inbox: InboxView
    waiting: int
    #: seconds the oldest waiting conversation has waited, None when none waits
    oldest_wait: float | None
    policy: PolicyView | None
    next_run: NextRun
    #: earliest moment a member at its fair-distribution limit can take work again
    window_frees_at: datetime | None


@dataclass(frozen=True, slots=True)
class Membership:
    inbox: InboxView
    open_load: int
    capacity: int | None
    #: None when the inbox has no policy (no window applies)
    window_count: int | None
    window_limit: int | None
    #: when a full window drops below its limit again
    frees_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: AgentView
    open_load: int
    inboxes: tuple[Membership, ...]


@dataclass(frozen=True, slots=True)
class Live:
    account_id: int
    account_name: str
    now: datetime
    inboxes: tuple[InboxRow, ...]
    agents: tuple[AgentRow, ...]


@dataclass(frozen=True, slots=True)
class Settings:
    """What the edit forms need: every policy, limit, link and agent of the account."""

    policies: tuple[PolicyView, ...]
    capacity: tuple[CapacityPolicyView, ...]
    inboxes: tuple[InboxView, ...]
    #: inbox id → linked policy id
    links: dict[int, int]
    agents: tuple[AgentView, ...]


@dataclass(frozen=True, slots=True)
class Explained:
    explanation: explain.Explanation
    conversation: ConversationView
    inbox_name: str
    agent_names: dict[int, str]


@dataclass(frozen=True, slots=True)
class Backlog:
    queues: tuple[InboxQueue, ...]
    loads: tuple[AgentLoad, ...]
    now: datetime


def next_run(inbox: InboxView, policy: PolicyView | None, sweep: Sweep, now: datetime) -> NextRun:
    """Runs start right after any change that can assign; besides those, the sweep."""
    if not inbox.enable_auto_assignment:
        return NextRun(None, "never: auto-assignment is off")
    if policy is None:
        return NextRun(None, "never: no policy linked")
    if not policy.enabled:
        return NextRun(None, "never: the policy is disabled")
    every = _duration(sweep.interval)
    if not sweep.aligned:
        return NextRun(None, f"sweep within {every} (every {every}, timed from server start)")
    epoch = int(now.timestamp())
    at = datetime.fromtimestamp(epoch - epoch % sweep.interval + sweep.interval, tz=UTC)
    return NextRun(at, f"sweep at {at:%H:%M:%S} UTC (every {every})")


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


async def live(deps: Deps, account_id: int, sweep: Sweep) -> Live:
    """The queues and the agents, as they are now."""
    now = deps.clock.now()
    async with deps.uow.read() as uow:
        inboxes = await uow.queries.inboxes(account_id)
        agents = await uow.queries.agents(account_id)
        policies = {p.id: p for p in await uow.queries.policies(account_id)}
    name = await deps.overview.account_name(account_id)
    queues = {q.inbox_id: q for q in await deps.overview.inbox_queues(account_id)}
    members = await deps.overview.member_loads(account_id)
    totals = {a.agent_id: a.open_load for a in await deps.overview.agent_loads(account_id)}
    linked = {i.id: policies.get(queues[i.id].policy_id or 0) for i in inboxes if i.id in queues}
    windows: dict[int, dict[int, WindowFill]] = {}
    for inbox_id, policy in linked.items():
        if policy is not None:
            window = policy.fair_distribution_window
            fills = await deps.overview.window_fills(
                inbox_id, policy.fair_distribution_limit, window_start(now, window), window
            )
            windows[inbox_id] = {f.agent_id: f for f in fills}
    by_id = {i.id: i for i in inboxes}
    rows: dict[int, list[Membership]] = {}
    for m in members:
        policy = linked.get(m.inbox_id)
        fill = windows.get(m.inbox_id, {}).get(m.agent_id)
        rows.setdefault(m.agent_id, []).append(
            Membership(
                inbox=by_id[m.inbox_id],
                open_load=m.open_load,
                capacity=m.capacity,
                window_count=(fill.count if fill else 0) if policy else None,
                window_limit=policy.fair_distribution_limit if policy else None,
                frees_at=fill.frees_at if fill else None,
            )
        )
    inbox_rows = []
    for inbox in inboxes:
        queue = queues.get(inbox.id)
        policy = linked.get(inbox.id)
        oldest = queue.oldest_created_at if queue else None
        frees = [f.frees_at for f in windows.get(inbox.id, {}).values() if f.frees_at is not None]
        inbox_rows.append(
            InboxRow(
                inbox=inbox,
                waiting=queue.waiting if queue else 0,
                oldest_wait=max(0.0, (now - oldest).total_seconds()) if oldest else None,
                policy=policy,
                next_run=next_run(inbox, policy, sweep, now),
                window_frees_at=min(frees) if frees and queue and queue.waiting else None,
            )
        )
    agent_rows = tuple(
        AgentRow(agent, totals.get(agent.id, 0), tuple(rows.get(agent.id, ()))) for agent in agents
    )
    return Live(account_id, name, now, tuple(inbox_rows), agent_rows)


async def settings(deps: Deps, account_id: int) -> Settings:
    async with deps.uow.read() as uow:
        policies = await uow.queries.policies(account_id)
        capacity = await uow.queries.capacity_policies(account_id)
        inboxes = await uow.queries.inboxes(account_id)
        agents = await uow.queries.agents(account_id)
    queues = await deps.overview.inbox_queues(account_id)
    links = {q.inbox_id: q.policy_id for q in queues if q.policy_id is not None}
    return Settings(tuple(policies), tuple(capacity), tuple(inboxes), links, tuple(agents))


async def recent_assignments(
    deps: Deps, account_id: int, *, after_id: int = 0, limit: int = 20
) -> Sequence[RecentAssignment]:
    """The newest assignments (by the engine or by hand) with their reasons."""
    return await deps.overview.recent_assignments(account_id, after_id=after_id, limit=limit)


async def explained(deps: Deps, account_id: int, conversation_id: int) -> Explained:
    """A conversation's explanation with the names a person reads it by."""
    result = await conversations.explain_assignment(deps, account_id, conversation_id)
    async with deps.uow.read() as uow:
        conversation = await uow.queries.conversation(account_id, conversation_id)
        inbox = await uow.queries.inbox(account_id, conversation.inbox_id)
        names = {a.id: a.name for a in await uow.queries.agents(account_id)}
    return Explained(result, conversation, inbox.name, names)


async def backlog(deps: Deps) -> Backlog:
    """Every inbox's queue and every agent's open load, of all accounts (for metrics)."""
    queues = await deps.overview.inbox_queues(None)
    loads = await deps.overview.agent_loads(None)
    return Backlog(tuple(queues), tuple(loads), deps.clock.now())


async def readiness(deps: Deps, *, expect_worker: bool, stale_after: float) -> dict[str, str]:
    """The database and state store checks, plus, where jobs run in separate worker
    processes, whether one has sent a heartbeat within ``stale_after`` seconds."""
    checks = await health.readiness(deps)
    if expect_worker and checks.get("database") == health.OK:
        age = await deps.overview.worker_heartbeat_age()
        if age is None or age > stale_after:
            seen = "none registered" if age is None else f"last heartbeat {age:.0f} s ago"
            checks["worker"] = f"{NO_WORKER} ({seen}): start one with `autoassign worker`"
        else:
            checks["worker"] = health.OK
    return checks
