"""The change flags scorecards showed before issue 12: each period tested against the one before, at 95%.

Kept here, outside sitegen, as the baseline `bench.py` measures the control
charts against (it flagged about two thirds of stable series).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from sitegen.metrics import Z95, Figure


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
