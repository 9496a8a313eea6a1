"""The quick cases of the validation table (``make simulate-validate`` runs them all):
the real engine against Erlang C and Erlang A, within 5% with 95% intervals."""

from __future__ import annotations

import pytest

from autoassign.simulation.validation import QUICK, TOLERANCE, run_case, write_table


@pytest.mark.parametrize("case", QUICK, ids=lambda c: c.label)
def test_the_engine_agrees_with_queueing_theory(case):
    row = run_case(case)
    for check in row.checks:
        assert check.error <= TOLERANCE, (check.name, check.theory, check.estimate)
        assert check.estimate.half_width <= TOLERANCE * check.theory, check.name
    assert row.utilisation.mean == pytest.approx(min(case.utilisation, 1.0), abs=0.2)


def test_the_table_replaces_only_its_own_section(tmp_path):
    doc = tmp_path / "simulator.md"
    doc.write_text(
        "# Title\n\nbefore\n<!-- validation:start -->\nold\n<!-- validation:end -->\nafter\n"
    )
    write_table(doc, "| new |")
    assert doc.read_text() == (
        "# Title\n\nbefore\n<!-- validation:start -->\n| new |\n<!-- validation:end -->\nafter\n"
    )
