"""Targets: a metric's status against its target, and the period-to-period change test.

Pure functions of figures, as DESIGN section 7 defines status and change.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal, NamedTuple

from sitegen.metrics.measures import Z95, Figure
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


class Change(NamedTuple):
    """A figure's change since the previous period, and whether chance alone is unlikely to explain it."""

    delta: float | None
    is_significant: bool | None


def _beyond_chance(delta: float, standard_error: float) -> bool:
    """Two-sided test at 95%: |delta| > 1.96 se (a zero se makes any non-zero delta significant)."""
    return abs(delta) > Z95 * standard_error and not math.isclose(delta, 0.0, abs_tol=1e-12)


def change_significance(current: Figure, previous: Figure, kind: str) -> Change:
    """The change from `previous` to `current` and whether it is larger than chance, at 95%.

    - `csat`, `share`: two-proportion z-test with the pooled share.
    - `nps`: the difference against the combined standard error
      sqrt(se1^2 + se2^2), each se = moe / 1.96.
    - `mean`, `ces`: Welch's test from each figure's `sd` extra, with the
      normal quantile (no t table: this errs towards "significant" for very
      small groups, which privacy suppression keeps off the pages anyway).
    - `count`: two Poisson counts differ when |c1 - c2| > 1.96 sqrt(c1 + c2).
    - `duration`, `repeat_rate`: no test; `is_significant` is None.

    Without both values the delta is None; without what a test needs
    (n below 2 for a mean) `is_significant` is None.
    """
    if current.value is None or previous.value is None:
        return Change(None, None)
    delta = current.value - previous.value
    if kind in ("csat", "share"):
        n1, n2 = current.n, previous.n
        pooled = (current.value / 100 * n1 + previous.value / 100 * n2) / (n1 + n2)
        se = math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / n1 + 1 / n2)) * 100
        return Change(delta, _beyond_chance(delta, se))
    if kind == "nps":
        if current.moe is None or previous.moe is None:
            return Change(delta, None)
        return Change(delta, _beyond_chance(delta, math.hypot(current.moe / Z95, previous.moe / Z95)))
    if kind in ("mean", "ces"):
        sd1, sd2 = current.extra.get("sd"), previous.extra.get("sd")
        if sd1 is None or sd2 is None or current.n < 2 or previous.n < 2:
            return Change(delta, None)
        return Change(delta, _beyond_chance(delta, math.sqrt(sd1**2 / current.n + sd2**2 / previous.n)))
    if kind == "count":
        return Change(delta, _beyond_chance(delta, math.sqrt(current.value + previous.value)))
    return Change(delta, None)
