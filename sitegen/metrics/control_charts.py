"""Control charts: a metric's periods judged against limits from a stable baseline, by the standard signal rules.

Testing each period against the one before at 95% cries wolf on a stable
series and misses a slow real change. The process-behaviour chart of
Shewhart's and Deming's school (Wheeler, "Understanding Variation", 1993;
Montgomery, "Introduction to Statistical Quality Control") instead fixes
3-sigma limits from a baseline of ordinary periods and flags a period only
when a signal rule of the Western Electric Statistical Quality Control
Handbook (1956) fires. Pure functions of figures per period; the formulas
and the benchmark behind the defaults are in docs/statistics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from sitegen.metrics.periods import period_start

Direction = Literal["up", "down"]
Floats = NDArray[np.float64]

BASELINE_PERIODS = 12
"""A segment's default baseline: its first 12 periods with data."""
MIN_BASELINE_PERIODS = 8
"""Fewer periods than this in a baseline give no limits: they would be too uncertain to judge by."""
XMR_SCALE = 2.66
"""Wheeler's constant: 3 / d2 with d2 = 1.128 for moving ranges of two, so centre +- 2.66 mR-bar is 3 sigma."""


@dataclass(frozen=True)
class Observation:
    """One period's figure as the chart needs it.

    `value` is the figure (None when empty or suppressed): a percent for the
    p chart, a count for the c and u charts. `n` is the answers behind the
    figure (p and x-bar charts) or the exposure a count is divided by (u
    chart). `variance` is the variance of one answer within the period
    (divisor n, in the figure's units squared), which the x-bar chart pools.
    """

    period: str
    value: float | None
    n: float = 0.0
    variance: float | None = None


@dataclass(frozen=True)
class Control:
    """A metric's `control:` settings: an optional declared baseline and the periods where the process changed.

    `baseline_from` and `baseline_to` (YAML `from`, `to`) pick the baseline of
    the segment that holds `baseline_from`; without `to` it runs for up to
    12 periods with data. Each period in `breaks` starts a new segment with
    its own baseline: its first up-to-12 periods with data.
    """

    baseline_from: str | None = None
    baseline_to: str | None = None
    breaks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    """The centre line and 3-sigma limits a period is judged against."""

    centre: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Signal:
    """A period that the rule `rule` shows to be unlike the baseline, and which way it moved."""

    direction: Direction
    rule: str


@dataclass(frozen=True)
class ChartPoint:
    """One period on the chart: its plotted value, its limits (None without a baseline) and any signal."""

    period: str
    value: float | None
    limits: Limits | None
    signal: Signal | None
    in_baseline: bool = False
    """Whether the period is one of those its limits were computed from."""


# Chart kinds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """One kind of control chart: what it plots, and its centre and sigma per period from the baseline.

    `spread(plotted, n, base, variance)` returns the centre and each period's sigma;
    limits are centre +- 3 sigma, clipped to `floor` and `ceiling`.
    """

    name: str
    plotted: Callable[[Floats, Floats], Floats]
    spread: Callable[[Floats, Floats, NDArray[np.bool_], Floats], tuple[float, Floats]]
    floor: float = -np.inf
    ceiling: float = np.inf


def _as_is(values: Floats, _n: Floats) -> Floats:
    return values


def _per_exposure(values: Floats, n: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, values / n, np.nan)


def _xmr_spread(plotted: Floats, n: Floats, base: NDArray[np.bool_], _variance: Floats) -> tuple[float, Floats]:
    """Individuals chart: mean of the baseline, sigma from its mean moving range (successive periods with data)."""
    baseline = plotted[base]
    mean_moving_range = float(np.mean(np.abs(np.diff(baseline))))
    return float(np.mean(baseline)), np.full(len(plotted), XMR_SCALE * mean_moving_range / 3)


def _p_spread(plotted: Floats, n: Floats, base: NDArray[np.bool_], _variance: Floats) -> tuple[float, Floats]:
    """p chart (in percent): p-bar = sum of hits / sum of n over the baseline, sigma from each period's own n."""
    centre = float(np.sum(plotted[base] * n[base]) / np.sum(n[base]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return centre, np.where(n > 0, np.sqrt(centre * (100 - centre) / n), np.nan)


def _c_spread(plotted: Floats, n: Floats, base: NDArray[np.bool_], _variance: Floats) -> tuple[float, Floats]:
    """c chart: counts are Poisson, so sigma is the square root of the baseline's mean count."""
    centre = float(np.mean(plotted[base]))
    return centre, np.full(len(plotted), np.sqrt(centre))


def _u_spread(plotted: Floats, n: Floats, base: NDArray[np.bool_], _variance: Floats) -> tuple[float, Floats]:
    """u chart: u-bar = sum of counts / sum of exposure over the baseline, sigma = sqrt(u-bar / exposure)."""
    centre = float(np.sum(plotted[base] * n[base]) / np.sum(n[base]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return centre, np.where(n > 0, np.sqrt(centre / n), np.nan)


def c4_constant(n: Floats) -> Floats:
    """The bias of a sample sd at n answers, E[s] = c4 sigma: sqrt(2 / (n - 1)) Gamma(n / 2) / Gamma((n - 1) / 2)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, np.sqrt(2 / (n - 1)) * np.exp(gammaln(n / 2) - gammaln((n - 1) / 2)), np.nan)


def _xbar_spread(plotted: Floats, n: Floats, base: NDArray[np.bool_], variance: Floats) -> tuple[float, Floats]:
    """x-bar chart with variable n: the n-weighted mean, sigma from the baseline's pooled within-period sd.

    Montgomery, section 6.3.2 (x-bar and s charts with variable sample size):
    x-double-bar = sum n_i x_i / sum n_i, s-bar^2 = sum (n_i - 1) s_i^2 / sum (n_i - 1),
    limits x-double-bar +- 3 s-bar / (c4(n_i) sqrt(n_i)). `variance` is each
    period's variance with divisor n, so (n_i - 1) s_i^2 = n_i variance_i.
    An NPS is the mean of scores +100, 0 and -100 (Rocks 2016), so it takes
    this chart too: its within-period sd is known from each period's answers,
    where the XmR chart must guess it from 11 moving ranges.
    """
    centre = float(np.sum(plotted[base] * n[base]) / np.sum(n[base]))
    pooled = float(np.sum(n[base] * variance[base]) / np.sum(n[base] - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return centre, np.where(n > 1, np.sqrt(pooled) / (c4_constant(n) * np.sqrt(n)), np.nan)


CHARTS: Mapping[str, Chart] = {
    chart.name: chart
    for chart in (
        Chart("xmr", _as_is, _xmr_spread),
        Chart("xbar", _as_is, _xbar_spread),
        Chart("p", _as_is, _p_spread, floor=0.0, ceiling=100.0),
        Chart("c", _as_is, _c_spread, floor=0.0),
        Chart("u", _per_exposure, _u_spread, floor=0.0),
    )
}
"""The chart kinds by name (Montgomery, chapters 6 and 7)."""


AnswerVariance = Callable[[float, int, Mapping[str, float]], float | None]
"""(value, n, extras) of a published figure -> the variance of one answer in its period, for the x-bar chart."""


def nps_variance(value: float, _n: int, extra: Mapping[str, float]) -> float | None:
    """An NPS is the mean of scores 100, 0 and -100: E[s^2] - NPS^2 = 100 (promoters % + detractors %) - NPS^2."""
    if "promoters" not in extra or "detractors" not in extra:
        return None
    return max(100 * (extra["promoters"] + extra["detractors"]) - value**2, 0.0)


def mean_variance(_value: float, n: int, extra: Mapping[str, float]) -> float | None:
    """A mean's within-period variance with divisor n, from its sample sd (divisor n - 1)."""
    return extra["sd"] ** 2 * (n - 1) / n if "sd" in extra and n > 1 else None


def observation(
    period: str, value: float | None, n: int, extra: Mapping[str, float], variance: AnswerVariance | None
) -> Observation:
    """A period's figure as its kind's chart takes it (`variance` from its metric kind's entry, for x-bar charts).

    A period without a value is a gap with no n.
    """
    if value is None:
        return Observation(period, None)
    return Observation(period, value, float(n), variance(value, n, extra) if variance else None)


# Signal rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The judged period and the ones before it in its segment, oldest first, as a rule sees them.

    `z` is the distance from the centre in sigmas, `beyond` +1 above the
    upper limit, -1 below the lower one, 0 within.
    """

    values: Floats
    z: Floats
    beyond: Floats


@dataclass(frozen=True)
class Rule:
    """One signal rule: its id, how many periods it looks at, and whether they point to one side.

    `fires(window, side)` is asked once with side +1 (up) and once with -1
    (down), so each rule is written once for both directions.
    """

    id: str
    length: int
    fires: Callable[[Window, float], bool]


RULES: tuple[Rule, ...] = (
    Rule("beyond_limits", 1, lambda w, side: bool(w.beyond[-1] == side)),
    Rule("run_of_8", 8, lambda w, side: bool(np.all(w.z * side > 0))),
    # Six points in a row, each above (below) the one before: five rises, as Nelson (1984) counts it.
    Rule("trend_of_6", 6, lambda w, side: bool(np.all(np.diff(w.values) * side > 0))),
    Rule("two_of_three", 3, lambda w, side: bool(w.z[-1] * side > 2 and np.count_nonzero(w.z * side > 2) >= 2)),
)
"""The Western Electric rules (1956), in the order a period's signal is named by: the first that fires."""

LONGEST_RULE = max(rule.length for rule in RULES)
_SIDES: tuple[tuple[float, Direction], ...] = ((1.0, "up"), (-1.0, "down"))


def judge(window: Window) -> Signal | None:
    """The first rule of `RULES` that fires on the window's last period, if any."""
    for rule in RULES:
        if len(window.z) < rule.length:
            continue
        tail = Window(window.values[-rule.length :], window.z[-rule.length :], window.beyond[-rule.length :])
        for side, direction in _SIDES:
            if rule.fires(tail, side):
                return Signal(direction, rule.id)
    return None


# Charting a series -----------------------------------------------------------------------------------------


def _segments(starts: list[dt.date], control: Control) -> NDArray[np.int64]:
    """Each period's segment: how many breaks are at or before it."""
    breaks = sorted(period_start(label) for label in control.breaks)
    return np.searchsorted(np.array(breaks, dtype="datetime64[D]"), np.array(starts, dtype="datetime64[D]"), "right")


def _baseline(
    starts: list[dt.date], has_data: NDArray[np.bool_], first: dt.date | None, last: dt.date | None
) -> NDArray[np.bool_]:
    """The periods of one segment that set its limits: those with data from `first` to `last`.

    Without `last` (or without any declaration) the baseline is the first 12 periods with data.
    """
    in_range = np.array([(first or start) <= start <= (last or start) for start in starts], dtype=bool)
    candidates: NDArray[np.bool_] = has_data & in_range
    return candidates if last is not None else candidates & (np.cumsum(candidates) <= BASELINE_PERIODS)


def _judge_segment(
    chart: Chart, plotted: Floats, n: Floats, variance: Floats, has_data: NDArray[np.bool_], base: NDArray[np.bool_]
) -> list[tuple[Limits | None, Signal | None]]:
    """Limits and signal of each period of one segment, from its baseline `base`."""
    centre, sigma = chart.spread(plotted, n, base, variance)
    lower = np.clip(centre - 3 * sigma, chart.floor, chart.ceiling)
    upper = np.clip(centre + 3 * sigma, chart.floor, chart.ceiling)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A baseline without spread (sigma 0) puts a value on the centre at z 0, any other beyond the limits.
        z = np.nan_to_num((plotted - centre) / sigma, nan=0.0)
    beyond = np.where(plotted > upper, 1.0, np.where(plotted < lower, -1.0, 0.0))
    has_limits = ~np.isnan(sigma)
    points: list[tuple[Limits | None, Signal | None]] = [
        (Limits(centre, float(low), float(high)) if defined else None, None)
        for low, high, defined in zip(lower, upper, has_limits, strict=True)
    ]
    judged = np.flatnonzero(has_data & has_limits)
    for count, position in enumerate(judged, start=1):
        recent = judged[max(count - LONGEST_RULE, 0) : count]
        points[position] = (points[position][0], judge(Window(plotted[recent], z[recent], beyond[recent])))
    return points


def control_chart(
    observations: Sequence[Observation], chart: Chart, control: Control = Control(), partial: str | None = None
) -> tuple[ChartPoint, ...]:
    """The chart of a metric's periods (in time order): limits per period and the signal, if any, of each.

    A period without a value is drawn as a gap and skipped by the rules (a
    run continues across it). `partial` names a running period: it is drawn
    against the limits but never judged, nor used in a baseline. A segment
    whose baseline has fewer than 8 periods gets no limits and no signals.
    """
    starts = [period_start(observation.period) for observation in observations]
    values = np.array([np.nan if o.value is None else o.value for o in observations], dtype=np.float64)
    n = np.array([o.n for o in observations], dtype=np.float64)
    variance = np.array([np.nan if o.variance is None else o.variance for o in observations], dtype=np.float64)
    plotted = chart.plotted(values, n)
    is_partial = np.array([o.period == partial for o in observations], dtype=bool)
    segment_of = _segments(starts, control)
    declared_segment = _segments([period_start(control.baseline_from)], control)[0] if control.baseline_from else None
    limits: list[Limits | None] = [None] * len(observations)
    signals: list[Signal | None] = [None] * len(observations)
    in_baseline = np.zeros(len(observations), dtype=bool)
    for segment in np.unique(segment_of):
        where = np.flatnonzero(segment_of == segment)
        seg_starts = [starts[i] for i in where]
        has_data = ~np.isnan(plotted[where]) & ~is_partial[where]
        declared = declared_segment == segment
        first = period_start(control.baseline_from) if declared and control.baseline_from else None
        last = period_start(control.baseline_to) if declared and control.baseline_to else None
        base = _baseline(seg_starts, has_data, first, last)
        if np.count_nonzero(base) < MIN_BASELINE_PERIODS:
            continue
        in_baseline[where] = base
        points = _judge_segment(chart, plotted[where], n[where], variance[where], has_data, base)
        for index, (point_limits, signal) in zip(where, points, strict=True):
            limits[index], signals[index] = point_limits, signal
    return tuple(
        ChartPoint(o.period, None if np.isnan(plotted[i]) else float(plotted[i]), limits[i], signals[i], in_baseline[i])
        for i, o in enumerate(observations)
    )
