"""Working hours and time off (issue 13.1), judged in the agent's wall-clock time:
overnight shifts, both daylight-saving changes of a year, leave, and when an off-duty
agent is back (the inbox's wake-up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoassign.core import errors
from autoassign.core.model import Inbox
from autoassign.core.planner import InboxSnapshot, RunnableInbox, inbox_gate, plan_batch
from autoassign.core.policies import ExclusionRules
from autoassign.core.reasons import AgentReason
from autoassign.core.schedules import Duty, Leave, back_on_duty, off_duty, shifts_from
from tests.factories import make_agent_state, make_conversation, make_policy

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
WEEKDAYS_9_TO_5 = shifts_from(
    [(d, "09:00", "17:00") for d in ("monday", "tuesday", "wednesday", "thursday", "friday")]
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_weekday_office_hours_in_berlin_winter_and_summer():
    duty = Duty(BERLIN, WEEKDAYS_9_TO_5)
    # Wednesday 25 Nov 2026, CET (UTC+1): 09:00 Berlin is 08:00 UTC
    assert off_duty(duty, utc("2026-11-25T07:59")) is AgentReason.OUTSIDE_WORKING_HOURS
    assert off_duty(duty, utc("2026-11-25T08:00")) is None
    assert off_duty(duty, utc("2026-11-25T15:59")) is None
    assert off_duty(duty, utc("2026-11-25T16:00")) is AgentReason.OUTSIDE_WORKING_HOURS
    # Wednesday 17 Jun 2026, CEST (UTC+2): 09:00 Berlin is 07:00 UTC
    assert off_duty(duty, utc("2026-06-17T07:00")) is None
    assert off_duty(duty, utc("2026-06-17T06:59")) is AgentReason.OUTSIDE_WORKING_HOURS
    # Saturday
    assert off_duty(duty, utc("2026-11-28T10:00")) is AgentReason.OUTSIDE_WORKING_HOURS


def test_the_spring_change_moves_the_shift_with_the_clocks():
    """Berlin, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST. A Monday 09:00 shift
    starts at 07:00 UTC from then on; the wake-up computed on Saturday says so."""
    duty = Duty(BERLIN, WEEKDAYS_9_TO_5)
    saturday = utc("2026-03-28T12:00")
    assert back_on_duty(duty, saturday) == utc("2026-03-30T07:00")
    night = Duty(BERLIN, shifts_from([("sunday", "01:00", "04:00")]))
    assert off_duty(night, utc("2026-03-29T00:30")) is None  # 01:30 CET
    assert off_duty(night, utc("2026-03-29T01:30")) is None  # 03:30 CEST
    assert off_duty(night, utc("2026-03-29T02:00")) is AgentReason.OUTSIDE_WORKING_HOURS
    # a shift starting inside the skipped hour begins once the clocks have moved on
    gap = Duty(BERLIN, shifts_from([("sunday", "02:30", "05:00")]))
    start = back_on_duty(gap, utc("2026-03-28T12:00"))
    assert start is not None
    assert off_duty(gap, start) is None


def test_the_autumn_change_keeps_the_wall_clock():
    """New York, Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST. An overnight
    shift 22:00-06:00 from Saturday ends at 06:00 EST, i.e. 11:00 UTC."""
    duty = Duty(NEW_YORK, shifts_from([("saturday", "22:00", "06:00")]))
    assert off_duty(duty, utc("2026-11-01T02:00")) is None  # Sat 22:00 EDT
    assert off_duty(duty, utc("2026-11-01T10:59")) is None  # Sun 05:59 EST
    assert off_duty(duty, utc("2026-11-01T11:00")) is AgentReason.OUTSIDE_WORKING_HOURS
    assert back_on_duty(duty, utc("2026-11-01T12:00")) == utc("2026-11-08T03:00")  # Sat 22:00 EST


def test_time_off_wins_over_a_shift_and_its_end_is_the_wake_up():
    leave = Leave(utc("2026-11-25T00:00"), utc("2026-11-26T00:00"), "holiday")
    duty = Duty(BERLIN, WEEKDAYS_9_TO_5, (leave,))
    assert off_duty(duty, utc("2026-11-25T10:00")) is AgentReason.ON_LEAVE
    # back: not at the end of the leave (00:00 is outside the shift), at Thursday 09:00
    assert back_on_duty(duty, utc("2026-11-25T10:00")) == utc("2026-11-26T08:00")
    always = Duty("UTC", (), (leave,))
    assert back_on_duty(always, utc("2026-11-25T10:00")) == utc("2026-11-26T00:00")
    assert back_on_duty(always, utc("2026-11-27T10:00")) is None  # on duty: nothing to wait for


def test_bad_input_is_a_precise_error():
    with pytest.raises(errors.InvalidValue, match="time_zone"):
        Duty("Mars/Olympus")
    with pytest.raises(errors.InvalidValue, match="day"):
        shifts_from([("someday", "09:00", "17:00")])
    with pytest.raises(errors.InvalidValue, match="start"):
        shifts_from([("monday", "9am", "17:00")])
    with pytest.raises(errors.InvalidValue, match="end"):
        shifts_from([("monday", "09:00", "09:00")])
    with pytest.raises(errors.InvalidValue, match="ends_at"):
        Leave(utc("2026-11-25T10:00"), utc("2026-11-25T10:00"))


ZONES = st.sampled_from(["UTC", BERLIN, NEW_YORK, "Asia/Kolkata", "Australia/Sydney"])
TIMES = st.integers(0, 47).map(lambda half: f"{half // 2:02d}:{30 * (half % 2):02d}")


@st.composite
def duties(draw: st.DrawFn) -> Duty:
    shifts = []
    for _ in range(draw(st.integers(0, 3))):
        day = draw(st.sampled_from(["monday", "wednesday", "friday", "sunday"]))
        start, end = draw(TIMES), draw(TIMES)
        if start != end:
            shifts.append((day, start, end))
    return Duty(draw(ZONES), shifts_from(shifts))


@settings(max_examples=200, deadline=None)
@given(
    duty=duties(),
    minutes=st.integers(0, 60 * 24 * 400),
    other=duties(),
)
def test_nobody_is_assigned_off_duty_and_a_wake_up_finds_them_on(
    duty: Duty, minutes: int, other: Duty
):
    now = utc("2026-01-01T00:00") + timedelta(minutes=minutes)
    gate = inbox_gate(Inbox(1, 1, "x"), make_policy(), ExclusionRules())
    assert isinstance(gate, RunnableInbox)
    agents = [make_agent_state(1, duty=duty), make_agent_state(2, duty=other)]
    snap = InboxSnapshot(gate, [make_conversation(c) for c in range(1, 4)], agents)
    plan = plan_batch(snap, now)
    for planned in plan.assignments:
        assert off_duty(snap.agents[planned.agent_id - 1].duty, now) is None
    if not plan.assignments and plan.wake_at is not None:
        assert plan.wake_at > now
        assert any(off_duty(a.duty, plan.wake_at) is None for a in agents)
