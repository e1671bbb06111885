"""Intervals: 95% confidence intervals for scorecard figures that stay honest at small n and at 0% and 100%.

The Wald margin of `metrics` (estimate +- 1.96 se) is zero at 0% and 100%
and too narrow for small groups; each interval here is one whose coverage
is documented in the literature cited beside it. Every kind has an array
form for the scorecards' grouped tables (NaN where it is undefined) and a
scalar form built on it (None where it is undefined), so the two cannot
drift apart. Units follow the scorecards: shares in percent, NPS in points,
means, medians and counts in their own units. docs/statistics.md lists
the formulas.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

LEVEL = 0.95
"""The confidence level of every interval here."""

_ALPHA = 1 - LEVEL
_Z = float(stats.norm.ppf(1 - _ALPHA / 2))

Interval = tuple[float, float]
Bounds = tuple[NDArray[np.float64], NDArray[np.float64]]

NPS_PSEUDO_COUNTS = (0.75, 1.5, 0.75)
"""Rocks' pseudo-answers added before the NPS interval: detractors, passives, promoters (3 in all)."""

MEDIAN_MIN_N = 6
"""Below 6 answers no pair of order statistics covers the median with 95% (the range covers 1 - 2^(1-n))."""


def _floats(values: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def _scalar(bounds: Bounds) -> Interval | None:
    """The one interval of a 0-d array pair, or None where the array form gives NaN."""
    low, high = float(bounds[0]), float(bounds[1])
    return None if np.isnan(low) or np.isnan(high) else (low, high)


# Shares: Wilson score ------------------------------------------------------------------------


def share_intervals(successes: ArrayLike, n: ArrayLike) -> Bounds:
    """Wilson score intervals, in percent, of successes out of n; NaN where n is 0.

    Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", JASA 22; recommended over the Wald interval for every n by
    Agresti & Coull (1998), "Approximate is better than 'exact' for interval
    estimation of binomial proportions", The American Statistician 52. It is
    the set of shares the score test does not reject, so it never leaves
    [0, 100] and is not empty at 0% or 100%.
    """
    x, size = _floats(successes), _floats(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / size
        shrink = 1 + _Z**2 / size
        centre = (p + _Z**2 / (2 * size)) / shrink
        half = _Z * np.sqrt(p * (1 - p) / size + _Z**2 / (4 * size**2)) / shrink
    empty = size <= 0
    # The exact bounds at 0% and 100% are 0 and 1; float rounding would leave them a hair inside.
    low = np.where(empty, np.nan, np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1)) * 100)
    high = np.where(empty, np.nan, np.where(x >= size, 1.0, np.clip(centre + half, 0, 1)) * 100)
    return low, high


def share_interval(successes: int, n: int) -> Interval | None:
    """The Wilson interval of one share, in percent (None without answers); see `share_intervals`."""
    return _scalar(share_intervals(successes, n))


# NPS: Rocks' adjusted Wald ---------------------------------------------------------------------


def nps_intervals(promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike) -> Bounds:
    """Adjusted-Wald intervals of the NPS, in points, from promoter and detractor counts; NaN where n is 0.

    Rocks (2016), "Interval estimation for the 'net promoter score'", The
    American Statistician 70(4): add 3/4 of an answer to the detractors, 3/2
    to the passives and 3/4 to the promoters (3 in all, the defaults of
    Rocks' R package NPS), then take the Wald interval of the adjusted
    promoter-minus-detractor share with the trinomial variance
    (P + D - (P - D)^2) / n. Rocks found it the best of six methods in
    coverage at small n, where the plain Wald interval falls short. The
    adjustment pulls the centre towards 0: at n = 1 the observed score can
    fall outside, so the interval is widened to include it (coverage only
    rises). Clipped to [-100, 100].
    """
    detractor_pseudo, passive_pseudo, promoter_pseudo = NPS_PSEUDO_COUNTS
    size = _floats(n)
    adjusted_n = size + detractor_pseudo + passive_pseudo + promoter_pseudo
    p = (_floats(promoters) + promoter_pseudo) / adjusted_n
    d = (_floats(detractors) + detractor_pseudo) / adjusted_n
    half = _Z * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / adjusted_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (_floats(promoters) - _floats(detractors)) / size
    empty = size <= 0
    low = np.where(empty, np.nan, np.clip(np.minimum(p - d - half, observed), -1, 1) * 100)
    high = np.where(empty, np.nan, np.clip(np.maximum(p - d + half, observed), -1, 1) * 100)
    return low, high


def nps_interval(promoters: int, detractors: int, n: int) -> Interval | None:
    """The adjusted-Wald interval of one NPS, in points (None without answers); see `nps_intervals`."""
    return _scalar(nps_intervals(promoters, detractors, n))


# Means (and CES): Student's t ---------------------------------------------------------------------


def mean_intervals(mean: ArrayLike, sd: ArrayLike, n: ArrayLike, bounds: Interval | None = None) -> Bounds:
    """Student's t intervals of means from their sd and n; NaN below 2 answers (no spread to go on).

    Student (1908), "The probable error of a mean", Biometrika 6: mean +-
    t(0.975, n - 1) sd / sqrt(n). The t quantile, not 1.96, keeps small
    groups honest (at n = 5 it is 2.78). `bounds` (such as (1, 7) for a CES
    likert) clips the interval to the scale: a mean cannot leave it.
    """
    size = _floats(n)
    undefined = size < 2
    degrees = np.where(undefined, 1, size - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(1 - _ALPHA / 2, degrees) * _floats(sd) / np.sqrt(size)
    low, high = _floats(mean) - half, _floats(mean) + half
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def mean_interval(mean: float, sd: float, n: int, bounds: Interval | None = None) -> Interval | None:
    """The t interval of one mean (None below 2 answers); see `mean_intervals`."""
    return _scalar(mean_intervals(mean, sd, n, bounds))


# Medians (durations): order statistics -------------------------------------------------------------


def median_ranks(n: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The 1-based ranks (r, n + 1 - r) of the order statistics that bound the median of n values; 0 below 6.

    Conover (1999), Practical Nonparametric Statistics, 3rd ed., section 3.2:
    the number of values below the median is Binomial(n, 1/2) whatever the
    distribution, so [x_(r), x_(n+1-r)] covers it with probability
    1 - 2 P(B <= r - 1); r is the largest rank keeping that at least 95%.
    Exact and deterministic (no bootstrap). Scorecards can pick these ranks
    from each group's sorted values.
    """
    size = np.asarray(n, dtype=np.int64)
    # ppf gives the smallest k with P(B <= k) >= 0.025, so P(B <= k - 1) < 0.025: r = k is the largest valid rank.
    lower = np.asarray(stats.binom.ppf(_ALPHA / 2, np.maximum(size, 1), 0.5), dtype=np.int64)
    defined = (size >= MEDIAN_MIN_N) & (lower >= 1)
    return np.where(defined, lower, 0), np.where(defined, size + 1 - lower, 0)


def median_interval(values: Sequence[float]) -> Interval | None:
    """The distribution-free interval of the median of `values` (NaN left out); None below 6 values."""
    ordered = np.sort(_floats(values)[~np.isnan(_floats(values))])
    lower, upper = median_ranks(len(ordered))
    if lower == 0:
        return None
    return float(ordered[int(lower) - 1]), float(ordered[int(upper) - 1])


# Counts: Garwood's exact Poisson interval -------------------------------------------------------------


def count_intervals(counts: ArrayLike, exposure: ArrayLike = 1.0) -> Bounds:
    """Exact Poisson intervals of counts, per unit of `exposure` when given (a rate); NaN for a negative count.

    Garwood (1936), "Fiducial limits for the Poisson distribution",
    Biometrika 28: chi2(0.025, 2c) / 2 to chi2(0.975, 2c + 2) / 2, here as
    the equivalent gamma quantiles. A count of 0 is an observation, not a
    missing value: its interval is 0 to 3.69.
    """
    c, scale = _floats(counts), _floats(exposure)
    low = np.where(c > 0, stats.gamma.ppf(_ALPHA / 2, np.maximum(c, 1)), 0.0)
    high = stats.gamma.ppf(1 - _ALPHA / 2, np.maximum(c, 0) + 1)
    invalid = (c < 0) | (scale <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(invalid, np.nan, low / scale), np.where(invalid, np.nan, high / scale)


def count_interval(count: int, exposure: float = 1.0) -> Interval | None:
    """The exact interval of one count (or rate per `exposure`); see `count_intervals`."""
    return _scalar(count_intervals(count, exposure))
