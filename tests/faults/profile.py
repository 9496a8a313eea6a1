"""How big and how long each fault scenario is: ``short`` in ``make test``, ``full`` in
``make faults`` (``AUTOASSIGN_TEST_FAULTS=full``)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    #: scenario 1: racing workers, inboxes x agents, conversations seeded at once
    race_workers: int
    race_inboxes: int
    race_agents: int
    race_conversations: int
    #: every other scenario: workers, and the world they serve
    workers: int
    inboxes: int
    agents: int
    backlog: int
    #: live traffic while faults happen: conversations per second (all inboxes)
    rate: float
    #: scenario 2: workers killed with SIGKILL and restarted; rounds without a fault
    #: (the same burst and timing), the baseline the recoveries compare with
    worker_kills: int
    controls: int
    #: scenario 3: Redis killed and restarted from its snapshot; Redis flushed
    redis_restarts: int
    redis_flushes: int
    #: scenario 4: every backend terminated; the server stopped for ``pg_outage`` s
    pg_terminations: int
    pg_stops: int
    pg_outage: float
    #: scenario 5: the API killed right after answering creates
    api_kills: int
    api_creates: int
    #: scenario 6: jobs wedged (``doing`` while their worker heartbeats)
    wedges: int
    #: pytest-timeout for one scenario (a safety net: a delivery stranded by a fault waits
    #: out its 60-s lease before the webhook check passes, see harness.WEBHOOK_BOUND)
    timeout: int


SHORT = Profile(
    name="short",
    race_workers=8,
    race_inboxes=6,
    race_agents=4,
    race_conversations=300,
    workers=3,
    inboxes=4,
    agents=4,
    backlog=60,
    rate=8.0,
    worker_kills=2,
    controls=0,
    redis_restarts=1,
    redis_flushes=1,
    pg_terminations=1,
    pg_stops=1,
    pg_outage=10.0,
    api_kills=1,
    api_creates=20,
    wedges=1,
    timeout=240,
)

FULL = Profile(
    name="full",
    race_workers=8,
    race_inboxes=10,
    race_agents=8,
    race_conversations=3000,
    workers=4,
    inboxes=6,
    agents=5,
    backlog=300,
    rate=15.0,
    worker_kills=12,
    controls=4,
    redis_restarts=3,
    redis_flushes=3,
    pg_terminations=4,
    pg_stops=2,
    pg_outage=10.0,
    api_kills=4,
    api_creates=30,
    wedges=3,
    timeout=600,
)


def current() -> Profile:
    return FULL if os.environ.get("AUTOASSIGN_TEST_FAULTS", "short") == "full" else SHORT


#: the scenarios' random choices (moments, victims, inboxes); printed with the results,
#: and ``AUTOASSIGN_TEST_FAULTS_SEED`` replays a run
SEED = int(os.environ.get("AUTOASSIGN_TEST_FAULTS_SEED") or random.SystemRandom().randrange(10**6))
