"""Replications and their confidence intervals.

Why replications rather than one long run: independent runs (their own seeds) give
independent estimates, so a t-interval over them is an honest confidence interval even
though waits within one run are strongly correlated. The validation table and the CLI's
``--replications`` both use this.
"""

from __future__ import annotations

import math
import multiprocessing
import statistics
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from autoassign.simulation.kernel import simulate
from autoassign.simulation.results import Summary, summarise
from autoassign.simulation.scenario import Scenario

#: Student's t, two-sided 95%, for 1..30 degrees of freedom
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    """The 97.5% quantile of Student's t (a Cornish-Fisher expansion past 30)."""
    if df < 1:
        return math.inf
    if df <= len(_T95):
        return _T95[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over replications with its 95% confidence half-width."""

    mean: float
    half_width: float
    n: int

    def relative_error(self, target: float) -> float:
        return abs(self.mean - target) / target if target else abs(self.mean)

    @property
    def relative_half_width(self) -> float:
        return self.half_width / abs(self.mean) if self.mean else math.inf


def estimate(values: Sequence[float]) -> Estimate:
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return Estimate(mean, math.inf, n)
    return Estimate(mean, t95(n - 1) * statistics.stdev(values) / math.sqrt(n), n)


def _one(job: tuple[Scenario, int, float | None]) -> Summary:
    scenario, replication, deadline = job
    return summarise(simulate(scenario, replication, deadline))


def replicate(
    scenario: Scenario,
    replications: int,
    *,
    workers: int = 1,
    first: int = 0,
    deadline: float | None = None,
) -> list[Summary]:
    """Runs ``first`` .. ``first + replications - 1`` of the scenario, in ``workers``
    processes when more than one (each run is single-threaded, CPU-bound Python).
    ``deadline`` (a ``time.perf_counter()`` value) is for one process only."""
    jobs = [(scenario, first + r, deadline) for r in range(replications)]
    if workers <= 1 or replications == 1:
        return [_one(job) for job in jobs]
    spawn = multiprocessing.get_context("spawn")  # no forked event loops or locks
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        return list(pool.map(_one, jobs))


def controlled(
    values: Sequence[float], controls: Sequence[Sequence[float]], expected: Sequence[float]
) -> Estimate:
    """A control-variate estimate (Lavenberg and Welch): ``values`` adjusted by the
    regression on ``controls`` (one row per replication), whose true means are
    ``expected``. The controls here are a run's own inputs (arrivals counted, mean
    handling and patience drawn), so the adjustment removes the luck of the draw, not
    anything the engine did. The half-width is the regression's prediction interval at
    the known means, with n - q - 1 degrees of freedom."""
    n, q = len(values), len(expected)
    if q == 0 or n < q + 3:
        return estimate(values)
    ybar = statistics.fmean(values)
    xbar = [statistics.fmean(row[j] for row in controls) for j in range(q)]
    dx = [[row[j] - xbar[j] for j in range(q)] for row in controls]
    sxx = [[sum(d[i] * d[j] for d in dx) for j in range(q)] for i in range(q)]
    sxy = [sum(d[i] * (y - ybar) for d, y in zip(dx, values, strict=True)) for i in range(q)]
    inverse = _invert(sxx)
    beta = [sum(inverse[i][j] * sxy[j] for j in range(q)) for i in range(q)]
    gap = [xbar[j] - expected[j] for j in range(q)]
    mean = ybar - sum(b * g for b, g in zip(beta, gap, strict=True))
    residual = sum(
        (y - ybar - sum(b * d_j for b, d_j in zip(beta, d, strict=True))) ** 2
        for d, y in zip(dx, values, strict=True)
    ) / (n - q - 1)
    leverage = sum(gap[i] * inverse[i][j] * gap[j] for i in range(q) for j in range(q))
    return Estimate(mean, t95(n - q - 1) * math.sqrt(residual * (1 / n + leverage)), n)


def _invert(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan with partial pivoting, for the few controls (q <= 3)."""
    q = len(matrix)
    work = [row[:] + [1.0 if i == j else 0.0 for j in range(q)] for i, row in enumerate(matrix)]
    for col in range(q):
        pivot = max(range(col, q), key=lambda r: abs(work[r][col]))
        if abs(work[pivot][col]) < 1e-300:
            raise ValueError("controls are collinear")
        work[col], work[pivot] = work[pivot], work[col]
        scale = work[col][col]
        work[col] = [v / scale for v in work[col]]
        for r in range(q):
            if r != col and work[r][col]:
                factor = work[r][col]
                work[r] = [a - factor * b for a, b in zip(work[r], work[col], strict=True)]
    return [row[q:] for row in work]
