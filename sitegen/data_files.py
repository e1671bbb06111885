"""Data files: the project's CSV files that metrics read (orders, counts per day), as tables with instants.

A counts file is checked row by row, so `sitegen check` and a build name the
file and line of a bad date or count; an orders file is read as it is.
Both are read with pandas, which `sitegen check` loads only for a site
that has such a metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sitegen.errors import ProjectInvalid, SiteError
from sitegen.metrics import moments

COUNT_COLUMNS = ("date", "count")
"""The columns every counts file has; segment columns (`location`) come after them."""
HEADER_LINE = 1


def read_orders(path: Path, timezone: str) -> pd.DataFrame:
    """An orders file (`customer`, `ordered_at`); times without an offset are the site's local time."""
    orders = pd.read_csv(path, dtype={"customer": "string", "ordered_at": "string"})
    orders["ordered_at"] = moments(orders["ordered_at"], timezone)
    return orders


def read_counts(path: Path, shown: str, timezone: str, segments: Sequence[str] = ()) -> pd.DataFrame:
    """A counts file as `at` (the day's local noon, in UTC), `count` and the segment columns, or ProjectInvalid.

    `shown` is the path errors name (`data/receipts.csv`). Each row is one day
    (YYYY-MM-DD on the site's calendar) and segment with a whole, non-negative
    count; rows of the same day and segment add up. Noon stands for the day
    because it exists on every calendar day, even where the clocks change at
    midnight, so the day's period and the as-of cut-off both follow the date.
    """
    text = pd.read_csv(path, dtype="string", keep_default_na=False, skipinitialspace=True)
    missing = [name for name in (*COUNT_COLUMNS, *segments) if name not in text.columns]
    if missing:
        has = ", ".join(text.columns) or "none"
        raise ProjectInvalid(
            [SiteError(shown, HEADER_LINE, 1, name, f"no column '{name}' (it has: {has})") for name in missing]
        )
    days = pd.to_datetime(text["date"], format="%Y-%m-%d", errors="coerce")
    numbers = pd.to_numeric(text["count"].astype(object), errors="coerce").astype("float64")
    lines = np.arange(len(text)) + HEADER_LINE + 1  # rows are numbered as an editor shows them
    problems = [
        SiteError(shown, int(line), 1, "date", f"'{value}' is not a date such as 2026-05-31")
        for line, value in zip(lines[days.isna().to_numpy()], text["date"][days.isna()], strict=True)
    ]
    bad_count = ~(numbers.notna() & (numbers >= 0) & (numbers % 1 == 0))  # inf % 1 is NaN: bad too
    problems += [
        SiteError(shown, int(line), 1, "count", f"'{value}' is not a whole number of at least 0")
        for line, value in zip(lines[bad_count.to_numpy()], text["count"][bad_count], strict=True)
    ]
    for name in segments:
        empty = text[name].str.strip() == ""
        problems += [SiteError(shown, int(line), 1, name, f"no {name} given") for line in lines[empty.to_numpy()]]
    if problems:
        raise ProjectInvalid(problems)
    noon = (days + pd.Timedelta(hours=12)).dt.tz_localize(timezone).dt.tz_convert("UTC")
    counts = pd.DataFrame({"at": noon, "count": numbers.astype("int64")})
    for name in segments:
        counts[name] = text[name].str.strip().astype(object)
    return counts
