from __future__ import annotations

from autoassign.core.policies import AssignmentOrder
from autoassign.core.selectors import BalancedSelector, RoundRobinSelector, selector_for
from tests.factories import make_agent_state


def test_round_robin_picks_the_least_recently_assigned():
    agents = [
        make_agent_state(1, rotation_seq=5),
        make_agent_state(2, rotation_seq=2),
        make_agent_state(3, rotation_seq=9),
    ]
    assert RoundRobinSelector().choose(agents).agent_id == 2


def test_round_robin_serves_never_assigned_agents_first_by_id():
    agents = [make_agent_state(7, rotation_seq=1), make_agent_state(4), make_agent_state(3)]
    assert RoundRobinSelector().choose(agents).agent_id == 3


def test_balanced_picks_the_lowest_load_and_breaks_ties_by_rotation():
    agents = [
        make_agent_state(1, open_load=2, rotation_seq=1),
        make_agent_state(2, open_load=1, rotation_seq=8),
        make_agent_state(3, open_load=1, rotation_seq=3),
    ]
    assert BalancedSelector().choose(agents).agent_id == 3


def test_selector_for_each_order():
    assert isinstance(selector_for(AssignmentOrder.BALANCED), BalancedSelector)
    assert isinstance(selector_for(AssignmentOrder.ROUND_ROBIN), RoundRobinSelector)
