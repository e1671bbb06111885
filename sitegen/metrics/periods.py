"""Periods: calendar weeks, months and quarters of the site's timezone, their labels and their bounds.

A period label (`2026-W18`, `2026-05`, `2026-Q2`) is what scorecards group
by, what data files publish and what control charts order their points by.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

import numpy as np
import pandas as pd

Period = Literal["week", "month", "quarter"]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_THURSDAY = 3  # 1970-01-01, day 0 of numpy's calendar, was a Thursday (Monday = 0)


def _iso_week_codes(days: np.ndarray) -> np.ndarray:
    """ISO year * 100 + ISO week for day numbers since 1970-01-01: a week belongs to the year of its Thursday."""
    weekday = (days + _THURSDAY) % 7
    thursday = days - weekday + 3
    year = thursday.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    first_day = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    week: np.ndarray = year * 100 + (thursday - first_day) // 7 + 1
    return week


def _label_of_code(code: int, period: Period) -> str:
    if period == "week":
        return f"{code // 100}-W{code % 100:02d}"
    if period == "quarter":
        return f"{code // 4 + 1970}-Q{code % 4 + 1}"
    return f"{code // 12 + 1970}-{code % 12 + 1:02d}"


def period_labels(timestamps: pd.Series, period: Period, timezone: str) -> pd.Series:
    """The period label (`2026-W18`, `2026-05`, `2026-Q2`) of each instant, on the site's calendar.

    Instants are first converted to `timezone`: 2026-03-31T22:30Z is April in
    Riga. The result is a categorical of str labels whose categories are the
    periods that occur, in time order, so grouping by it is fast and sorts
    chronologically; compare it with strings as usual. Missing instants get
    a missing label. Labels are made once per period, not per row.
    """
    if not isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        raise ValueError("period_labels needs time-zone-aware instants (the store keeps UTC)")
    wall = timestamps.dt.tz_convert(timezone).dt.tz_localize(None).to_numpy()
    valid = ~np.isnat(wall)
    days = wall[valid].astype("datetime64[D]")
    if period == "week":
        codes = _iso_week_codes(days.astype(np.int64))
    else:
        months = days.astype("datetime64[M]").astype(np.int64)
        codes = months // 3 if period == "quarter" else months
    # Codes span few values, so a lookup table ranks them in linear time (np.unique would sort 1M rows).
    lowest = int(codes.min()) if len(codes) else 0
    offsets = codes - lowest
    occurs = np.zeros(int(offsets.max()) + 1 if len(codes) else 0, dtype=bool)
    occurs[offsets] = True
    rank = np.cumsum(occurs) - 1
    positions = np.full(len(wall), -1, dtype=np.int64)
    positions[valid] = rank[offsets]
    labels = [_label_of_code(int(offset) + lowest, period) for offset in np.flatnonzero(occurs)]
    return pd.Series(
        pd.Categorical.from_codes(positions, categories=pd.Index(labels)), index=timestamps.index, name=timestamps.name
    )


def period_label(day: dt.date, period: Period) -> str:
    """The label of the period a calendar day is in."""
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def period_kind(label: str) -> Period:
    """Which kind of period a label names."""
    if _WEEK.match(label):
        return "week"
    if _QUARTER.match(label):
        return "quarter"
    if _MONTH.match(label):
        return "month"
    raise ValueError(f"{label!r} is not a period such as 2026-W18, 2026-05 or 2026-Q2")


def period_start(label: str) -> dt.date:
    """The first day of a period."""
    kind = period_kind(label)
    if kind == "week":
        year, week = map(int, _WEEK.match(label).groups())  # type: ignore[union-attr]
        return dt.date.fromisocalendar(year, week, 1)
    if kind == "quarter":
        year, quarter = map(int, _QUARTER.match(label).groups())  # type: ignore[union-attr]
        return dt.date(year, 3 * quarter - 2, 1)
    year, month = map(int, _MONTH.match(label).groups())  # type: ignore[union-attr]
    return dt.date(year, month, 1)


def next_period(label: str) -> str:
    """The label of the period after this one."""
    kind = period_kind(label)
    start = period_start(label)
    if kind == "week":
        return period_label(start + dt.timedelta(days=7), kind)
    step = 3 if kind == "quarter" else 1
    months = start.year * 12 + start.month - 1 + step
    return period_label(dt.date(months // 12, months % 12 + 1, 1), kind)


def previous_period(label: str) -> str:
    """The label of the period before this one (2027-W01 -> 2026-W53, 2026-01 -> 2025-12)."""
    return period_label(period_start(label) - dt.timedelta(days=1), period_kind(label))


def period_end(label: str) -> dt.date:
    """The last day of a period (inclusive)."""
    return period_start(next_period(label)) - dt.timedelta(days=1)


def periods_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last` inclusive, so charts can show the empty ones as gaps."""
    labels = []
    label = first
    while period_start(label) <= period_start(last):
        labels.append(label)
        label = next_period(label)
    return labels
