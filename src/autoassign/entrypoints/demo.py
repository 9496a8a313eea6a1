"""A realistic sample account, and a run of the engine over it, for `autoassign demo`."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.core.model import Account, Agent, Conversation, Inbox, Presence, Status, Team
from autoassign.core.policies import (
    AssignmentOrder,
    AssignmentPolicy,
    CapacityPolicy,
    ConversationPriority,
    ExclusionRules,
)
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


@dataclass
class DemoData:
    account: Account
    agents: list[Agent]
    inboxes: list[Inbox]
    teams: list[Team]
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
            if result.skipped is not None:
                counts[(inbox_id, result.skipped.value)] += 1
            for outcome in result.outcomes:
                if outcome.agent_id is None:
                    counts[(inbox_id, outcome.result)] += 1
        return counts


async def seed(engine: Engine, *, conversations: int = 300, seed_value: int = 7) -> DemoData:
    rng = random.Random(seed_value)
    now = engine.clock.now()
    catalog = engine.catalog
    account = await catalog.add_account(Account(0, "Demo Co"), now)
    agents = [
        await catalog.add_agent(Agent(0, account.id, name, availability=presence), now)
        for name, presence in zip(AGENT_NAMES, PRESENCE, strict=True)
    ]
    ids = [a.id for a in agents]
    specs = [
        ("Website chat", True, AssignmentOrder.ROUND_ROBIN, ConversationPriority.EARLIEST_CREATED),
        ("Email", True, AssignmentOrder.BALANCED, ConversationPriority.LONGEST_WAITING),
        ("Billing", True, AssignmentOrder.ROUND_ROBIN, ConversationPriority.EARLIEST_CREATED),
        ("Social", False, AssignmentOrder.ROUND_ROBIN, ConversationPriority.EARLIEST_CREATED),
    ]
    inboxes: list[Inbox] = []
    for name, enabled, order, priority in specs:
        inbox = await catalog.add_inbox(Inbox(0, account.id, name, enabled), now)
        inboxes.append(inbox)
        members = ids if name != "Billing" else ids[4:10]
        await catalog.add_inbox_members(account.id, inbox.id, members)
        policy = await catalog.add_policy(
            AssignmentPolicy(
                0,
                account.id,
                f"{name} policy",
                assignment_order=order,
                conversation_priority=priority,
                fair_distribution_limit=12,
                fair_distribution_window=3600,
            ),
            now,
        )
        await catalog.link_policy(account.id, inbox.id, policy.id)
    website, email, billing, _social = inboxes
    capacity = await catalog.add_capacity_policy(
        CapacityPolicy(
            0,
            account.id,
            "Standard load",
            exclusion_rules=ExclusionRules(frozenset({"spam"})),
            inbox_limits={website.id: 6, email.id: 5, billing.id: 4},
        ),
        now,
    )
    for agent_id in ids[:10]:
        await catalog.set_agent_capacity_policy(account.id, agent_id, capacity.id)
    teams = [
        await catalog.add_team(
            Team(0, account.id, "Billing specialists", True, frozenset(ids[6:9])), now
        ),
        await catalog.add_team(Team(0, account.id, "Escalations", False, frozenset(ids[:2])), now),
    ]
    drafts: list[Conversation] = []
    for _ in range(conversations):
        inbox = rng.choices(inboxes, weights=[5, 4, 2, 1])[0]
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 3))
        stale = rng.random() < 0.05
        activity = now - timedelta(days=9) if stale else created + (now - created) * rng.random()
        team_id = None
        if inbox is billing:
            team_id = teams[0].id
        elif rng.random() < 0.05:
            team_id = teams[1].id
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
    await catalog.add_conversations(account.id, drafts, now)
    return DemoData(account, agents, inboxes, teams, conversations)


async def run(engine: Engine, data: DemoData) -> DemoRun:
    """Drain every inbox: batches until a batch assigns nothing."""
    demo = DemoRun()
    started = time.perf_counter()
    for inbox in data.inboxes:
        while True:
            result = await engine.assign_inbox(inbox.id)
            demo.results.append(result)
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
        account_id = await engine.accounts.first_account_id()
        if account_id is None:
            data = await seed(engine, conversations=SERVED_DEMO_CONVERSATIONS)
            await run(engine, data)
            account_id = data.account.id
        token = await engine.accounts.issue_token(account_id, "demo", engine.clock.now())
    finally:
        await engine.aclose()
    return account_id, token
