"""Targets: a metric's status against its target.

Pure functions of figures, as DESIGN section 7 defines status.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from sitegen.metrics.measures import Figure
from sitegen.metrics.periods import period_end

Status = Literal["met", "on_track", "off_track", "insufficient_data"]


def _reaches(value: float, mark: float, direction: str) -> bool:
    """Whether value is at or beyond mark in the direction (with float rounding forgiven)."""
    if math.isclose(value, mark, rel_tol=1e-9, abs_tol=1e-9):
        return True
    return value > mark if direction == "up" else value < mark


def target_status(
    latest: Figure | None,
    latest_period: str | None,
    first_period: str | None,
    target: float,
    by: dt.date | None = None,
    baseline: float | None = None,
    direction: str = "up",
) -> Status:
    """A target's status from the latest period's figure, per DESIGN section 7.

    `met`: the latest value is at or beyond the target in its direction.
    `on_track`: not met, but at or beyond the straight line from the
    baseline to the target. The line runs from the last day of the first
    period with data (the baseline stands for where the program began) to
    the `by` date, and is read at the last day of the latest period
    (clipped to `by`; past `by` the line is the target itself), so both
    ends of the comparison are whole periods. Without `by` or `baseline`
    there is no line, and a target not met is `off_track`.
    `insufficient_data`: the latest period is empty or suppressed (no value).
    """
    if latest is None or latest.value is None or latest_period is None:
        return "insufficient_data"
    if _reaches(latest.value, target, direction):
        return "met"
    if by is None or baseline is None or first_period is None:
        return "off_track"
    begin = period_end(first_period)
    read_at = min(period_end(latest_period), by)
    span = (by - begin).days
    progress = 1.0 if span <= 0 else (read_at - begin).days / span
    expected = baseline + (target - baseline) * progress
    return "on_track" if _reaches(latest.value, expected, direction) else "off_track"
