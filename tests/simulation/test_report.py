"""JSON, SVG and the HTML report: complete, self-contained, comparable side by side."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from autoassign.simulation import Outcome, replicate, simple_scenario
from autoassign.simulation.report import charts, html, to_json, write_plots, write_report


def outcomes() -> list[Outcome]:
    base = simple_scenario(agents=3, arrival_rate=2, handle_minutes=1, duration_minutes=120)
    fewer = simple_scenario(
        agents=2, arrival_rate=2, handle_minutes=1, duration_minutes=120, name="fewer"
    )
    return [Outcome(base, replicate(base, 3)), Outcome(fewer, replicate(fewer, 3))]


def test_json_has_the_figures_and_their_intervals():
    first, second = (to_json(o) for o in outcomes())
    for key in ("conversations", "mean_wait_seconds", "p_wait", "utilisation", "abandonment"):
        assert key in first
    assert first["replications"] == 3
    assert set(first["ci95"]) >= {"mean_wait_seconds", "p_wait", "utilisation"}
    assert sum(first["per_agent"].values()) == first["answered"]
    assert second["mean_wait_seconds"] > first["mean_wait_seconds"]  # fewer agents
    assert first["conversations"] == second["conversations"]  # the same customers
    json.dumps(first)


def test_plots_are_svg_and_the_report_needs_no_network(tmp_path):
    runs = outcomes()
    for text in charts(runs).values():
        assert ET.fromstring(text).tag.endswith("svg")
    written = write_plots(runs, tmp_path / "plots")
    assert sorted(p.name for p in written) == ["per_agent.svg", "queue_length.svg", "waits.svg"]
    page = write_report(runs, tmp_path / "report.html").read_text()
    assert page == html(runs)
    for shown in ("scenario", "fewer", "Δ fewer"):
        assert shown in page
    for asset in ("<script", "<link", "src=", "url("):
        assert asset not in page
    assert page.count("http") == page.count("http://www.w3.org/2000/svg")
