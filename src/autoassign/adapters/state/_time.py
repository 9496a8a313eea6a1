"""Timestamps as integer milliseconds, the unit both state stores keep."""

from __future__ import annotations

from datetime import datetime


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
