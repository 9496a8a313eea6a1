"""Per fault: how many times it was injected and the worst time-to-recover measured.

Time-to-recover (TTR) of one injection: from the moment the fault healed (the server or
process back, the flush done, the wedge placed) until nothing assignable that existed at
that moment is left unassigned, polled every 0.25 s in SQL. ``make faults`` writes the
table into docs/faults.md; every run prints it.
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

    @property
    def runs(self) -> int:
        return len(self.times) + self.failures

    @property
    def worst(self) -> float | None:
        return max(self.times) if self.times else None


@dataclass
class FaultLog:
    records: dict[str, FaultRecord] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)

    def record(self, fault: str, seconds: float | None, bound: float) -> None:
        entry = self.records.setdefault(fault, FaultRecord(fault, bound))
        if seconds is None:
            entry.failures += 1
        else:
            entry.times.append(seconds)

    def table(self, profile: str) -> str:
        lines = [
            f"| fault ({profile} profile) | runs | worst time-to-recover | bound | not recovered |",
            "|---|---:|---:|---:|---:|",
        ]
        for entry in self.records.values():
            worst = f"{entry.worst:.1f} s" if entry.worst is not None else "-"
            lines.append(
                f"| {entry.fault} | {entry.runs} | {worst} | {entry.recover_bound:.0f} s"
                f" | {entry.failures} |"
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
