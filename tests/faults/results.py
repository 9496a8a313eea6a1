"""Per fault: how many times it was injected, the worst time-to-recover measured, and
what became of the webhooks of the assignments made around it.

Time-to-recover (TTR) of one injection: from the moment the fault healed (the server or
process back, the flush done, the wedge placed) until nothing assignable that existed at
that moment is left unassigned, polled every 0.25 s in SQL. Webhooks: each assignment is
counted under the first injection that healed after it was made (the last one for those
made later), and checked once the scenario has nothing assignable left
(``harness.settle``): lost (never accepted by the receiver within the bound), accepted
more than once, and the worst delay from the assignment to its first accepted delivery.
``make faults`` writes the table into docs/faults.md; every run prints it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "faults.md"
BEGIN, END = "<!-- faults:results -->", "<!-- /faults:results -->"


@dataclass
class FaultRecord:
    fault: str
    recover_bound: float
    times: list[float] = field(default_factory=list)
    failures: int = 0
    #: None until a scenario's webhooks were checked
    webhooks_lost: int | None = None
    webhook_duplicates: int = 0
    webhook_delay: float | None = None

    @property
    def runs(self) -> int:
        return len(self.times) + self.failures

    @property
    def worst(self) -> float | None:
        return max(self.times) if self.times else None


@dataclass
class WebhookTotals:
    """Every scenario's webhook check together."""

    scenarios: int = 0
    assignments: int = 0
    accepted: int = 0
    duplicates: int = 0
    lost: int = 0
    #: first attempts the receiver answered 503 on purpose (each retried)
    refused: int = 0
    #: the longest wait, once a scenario had nothing assignable left, until every
    #: assignment was accepted and its outbox row delivered
    settle_wait: float = 0.0


@dataclass
class FaultLog:
    records: dict[str, FaultRecord] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    webhooks: WebhookTotals = field(default_factory=WebhookTotals)

    def record(self, fault: str, seconds: float | None, bound: float) -> None:
        entry = self.records.setdefault(fault, FaultRecord(fault, bound))
        if seconds is None:
            entry.failures += 1
        else:
            entry.times.append(seconds)

    def record_webhooks(
        self, fault: str, lost: int, duplicates: int, worst_delay: float | None
    ) -> None:
        """The webhook check of the assignments counted under ``fault``."""
        entry = self.records.get(fault)
        if entry is None:
            return
        entry.webhooks_lost = (entry.webhooks_lost or 0) + lost
        entry.webhook_duplicates += duplicates
        if worst_delay is not None:
            entry.webhook_delay = max(entry.webhook_delay or 0.0, worst_delay)

    def table(self, profile: str) -> str:
        lines = [
            f"| fault ({profile} profile) | runs | worst time-to-recover | bound | not recovered"
            " | webhooks lost | webhook duplicates | worst webhook delay |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for entry in self.records.values():
            worst = f"{entry.worst:.1f} s" if entry.worst is not None else "-"
            checked = entry.webhooks_lost is not None
            delay = entry.webhook_delay
            lines.append(
                f"| {entry.fault} | {entry.runs} | {worst} | {entry.recover_bound:.0f} s"
                f" | {entry.failures} | {entry.webhooks_lost if checked else '-'}"
                f" | {entry.webhook_duplicates if checked else '-'}"
                f" | {f'{delay:.1f} s' if delay is not None else '-'} |"
            )
        hooks = self.webhooks
        if hooks.scenarios:
            lines.append("")
            lines.append(
                f"Webhooks ({hooks.scenarios} scenarios): {hooks.assignments} assignments,"
                f" {hooks.lost} never accepted by the receiver; {hooks.accepted} deliveries"
                f" accepted ({hooks.duplicates} duplicates); {hooks.refused} first attempts"
                " answered 503 on purpose and retried; the longest wait, once a scenario"
                f" had nothing assignable left, until its outbox was all delivered:"
                f" {hooks.settle_wait:.1f} s."
            )
        if self.durations:
            total = sum(self.durations.values())
            lines.append("")
            lines.append(
                "Scenario wall times: "
                + ", ".join(f"{name} {secs:.0f} s" for name, secs in self.durations.items())
                + f"; {total:.0f} s in all."
            )
        return "\n".join(lines)

    def write_doc(self, profile: str, when: str, seed: int) -> None:
        if not DOC.exists() or not self.records:
            return
        text = DOC.read_text()
        heading = f"Measured {when} (`AUTOASSIGN_TEST_FAULTS_SEED={seed}` replays its choices):"
        block = f"{BEGIN}\n{heading}\n\n{self.table(profile)}\n{END}"
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
        if pattern.search(text):
            DOC.write_text(pattern.sub(lambda _: block, text))


LOG = FaultLog()
