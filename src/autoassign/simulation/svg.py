"""Two small chart kinds as SVG text: lines over time and grouped bars.

Why hand-written SVG rather than matplotlib: the report needs three plain charts, and
matplotlib (with numpy) would be a ~60 MB optional install for them. SVG text is
deterministic (same run, same bytes: reports diff cleanly), embeds inline in the HTML
report with no assets, and opens in any browser on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

#: colours of the first and second scenario (and more, if ever)
PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea")
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 34, 44


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(high / step - 1e-9) + 1)]


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e5 else f"{value:.3g}"


def _frame(
    width: int, height: int, title: str, y_ticks: Sequence[float], y_label: str
) -> list[str]:
    plot_h = height - _TOP - _BOTTOM
    top = y_ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<text x="12" y="{_TOP + plot_h / 2}" transform="rotate(-90 12 {_TOP + plot_h / 2})" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]
    for tick in y_ticks:
        y = _TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
        )
    return parts


def _legend(names: Sequence[str], width: int) -> str:
    items = []
    x = _LEFT
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        items.append(
            f'<rect x="{x}" y="22" width="10" height="3" fill="{colour}"/>'
            f'<text x="{x + 14}" y="27">{escape(name)}</text>'
        )
        x += 20 + 7 * len(name)
    return "".join(items) if x < width else ""


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 260,
) -> str:
    """One polyline per (name, [(x, y)]) on shared axes from zero."""
    xs = [x for _, points in series for x, _ in points] or [1.0]
    ys = [y for _, points in series for _, y in points] or [1.0]
    x_ticks, y_ticks = nice_ticks(max(xs)), nice_ticks(max(ys))
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    parts = _frame(width, height, title, y_ticks, y_label)

    def sx(x: float) -> float:
        return _LEFT + plot_w * x / x_ticks[-1]

    def sy(y: float) -> float:
        return _TOP + plot_h - plot_h * y / y_ticks[-1]

    for tick in x_ticks:
        parts.append(
            f'<text x="{sx(tick):.1f}" y="{height - _BOTTOM + 14}" '
            f'text-anchor="middle">{_fmt(tick)}</text>'
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2}" y="{height - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    for i, (_, points) in enumerate(series):
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
        parts.append(
            f'<polyline fill="none" stroke="{PALETTE[i % len(PALETTE)]}" '
            f'stroke-width="1.5" points="{path}"/>'
        )
    parts.append(_legend([name for name, _ in series], width))
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    y_label: str,
    width: int = 640,
    height: int = 260,
) -> str:
    """Grouped bars: one group per category, one bar per (name, values) in each."""
    values = [v for _, vs in series for v in vs] or [1.0]
    y_ticks = nice_ticks(max(values))
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    parts = _frame(width, height, title, y_ticks, y_label)
    group = plot_w / max(len(categories), 1)
    bar = group * 0.8 / max(len(series), 1)
    for c, category in enumerate(categories):
        x0 = _LEFT + c * group + group * 0.1
        label_x = _LEFT + (c + 0.5) * group
        parts.append(
            f'<text x="{label_x:.1f}" y="{height - _BOTTOM + 14}" text-anchor="middle">'
            f"{escape(category)}</text>"
        )
        for s, (_, vs) in enumerate(series):
            value = vs[c] if c < len(vs) else 0.0
            h = plot_h * value / y_ticks[-1]
            parts.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{_TOP + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(category)}: {_fmt(value)}</title></rect>"
            )
    parts.append(_legend([name for name, _ in series], width))
    parts.append("</svg>")
    return "\n".join(parts)
