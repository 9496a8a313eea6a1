"""The reassignment rules (core/reassignment.py) on a fake clock: each rule, its grace,
its exceptions, and the wake-up it asks for."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from autoassign.core import reassignment
from autoassign.core.model import Inbox, Presence
from autoassign.core.planner import InboxSnapshot, inbox_gate, plan_batch
from autoassign.core.policies import AssignmentPolicy, ExclusionRules
from autoassign.core.reasons import AgentReason, ReassignReason, SkipReason
from autoassign.core.reassignment import Held, Timer
from tests.factories import T0, make_agent_state, make_policy

ASSIGNED = T0 - timedelta(minutes=10)


def held(**over: object) -> Held:
    values: dict[str, object] = {
        "conversation_id": 7,
        "account_id": 1,
        "inbox_id": 1,
        "agent_id": 3,
        "team_id": None,
        "created_at": ASSIGNED,
        "last_activity_at": ASSIGNED,
        "assigned_at": ASSIGNED,
    }
    values.update(over)
    return Held(**values)  # type: ignore[arg-type]


def fired(item: Held, policy: AssignmentPolicy, now: datetime) -> Timer:
    found = reassignment.timer(item, policy, now)
    assert found is not None
    return found


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


ABSENT = make_policy(reassign_after_absent_seconds=60)
UNANSWERED = make_policy(reassign_unanswered_after_seconds=120, max_reassignments=2)
REOPEN = make_policy(reassign_on_reopen=True)


def test_no_rule_on_means_no_timer():
    gone = held(presence=Presence.OFFLINE, away_since=T0, waiting_since=T0)
    assert reassignment.timer(gone, make_policy(), at(10_000)) is None
    assert reassignment.due([gone], make_policy(), at(10_000)) == reassignment.Due()


def test_an_offline_assignee_loses_the_conversation_after_the_grace_period():
    gone = held(presence=Presence.OFFLINE, away_since=T0)
    fires = Timer(7, ReassignReason.ASSIGNEE_OFFLINE, at(60))
    assert reassignment.timer(gone, ABSENT, at(59)) == fires
    early = reassignment.due([gone], ABSENT, at(59))
    assert early.releases == ()
    assert early.wake_at == at(60)
    due = reassignment.due([gone], ABSENT, at(60))
    assert [(r.held.conversation_id, r.reason) for r in due.releases] == [
        (7, ReassignReason.ASSIGNEE_OFFLINE)
    ]
    assert due.wake_at is None


def test_busy_counts_as_gone_and_online_again_stops_the_timer():
    busy = held(presence=Presence.BUSY, away_since=T0)
    assert reassignment.timer(busy, ABSENT, at(1)) == Timer(
        7, ReassignReason.ASSIGNEE_OFFLINE, at(60)
    )
    back = replace(busy, presence=Presence.ONLINE, away_since=None)
    assert reassignment.timer(back, ABSENT, at(1_000)) is None


def test_the_grace_counts_from_the_assignment_when_the_agent_was_away_before():
    """Assigned by hand to someone already offline: the grace starts at the assignment."""
    gone = held(presence=Presence.OFFLINE, away_since=ASSIGNED - timedelta(days=1))
    assert fired(gone, ABSENT, T0).fires_at == ASSIGNED + timedelta(seconds=60)


def test_a_grace_period_of_zero_reassigns_at_once():
    gone = held(presence=Presence.OFFLINE, away_since=T0)
    policy = make_policy(reassign_after_absent_seconds=0)
    assert [r.reason for r in reassignment.due([gone], policy, T0).releases] == [
        ReassignReason.ASSIGNEE_OFFLINE
    ]


def test_only_unreplied_spares_the_conversations_the_agent_answered():
    policy = make_policy(reassign_after_absent_seconds=60, reassign_only_unreplied=True)
    gone = held(presence=Presence.OFFLINE, away_since=T0)
    answered = replace(gone, agent_replied_at=ASSIGNED + timedelta(minutes=1))
    answered_before = replace(gone, agent_replied_at=ASSIGNED - timedelta(minutes=1))
    assert reassignment.timer(answered, policy, at(100)) is None
    assert reassignment.timer(answered_before, policy, at(100)) is not None  # not since assigned
    assert reassignment.timer(gone, policy, at(100)) is not None


def test_a_lapsed_heartbeat_counts_from_when_presence_ended():
    lapsed = held(auto_offline=True, heartbeat_ends=at(30))
    assert reassignment.timer(lapsed, ABSENT, at(31)) == Timer(
        7, ReassignReason.ASSIGNEE_OFFLINE, at(90)
    )
    present = held(auto_offline=True, heartbeat_ends=at(30))
    found = reassignment.due([present], ABSENT, at(10))
    assert found.releases == ()
    assert found.wake_at == at(90)  # no event says a heartbeat lapsed: look again then
    unknown = held(auto_offline=True, heartbeat_ends=None)  # the store lost it: never gone
    assert reassignment.timer(unknown, ABSENT, at(10_000)) is None


def test_taken_out_of_the_inbox_or_team_is_removed_and_back_stops_it():
    removed = held(member=False, left_at=T0)
    assert reassignment.timer(removed, ABSENT, at(1)) == Timer(
        7, ReassignReason.ASSIGNEE_REMOVED, at(60)
    )
    back = replace(removed, member=True)
    assert reassignment.timer(back, ABSENT, at(1_000)) is None
    # never a member (assigned by hand to an outsider): no removal to count from
    assert reassignment.timer(held(member=False), ABSENT, at(1_000)) is None


def test_unanswered_fires_after_the_wait_and_respects_the_cap():
    waiting = held(waiting_since=T0)
    assert reassignment.timer(waiting, UNANSWERED, at(1)) == Timer(
        7, ReassignReason.UNANSWERED, at(120)
    )
    # a customer who waited before the assignment: the new assignee gets the full time
    early = held(waiting_since=ASSIGNED - timedelta(hours=1))
    assert fired(early, UNANSWERED, T0).fires_at == ASSIGNED + timedelta(seconds=120)
    answered = replace(waiting, waiting_since=None)
    assert reassignment.timer(answered, UNANSWERED, at(1_000)) is None
    capped = replace(waiting, reassignments=2)
    assert reassignment.timer(capped, UNANSWERED, at(1_000)) is None


def test_reopened_while_gone_is_reassigned_once_past_the_grace():
    policy = make_policy(reassign_on_reopen=True, reassign_after_absent_seconds=60)
    gone_long = held(presence=Presence.OFFLINE, away_since=T0, reopened_at=at(100))
    assert reassignment.timer(gone_long, policy, at(100)) == Timer(
        7, ReassignReason.REOPENED, at(60)
    )
    # the reopen rule alone has no grace: the assignee gone at reopening is enough
    assert fired(gone_long, REOPEN, at(100)).reason is ReassignReason.REOPENED
    # reopened while the assignee could take it, who left later: not a reopen case
    left_after = held(presence=Presence.OFFLINE, away_since=at(200), reopened_at=at(100))
    assert reassignment.timer(left_after, REOPEN, at(300)) is None
    # reopened while the assignee is online: stays with them
    online = held(reopened_at=at(100))
    assert reassignment.timer(online, REOPEN, at(300)) is None


def test_the_first_rule_to_fire_wins():
    policy = make_policy(reassign_after_absent_seconds=600, reassign_unanswered_after_seconds=60)
    both = held(presence=Presence.OFFLINE, away_since=T0, waiting_since=T0)
    assert fired(both, policy, at(1)).reason is ReassignReason.UNANSWERED


def test_due_orders_releases_and_takes_the_earliest_wake():
    policy = make_policy(reassign_after_absent_seconds=60)
    items = [
        held(conversation_id=9, presence=Presence.OFFLINE, away_since=T0),
        held(conversation_id=8, presence=Presence.OFFLINE, away_since=at(-100)),
        held(conversation_id=5, presence=Presence.OFFLINE, away_since=at(30)),
    ]
    found = reassignment.due(items, policy, at(60))
    assert [r.held.conversation_id for r in found.releases] == [8, 9]
    assert found.wake_at == at(90)


@given(
    grace=st.integers(min_value=0, max_value=3_600),
    away=st.integers(min_value=-7_200, max_value=7_200),
    now=st.integers(min_value=-7_200, max_value=14_400),
    presence=st.sampled_from(list(Presence)),
)
def test_never_released_before_the_grace_nor_while_the_agent_can_take_it(
    grace: int, away: int, now: int, presence: Presence
):
    policy = make_policy(reassign_after_absent_seconds=grace)
    item = held(presence=presence, away_since=None if presence is Presence.ONLINE else at(away))
    found = reassignment.due([item], policy, at(now))
    if found.releases:
        assert presence is not Presence.ONLINE
        since = max(at(away), item.assigned_at)
        assert at(now) >= since + timedelta(seconds=grace)
    elif presence is not Presence.ONLINE:
        assert found.wake_at is not None
        assert found.wake_at > at(now)


def test_an_unanswered_conversation_never_goes_straight_back():
    """The planner gives a released conversation to anyone but the agent it lapsed with,
    and says why that agent was passed over when nobody else can take it."""
    release = reassignment.Release(held(agent_id=1, waiting_since=T0), ReassignReason.UNANSWERED)
    runnable = inbox_gate(Inbox(1, 1, "Support"), make_policy(), ExclusionRules())
    assert not isinstance(runnable, SkipReason)
    alone = InboxSnapshot(runnable, [release.candidate()], [make_agent_state(1)])
    plan = plan_batch(alone, T0)
    assert plan.assignments == ()
    assert plan.skips[0].agents == {1: AgentReason.PREVIOUS_ASSIGNEE}
    two = replace(alone, agents=[make_agent_state(1), make_agent_state(2)])
    [planned] = plan_batch(two, T0).assignments
    assert planned.agent_id == 2
    assert planned.previous_agent_id == 1
    assert planned.reassign_reason is ReassignReason.UNANSWERED
