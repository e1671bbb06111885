"""Measures: scorecard figures (value, n, margin, interval) from answers, per period and segment.

Everything here is a pure function of pandas objects and plain values, as
DESIGN section 7 defines the metrics; `scorecards` loads the answers,
suppresses small groups and writes the pages. A metric is computed in two
vectorised steps: a *tally* per response (is this answer a promoter? how
many hours did this complaint take?) and a *summary* per group of
responses, so the overall figure, each period and each segment come from
one pandas groupby instead of a loop over responses.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.core.groupby import DataFrameGroupBy

from sitegen import intervals
from sitegen.metrics.cube import dense_codes, distinct_answers
from sitegen.metrics.periods import Period, period_labels

Z95 = 1.96
"""The normal quantile of a two-sided 95% interval, used for every margin and test below."""

Unit = Literal["minutes", "hours", "days"]

SECONDS_PER_UNIT: dict[str, int] = {"minutes": 60, "hours": 3600, "days": 86400}
FIGURE_COLUMNS = ("value", "n", "moe", "low", "high")
CES_SCALE = (1.0, 7.0)
"""The CES likert's ends: its mean's interval stays within them."""


@dataclass(frozen=True)
class Figure:
    """One cell of a scorecard: a value, the n it stands on, its 95% margin in points and its 95% interval.

    `value` is None when there is nothing to compute it from (n == 0), `moe`
    is None where DESIGN gives none (means, counts, durations, ratios).
    `low`/`high` is the interval of `sitegen.intervals` for the kind (None
    where it is undefined: a mean of one answer, a median of fewer than 6,
    a ratio). `extra` holds the figures shown beside the value (NPS groups,
    p90, sd); one that cannot be computed (the sd of a single answer) is left out.
    """

    value: float | None
    n: int
    moe: float | None = None
    extra: Mapping[str, float] = field(default_factory=dict)
    low: float | None = None
    high: float | None = None


# Margins of error -------------------------------------------------------------


def _share_moe(p: Any, n: Any) -> Any:
    """The share margin on scalars or arrays alike (NaN where n is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return Z95 * np.sqrt(np.maximum(p * (1 - p), 0) / n) * 100


def _nps_moe(promoters: Any, detractors: Any, n: Any) -> Any:
    """The NPS margin on scalars or arrays alike (NaN where n is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.maximum(promoters + detractors - (promoters - detractors) ** 2, 0)
        return Z95 * np.sqrt(spread / n) * 100


def moe_share(p: float, n: int) -> float | None:
    """95% margin, in points, of a share p (0-1) of n answers: 1.96 * sqrt(p(1-p)/n) * 100."""
    return None if n <= 0 else float(_share_moe(p, n))


def moe_nps(promoters: float, detractors: float, n: int) -> float | None:
    """95% margin, in NPS points, from the promoter and detractor shares (0-1) of n answers."""
    return None if n <= 0 else float(_nps_moe(promoters, detractors, n))


def wilson_interval(successes: int, n: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a share, in percent; pages may draw it, the data files keep `moe`."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return (max(centre - half, 0.0) * 100, min(centre + half, 1.0) * 100)


# Measures: one per metric kind, each a tally per row and a summary per group -------


def _numbers(answers: pd.Series) -> pd.Series:
    """Answers as floats, a skipped answer (None, NaN, pd.NA) as NaN."""
    try:  # the store's ints-and-None columns convert directly, five times faster than to_numeric
        return answers.astype("float64")
    except (TypeError, ValueError):
        return pd.to_numeric(answers, errors="coerce").astype("float64")


class Measure(ABC):
    """How one metric kind turns responses into figures; see `compute_by`."""

    summed: ClassVar[bool] = False
    """Whether `summarise` reads nothing but each group's sums of the tally: then rows added up beforehand (the
    counts cube, `sitegen.metrics.cube`) give the figures their responses give. False unless a kind says so, so
    that a plugin's measure is never summed by mistake."""

    @abstractmethod
    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-response numbers, indexed like `frame`, that the summary aggregates."""

    def anchored(self, frame: pd.DataFrame) -> Measure:
        """This measure with whatever its tally takes from the first rows of `frame` fixed, so that tallies of
        later rows alone add up with it (`sitegen.kept_counts`); a kind whose tally reads each row alone is itself."""
        return self

    def anchors(self) -> dict[str, Any]:
        """What `anchored` fixed, as plain values (kept between builds); `with_anchors` gives them back."""
        return {}

    def with_anchors(self, anchors: Mapping[str, Any]) -> Measure:
        """This measure with the values `anchors` gave fixed again."""
        return self

    @abstractmethod
    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        """Per group: `value`, `n`, `moe`, then this kind's extra columns."""


Floats = NDArray[np.float64]


def _totals(table: pd.DataFrame) -> tuple[pd.Index, dict[str, Floats]]:
    """A table of per-group figures as its index and plain float arrays: arithmetic on a few hundred groups costs
    microseconds in numpy and a fraction of a millisecond per pandas operation, dozens of times per figure."""
    return table.index, {str(name): table[name].to_numpy(dtype=np.float64) for name in table.columns}


def _finish(
    index: pd.Index,
    value: Floats,
    n: Floats,
    moe: Floats | None,
    interval: tuple[Any, Any] | None,
    **extra: Floats,
) -> pd.DataFrame:
    """The summary columns in their fixed order; a value (and interval) with no answers behind it is NaN.

    `interval` is the kind's (low, high) arrays from `sitegen.intervals`, or
    None where the kind has none. Extras are kept as computed: shares of
    nothing are NaN by themselves, while counts such as `excluded` stay
    meaningful when n is 0.
    """
    answered = n > 0
    nothing = np.full(len(n), np.nan)
    low, high = (nothing, nothing) if interval is None else interval
    columns = {
        "value": np.where(answered, value, np.nan),
        "n": n.astype(np.int64),
        "moe": np.where(answered, moe if moe is not None else nothing, np.nan),
        "low": np.where(answered, low, np.nan),
        "high": np.where(answered, high, np.nan),
    }
    return pd.DataFrame({**columns, **extra}, index=index)


@dataclass(frozen=True)
class NpsMeasure(Measure):
    """Net Promoter Score of a 0-10 question: 100 x (promoters 9-10 - detractors 0-6) / n."""

    summed: ClassVar[bool] = True

    column: str

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        scores = _numbers(frame[self.column])
        # Comparisons with NaN are False, so a skipped answer is neither promoter nor detractor.
        return pd.DataFrame({"n": scores.notna(), "promoters_n": scores >= 9, "detractors_n": scores <= 6})

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(groups.sum())
        n, promoters_n, detractors_n = totals["n"], totals["promoters_n"], totals["detractors_n"]
        passives_n = n - promoters_n - detractors_n
        with np.errstate(divide="ignore", invalid="ignore"):
            promoters, passives, detractors = promoters_n / n, passives_n / n, detractors_n / n
        return _finish(
            index,
            100 * (promoters - detractors),
            n,
            _nps_moe(promoters, detractors, n),
            intervals.nps_intervals(promoters_n, detractors_n, n),
            promoters=100 * promoters,
            passives=100 * passives,
            detractors=100 * detractors,
            promoters_n=promoters_n,
            passives_n=passives_n,
            detractors_n=detractors_n,
        )


def _summarise_share(groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
    """Percent of hits among answers, with the share margin and the Wilson interval."""
    index, totals = _totals(groups.sum())
    hits, n = totals["hits"], totals["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
    return _finish(index, 100 * p, n, _share_moe(p, n), intervals.share_intervals(hits, n))


@dataclass(frozen=True)
class TopBoxMeasure(Measure):
    """% of answers in the top `top` points of a scale that ends at `highest` (9-10 of 0-10 for the top two)."""

    summed: ClassVar[bool] = True

    column: str
    highest: float
    top: int = 2

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        answers = _numbers(frame[self.column])
        return pd.DataFrame({"n": answers.notna(), "hits": answers >= self.highest - self.top + 1})

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        return _summarise_share(groups)


@dataclass(frozen=True)
class CsatMeasure(Measure):
    """Customer satisfaction: % of answers in the top two points of a 1..points rating."""

    summed: ClassVar[bool] = True

    column: str
    points: int = 5

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        return TopBoxMeasure(self.column, self.points, 2).tally(frame)

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        return _summarise_share(groups)


def _chosen(answers: pd.Series, choices: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """(answered, hit) per answer; a `multiple` answer is a list and hits when it holds any choice.

    An empty list is a skipped question, like None: a form with no box
    ticked sends nothing.
    """
    if answers.dtype != object:
        return answers.notna(), answers.isin(choices)
    wanted = set(choices)
    codes, distinct = distinct_answers(answers)  # each distinct answer judged once, a missing one (-1) last
    items = [value if isinstance(value, list) else [value] for value in distinct]
    answered = np.array([any(pd.notna(item) for item in picks) for picks in items] + [False])
    hit = np.array([any(item in wanted for item in picks if pd.notna(item)) for picks in items] + [False])
    return pd.Series(answered[codes], index=answers.index), pd.Series(hit[codes], index=answers.index)


@dataclass(frozen=True)
class ShareMeasure(Measure):
    """% of answers equal to (or, on a `multiple` question, containing) one of the choices."""

    summed: ClassVar[bool] = True

    column: str
    choices: tuple[str, ...]

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        answered, hit = _chosen(frame[self.column], list(self.choices))
        return pd.DataFrame({"n": answered, "hits": hit & answered})

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        return _summarise_share(groups)


def _moment_tally(values: pd.Series, shift: float | None) -> dict[str, pd.Series]:
    """Per answer, the sums a mean and its sd are made of: answered (n), x, and x - K and its square.

    K (`shift`, by default the first answer) shifts the squares so that answers far from zero
    with a small spread keep their digits: the "shifted data" sums of Chan,
    Golub and LeVeque (1983), "Algorithms for computing the sample variance:
    analysis and recommendations", The American Statistician 37(3). Whole-number
    answers keep every sum an exact integer (below 2^53), so the figures do not
    depend on how the rows were added up.
    """
    answered = values.notna()
    if shift is None:
        shift = _first_answer(values)
    deviation = (values - (shift or 0.0)).where(answered, 0.0)
    return {"n": answered, "x": values.where(answered, 0.0), "dx": deviation, "dxx": deviation * deviation}


def _first_answer(values: pd.Series) -> float | None:
    answered = values[values.notna()]
    return float(answered.iloc[0]) if len(answered) else None


@dataclass(frozen=True)
class _Shifted(Measure):
    """A measure of means whose sums are shifted by `shift` (`_moment_tally`): None takes the frame's first answer,
    which `anchored` fixes."""

    column: str
    shift: float | None = field(default=None, kw_only=True)

    def answers(self, frame: pd.DataFrame) -> pd.Series:
        """The numbers the mean is of, NaN where there is none."""
        return _numbers(frame[self.column])

    def anchored(self, frame: pd.DataFrame) -> Measure:
        first = _first_answer(self.answers(frame)) if self.shift is None else None
        return self if first is None else replace(self, shift=first)

    def anchors(self) -> dict[str, Any]:
        return {} if self.shift is None else {"shift": self.shift}

    def with_anchors(self, anchors: Mapping[str, Any]) -> Measure:
        return replace(self, shift=float(anchors["shift"])) if "shift" in anchors else self


def _moment_figures(totals: Mapping[str, Floats]) -> tuple[Floats, Floats, Floats]:
    """(n, mean, sd) per group from `_moment_tally`'s sums: the sample sd (n - 1), NaN below 2 answers."""
    n, deviations = totals["n"], totals["dx"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = totals["x"] / n
        variance = (n * totals["dxx"] - deviations * deviations) / (n * (n - 1))
    sd = np.where(n > 1, np.sqrt(np.maximum(variance, 0)), np.nan)
    return n, np.where(n > 0, mean, np.nan), sd


@dataclass(frozen=True)
class MeanMeasure(_Shifted):
    """The mean of a numeric, rating or likert question, or of one choice's rank in a ranking (`choice`: 1 = first,
    a ranking that leaves it out does not count); `sd` beside it for the change test."""

    summed: ClassVar[bool] = True

    choice: str | None = None

    def answers(self, frame: pd.DataFrame) -> pd.Series:
        if self.choice is None:
            return _numbers(frame[self.column])
        choice = self.choice
        ranks = [
            order.index(choice) + 1.0 if isinstance(order, list) and choice in order else math.nan
            for order in frame[self.column]
        ]
        return pd.Series(ranks, index=frame.index, dtype="float64")

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(_moment_tally(self.answers(frame), self.shift))

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(groups.sum())
        n, mean, sd = _moment_figures(totals)
        return _finish(index, mean, n, None, intervals.mean_intervals(mean, sd, n), sd=sd)


@dataclass(frozen=True)
class CesMeasure(_Shifted):
    """Customer effort: the mean of a 1-7 likert, and the % of 5-7 (`share_top`, with its margin)."""

    summed: ClassVar[bool] = True

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        scores = self.answers(frame)
        return pd.DataFrame({**_moment_tally(scores, self.shift), "top": scores >= 5})

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(groups.sum())
        n, mean, sd = _moment_figures(totals)
        with np.errstate(divide="ignore", invalid="ignore"):
            top = totals["top"] / n
        return _finish(
            index,
            mean,
            n,
            None,
            intervals.mean_intervals(mean, sd, n, CES_SCALE),
            share_top=100 * top,
            share_top_moe=_share_moe(top, n),
            sd=sd,
        )


@dataclass(frozen=True)
class CountMeasure(Measure):
    """The number of responses (complaints per month); value = n."""

    summed: ClassVar[bool] = True

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"n": np.ones(len(frame), dtype=np.int64)}, index=frame.index)

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(groups.sum())
        return _finish(index, totals["n"], totals["n"], None, intervals.count_intervals(totals["n"]))


def moments(answers: pd.Series, timezone: str) -> pd.Series:
    """Datetime answers as UTC instants; a naive `datetime-local` value is wall time in `timezone`.

    A wall time that occurs twice (the hour the clocks go back) is read as
    the first of the two, one that never occurs (the hour they go forward)
    is moved forward; unreadable or missing answers become NaT.
    """
    if isinstance(answers.dtype, pd.DatetimeTZDtype):
        utc: pd.Series = answers.dt.tz_convert("UTC")
        return utc
    if isinstance(answers.dtype, pd.CategoricalDtype):  # each distinct text read once, not once per answer
        distinct = moments(pd.Series(answers.cat.categories.astype(str)), timezone)
        taken = distinct.array.take(answers.cat.codes.to_numpy(), allow_fill=True)
        return pd.Series(taken, index=answers.index)
    if pd.api.types.is_datetime64_dtype(answers.dtype):
        wall = answers
        has_offset = pd.Series(False, index=answers.index)
        aware = pd.Series(pd.NaT, index=answers.index, dtype="datetime64[ns, UTC]")
    else:
        text = answers.astype("str").str.strip()
        has_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False).astype(bool)
        # No cache: these texts seldom repeat (categories are read once each above), and pandas' cache of distinct
        # values made 1.5 million moments take 1.6 s instead of 0.3.
        aware = pd.to_datetime(text.where(has_offset), format="ISO8601", utc=True, errors="coerce", cache=False)
        wall = pd.to_datetime(text.where(~has_offset), format="ISO8601", errors="coerce", cache=False)
    local = wall.dt.tz_localize(timezone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
    return aware.where(has_offset, local.dt.tz_convert("UTC"))


def _group_numbers(groups: DataFrameGroupBy[Any, Any]) -> NDArray[np.int64]:
    """Per row, the position of its group in the grouping's result (-1 for a row in no group): `groups.ngroup()`
    for the sorted, observed groups of `summarise_by`, without the full rank pandas' ngroup takes of categorical
    keys (a quarter of a second at 1.5 million rows).

    Each key's codes follow its sort order (a category's place, or the sorted distinct values), so the combined
    codes, renumbered in their order, follow the groups' lexicographic order, as the grouped result does. A key
    Series indexed otherwise than the rows is one pandas aligns by label, not position: that is left to ngroup.
    """
    keys = groups.keys if isinstance(groups.keys, list) else [groups.keys]
    if any(isinstance(key, pd.Series) and not key.index.equals(groups.obj.index) for key in keys):
        return np.nan_to_num(groups.ngroup().to_numpy(dtype=np.float64), nan=-1).astype(np.int64)
    combined = np.zeros(len(groups.obj), dtype=np.int64)
    missing = np.zeros(len(groups.obj), dtype=bool)
    for key in keys:
        column = pd.Series(key)
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes, size = column.cat.codes.to_numpy().astype(np.int64), len(column.cat.categories)
        else:
            factorized, distinct = pd.factorize(column.to_numpy(), sort=True, use_na_sentinel=True)
            codes, size = factorized.astype(np.int64), len(distinct)
        missing |= codes < 0
        # Renumbered after each key, in order, so the combined codes stay below the rows' count.
        combined, _ = dense_codes(combined * (size + 1) + (codes + 1)) if len(combined) else (combined, 0)
    numbers = np.full(len(combined), -1, dtype=np.int64)
    if (~missing).any():
        numbers[~missing], _ = dense_codes(combined[~missing])
    return numbers


def _sorted_within_groups(values: Floats, group: NDArray[np.int64], groups_count: int) -> Floats:
    """`values` by group, each group's in ascending order: sorted once by value, then stably by group, which for
    fewer than 32,768 groups is numpy's radix sort of 16-bit codes (a seventh of the time of a lexsort of both)."""
    by_value = np.argsort(values)  # equal values are the same number, so their order does not matter
    groups = group[by_value]
    if groups_count < 2**15:
        groups = groups.astype(np.int16)
    return values[by_value][np.argsort(groups, kind="stable")]


def _order_statistics(groups: DataFrameGroupBy[Any, Any], groups_count: int) -> dict[str, Floats]:
    """Each group's median, 90th percentile and order-statistic median interval (`intervals.median_ranks`; NaN below
    6 spans), from one sort of every span by (group, span) instead of a sort per group and figure.

    The median and percentile are pandas' own (`groupby(...).median()`, `.quantile(0.9)`, linear interpolation
    between the two nearest spans), worked out the same way so the numbers are the same to the last bit
    (tests/test_metrics.py compares them with pandas').
    """
    numbered = _group_numbers(groups)
    spans = groups.obj["span"].to_numpy(dtype=np.float64)
    kept = (numbered >= 0) & ~np.isnan(spans)
    group, spans = numbered[kept], spans[kept]
    ordered = _sorted_within_groups(spans, group, groups_count)
    n = np.bincount(group, minlength=groups_count)
    start = np.cumsum(n) - n
    present = n > 0
    figures = {name: np.full(groups_count, np.nan) for name in ("median", "p90", "low", "high")}
    middle = start + (n - 1) // 2  # of an even count, the lower of the two middle spans
    below, above = ordered[middle[present]], ordered[(middle + 1 - n % 2)[present]]
    figures["median"][present] = (below + above) / 2
    position = 0.9 * (n - 1).astype(np.float64)
    whole = position.astype(np.int64)
    fraction = position % 1
    value = ordered[(start + whole)[present]]
    following = ordered[np.minimum(start + whole + 1, start + n - 1)[present]]
    figures["p90"][present] = np.where(fraction[present] == 0.0, value, value + (following - value) * fraction[present])
    lower, upper = intervals.median_ranks(n)
    defined = lower > 0
    figures["low"][defined] = ordered[(start + lower - 1)[defined]]
    figures["high"][defined] = ordered[(start + upper - 1)[defined]]
    return figures


@dataclass(frozen=True)
class DurationMeasure(Measure):
    """Median (and p90) time from one datetime answer (or a case's opening) to another (its resolution), in `unit`.

    Only pairs with both answers count. A pair that ends before it starts is
    a typing mistake, not a negative duration: it is left out of the median
    and counted in `excluded`, so a page can say how many were dropped.
    """

    start: str
    end: str
    unit: Unit = "hours"
    timezone: str = "UTC"

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        seconds = (
            moments(frame[self.end], self.timezone) - moments(frame[self.start], self.timezone)
        ).dt.total_seconds()
        return pd.DataFrame(
            {"span": (seconds / SECONDS_PER_UNIT[self.unit]).where(seconds >= 0), "excluded": seconds < 0}
        )

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(groups.agg(n=("span", "count"), excluded=("excluded", "sum")))
        figures = _order_statistics(groups, len(index))
        return _finish(
            index,
            figures["median"],
            totals["n"],
            None,
            (figures["low"], figures["high"]),
            p90=figures["p90"],
            excluded=totals["excluded"],
        )


@dataclass(frozen=True)
class CasesClosedMeasure(Measure):
    """% of cases resolved by their due time, among those whose outcome is known at `until` (the table's column).

    A case counts once it is resolved (in time or late) or still open past its due time (late whatever comes);
    a case still open before its due time is not decided yet, and a dismissed one (no reply needed) is left out,
    so a period's figure does not rise or fall with the cases still in the inbox. Its interval is the Wilson
    interval of every share (`intervals.share_intervals`), its control chart the p chart.
    """

    summed: ClassVar[bool] = True

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        resolved = frame["resolved_at"].notna()
        in_time = resolved & (frame["resolved_at"] <= frame["due_at"])
        overdue = ~resolved & (frame["status"] != "dismissed") & (frame["due_at"] < frame["until"])
        return pd.DataFrame({"n": resolved | overdue, "hits": in_time}, index=frame.index)

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        return _summarise_share(groups)


@dataclass(frozen=True)
class RepeatRateMeasure(Measure):
    """Orders whose customer ordered before (ever), per distinct customer who ordered: a ratio.

    The tally looks at the whole frame, so pass every order there is: an
    order is a repeat when the same customer has one strictly earlier, in
    any period. Two orders at the same instant are not repeats of each
    other. Rows without a customer or a time count nowhere.
    """

    customer: str = "customer"
    ordered_at: str = "ordered_at"

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        customers, times = frame[self.customer], frame[self.ordered_at]
        valid = customers.notna() & times.notna()
        first = times.where(valid).groupby(customers.where(valid)).transform("min")
        return pd.DataFrame({"customer": customers.where(valid), "repeat": (times > first) & valid, "valid": valid})

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(
            groups.agg(n=("customer", "nunique"), repeats=("repeat", "sum"), orders=("valid", "sum"))
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            value = totals["repeats"] / totals["n"]
        return _finish(index, value, totals["n"], None, None, repeat_orders=totals["repeats"], orders=totals["orders"])


@dataclass(frozen=True)
class ResponseRateMeasure(Measure):
    """Responses per count (receipts, invitations), in percent; n is the count, so a share of it.

    Each row of the frame is a response (`responses` 1, `count` 0) or a
    count (`responses` 0, `count` c), so one groupby sums both per period and
    segment. A group with counts but no responses is 0 %; one with responses
    but no count has no value (n 0). More responses than counts (a counts
    file that misses days) gives a value above 100 with no margin and no
    interval, since no share of the count can be above it.
    """

    summed: ClassVar[bool] = True

    def tally(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[["responses", "count"]].astype("int64")

    def summarise(self, groups: DataFrameGroupBy[Any, Any]) -> pd.DataFrame:
        index, totals = _totals(groups.sum())
        responses, counts = totals["responses"], totals["count"]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = responses / counts
        impossible = responses > counts
        low, high = intervals.share_intervals(responses, counts)
        interval = (np.where(impossible, np.nan, low), np.where(impossible, np.nan, high))
        moe = np.where(impossible, np.nan, _share_moe(p, counts))
        return _finish(index, 100 * p, counts, moe, interval, responses=responses)


# Grouped computation ------------------------------------------------------------------


def compute_by(frame: pd.DataFrame, measure: Measure, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per group of `by` columns: the keys, then `value`, `n`, `moe`, then the kind's extras.

    With no `by`, one row for all of `frame` (n 0 and value NaN when it is
    empty). Groups are the key combinations that occur, sorted; a response
    with a missing key (no location) is in no group of that breakdown.
    Values are NaN, not None, where a group has no answers.
    """
    return summarise_by(measure, measure.tally(frame), [frame[key] for key in by])


def summarise_by(measure: Measure, tally: pd.DataFrame, keys: Sequence[pd.Series] = ()) -> pd.DataFrame:
    """`compute_by` on a tally made once: one frame's tally serves its overall, period and segment tables."""
    if keys:
        groups = tally.groupby(list(keys), sort=True, observed=True, dropna=True)
        return measure.summarise(groups).reset_index()
    everything = pd.Categorical(np.zeros(len(tally), dtype=np.int8), categories=[0])
    table = measure.summarise(tally.groupby(everything, observed=False))  # type: ignore[call-overload]  # stubs lag
    return table.reset_index(drop=True)


def to_figure(row: Mapping[str, Any] | pd.Series, keys: Sequence[str] = ()) -> Figure:
    """A row of `compute_by` as a Figure: NaN becomes None, every other column but `keys` an extra."""

    def present(number: Any) -> float | None:
        return None if number is None or pd.isna(number) else float(number)

    extra = {
        str(name): float(number)
        for name, number in dict(row).items()
        if name not in FIGURE_COLUMNS and name not in keys and present(number) is not None
    }
    return Figure(
        value=present(row["value"]),
        n=int(row["n"]),
        moe=present(row["moe"]),
        extra=extra,
        low=present(row["low"]),
        high=present(row["high"]),
    )


def compute(frame: pd.DataFrame, measure: Measure) -> Figure:
    """The one figure over all of `frame`."""
    return to_figure(compute_by(frame, measure).iloc[0])


def nps(scores: pd.Series) -> Figure:
    """NPS of 0-10 answers; extra: promoters/passives/detractors in percent and as counts (`*_n`)."""
    return compute(scores.to_frame("answer"), NpsMeasure("answer"))


def csat(ratings: pd.Series, points: int = 5) -> Figure:
    """% of ratings in the top two points of a 1..points scale (4-5 of 5, 6-7 of 7)."""
    return compute(ratings.to_frame("answer"), CsatMeasure("answer", points))


def ces(scores: pd.Series) -> Figure:
    """Mean of 1-7 answers; extra: share_top (% of 5-7), share_top_moe, sd."""
    return compute(scores.to_frame("answer"), CesMeasure("answer"))


def mean(values: pd.Series) -> Figure:
    """Mean of numeric answers; extra: sd."""
    return compute(values.to_frame("answer"), MeanMeasure("answer"))


def share(answers: pd.Series, choices: Sequence[str]) -> Figure:
    """% of answers that are (or, for `multiple`, contain) one of `choices`."""
    return compute(answers.to_frame("answer"), ShareMeasure("answer", tuple(choices)))


def count(n_responses: int) -> Figure:
    """The number of responses; its value is its n."""
    return Figure(value=float(n_responses) if n_responses > 0 else None, n=n_responses)


def duration(starts: pd.Series, ends: pd.Series, unit: Unit = "hours", timezone: str = "UTC") -> Figure:
    """Median time from start to end answer in `unit`; extra: p90, excluded (pairs ending before they start)."""
    frame = pd.DataFrame({"start": starts, "end": ends})
    return compute(frame, DurationMeasure("start", "end", unit, timezone))


def cases_closed(cases: pd.DataFrame) -> Figure:
    """% of `cases` (columns resolved_at, due_at, status, until) resolved in time, among those decided."""
    return compute(cases, CasesClosedMeasure())


def repeat_rate(orders: pd.DataFrame) -> Figure:
    """Repeat orders per distinct customer over all of `orders` (columns customer, ordered_at)."""
    return compute(orders, RepeatRateMeasure())


def repeat_rate_by_period(orders: pd.DataFrame, period: Period, timezone: str) -> pd.DataFrame:
    """Columns period, value, n, moe, repeat_orders, orders: one row per period with orders.

    The order history is all of `orders`, so a first order in one period
    makes the customer's orders in later periods repeats.
    """
    with_period = orders.assign(period=period_labels(orders["ordered_at"], period, timezone))
    return compute_by(with_period, RepeatRateMeasure(), ["period"])
