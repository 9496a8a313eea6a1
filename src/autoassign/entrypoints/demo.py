"""A realistic sample account, and a run of the engine over it, for `autoassign demo`."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.core.drafts import Membership
from autoassign.core.model import Agent, Conversation, Inbox, Presence, Status, Team
from autoassign.core.policies import (
    AssignmentOrder,
    AssignmentPolicy,
    CapacityPolicy,
    ConversationPriority,
    ExclusionRules,
)
from autoassign.core.views import AgentView, InboxView, TeamView
from autoassign.services import accounts, agents, capacity, inboxes, policies, runs, teams
from autoassign.services import conversations as conversations_service
from autoassign.services.assign import BatchResult

AGENT_NAMES = [
    "Ada",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Alan",
    "Radia",
    "Edsger",
    "Hedy",
]
PRESENCE = [Presence.ONLINE] * 8 + [Presence.BUSY] * 2 + [Presence.OFFLINE] * 2
LABELS = ["billing", "bug", "feature", "vip", "spam"]
#: conversations inserted per transaction, so a large seed can report its progress
SEED_CHUNK = 5_000
#: told how many conversations (seeding) or assignments (running) are done so far
Progress = Callable[[int], None]


@dataclass
class DemoData:
    account: accounts.NewAccount
    agents: list[AgentView]
    inboxes: list[InboxView]
    teams: list[TeamView]
    conversations: int


@dataclass
class DemoRun:
    results: list[BatchResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def assigned(self) -> int:
        return sum(r.assigned for r in self.results)

    def final_skips(self) -> Counter[tuple[int, str]]:
        """(inbox, reason) → conversations still unassigned after the last batch of each inbox."""
        last: dict[int, BatchResult] = {}
        for result in self.results:
            last[result.inbox_id] = result
        counts: Counter[tuple[int, str]] = Counter()
        for inbox_id, result in last.items():
            for reason in result.skip_reasons:
                counts[(inbox_id, reason.value)] += 1
        return counts


async def seed(
    engine: Engine,
    *,
    conversations: int = 300,
    seed_value: int = 7,
    progress: Progress | None = None,
) -> DemoData:
    """Through the same services the API uses, so the demo exercises the real write paths."""
    rng = random.Random(seed_value)
    deps = engine.deps
    now = deps.clock.now()
    account = await accounts.create_account(deps, "Demo Co")
    made = [
        await agents.create_agent(deps, Agent(0, account.id, name, availability=presence))
        for name, presence in zip(AGENT_NAMES, PRESENCE, strict=True)
    ]
    ids = [a.id for a in made]
    specs = [
        ("Website chat", True, AssignmentOrder.ROUND_ROBIN, ConversationPriority.EARLIEST_CREATED),
        ("Email", True, AssignmentOrder.BALANCED, ConversationPriority.LONGEST_WAITING),
        ("Billing", True, AssignmentOrder.ROUND_ROBIN, ConversationPriority.EARLIEST_CREATED),
        ("Social", False, AssignmentOrder.ROUND_ROBIN, ConversationPriority.EARLIEST_CREATED),
    ]
    made_inboxes: list[InboxView] = []
    for name, enabled, order, priority in specs:
        inbox = await inboxes.create_inbox(deps, Inbox(0, account.id, name, enabled))
        made_inboxes.append(inbox)
        members = ids if name != "Billing" else ids[4:10]
        await inboxes.change_members(deps, account.id, inbox.id, members, Membership.ADD)
        policy = await policies.create_policy(
            deps,
            AssignmentPolicy(
                0,
                account.id,
                f"{name} policy",
                assignment_order=order,
                conversation_priority=priority,
                fair_distribution_limit=12,
                fair_distribution_window=3600,
            ),
        )
        await inboxes.link_policy(deps, account.id, inbox.id, policy.id)
    website, email, billing, _social = made_inboxes
    limits = await capacity.create_policy(
        deps,
        CapacityPolicy(
            0,
            account.id,
            "Standard load",
            exclusion_rules=ExclusionRules(frozenset({"spam"})),
            inbox_limits={website.id: 6, email.id: 5, billing.id: 4},
        ),
    )
    for agent_id in ids[:10]:
        await capacity.add_user(deps, account.id, limits.id, agent_id)
    made_teams = [
        await teams.create_team(
            deps, Team(0, account.id, "Billing specialists", True, frozenset(ids[6:9]))
        ),
        await teams.create_team(
            deps, Team(0, account.id, "Escalations", False, frozenset(ids[:2]))
        ),
    ]
    drafts: list[Conversation] = []
    for _ in range(conversations):
        inbox = rng.choices(made_inboxes, weights=[5, 4, 2, 1])[0]
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 3))
        stale = rng.random() < 0.05
        activity = now - timedelta(days=9) if stale else created + (now - created) * rng.random()
        team_id = None
        if inbox is billing:
            team_id = made_teams[0].id
        elif rng.random() < 0.05:
            team_id = made_teams[1].id
        drafts.append(
            Conversation(
                id=0,
                account_id=account.id,
                inbox_id=inbox.id,
                created_at=min(created, activity),
                last_activity_at=activity,
                status=rng.choices(list(Status), weights=[85, 5, 7, 3])[0],
                labels=frozenset(rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2]))),
                team_id=team_id,
            )
        )
    for start in range(0, len(drafts), SEED_CHUNK):
        chunk = drafts[start : start + SEED_CHUNK]
        await conversations_service.create_conversations(deps, account.id, chunk)
        if progress is not None:
            progress(start + len(chunk))
    return DemoData(account, made, made_inboxes, made_teams, conversations)


async def run(engine: Engine, data: DemoData, progress: Progress | None = None) -> DemoRun:
    """Drain every inbox: batches until a batch assigns nothing."""
    demo = DemoRun()
    started = time.perf_counter()
    for inbox in data.inboxes:
        while True:
            result = await runs.run_batch(engine.deps, inbox.id)
            demo.results.append(result)
            if progress is not None:
                progress(demo.assigned)
            if result.skipped is not None or result.assigned == 0:
                break
    demo.seconds = time.perf_counter() - started
    return demo


#: the served demo keeps spare capacity, so conversations created through the API get agents
SERVED_DEMO_CONVERSATIONS = 80


async def ensure_demo_account(settings: Settings) -> tuple[int, str]:
    """Seed (and assign) the demo account if the database has no account yet; return the
    account and a fresh API token for it (tokens are stored hashed, so a new one each time)."""
    engine = build(settings)
    try:
        account_id = await accounts.first_account_id(engine.deps)
        if account_id is None:
            data = await seed(engine, conversations=SERVED_DEMO_CONVERSATIONS)
            await run(engine, data)
            account_id = data.account.id
        token = await accounts.issue_token(engine.deps, account_id, "demo")
    finally:
        await engine.aclose()
    return account_id, token
