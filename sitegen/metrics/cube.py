"""The counts cube: a summed measure's tally added up per distinct (period, segment values), before any figure.

Every figure a scorecard publishes of such a metric (overall, per period,
per segment, per period and segment, the privacy rule's units) groups by
those keys and sums the tally (`Measure.summed`), so summing first changes
nothing but the number of rows: a million responses become a few thousand
cells (30 months x 100 locations), and the dozens of group-bys after it cost
milliseconds. The cube's rows keep each key's value as the responses had it
(a list answer as its list), so the same code publishes from either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Codes = NDArray[np.int64]

DENSE_FACTOR = 8
"""Combined codes up to this many times the rows are ranked through a lookup table, larger ones by sorting."""


def counts_cube(frame: pd.DataFrame, tally: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per distinct combination of `keys`' values, with those columns; the tally summed over it).

    A missing value is a value of its own here, so the responses without a
    location stay countable. Integer and boolean tallies sum exactly (as
    int64), floats in row order.
    """
    if frame.empty:
        return frame[list(keys)].reset_index(drop=True), tally.reset_index(drop=True)
    group = np.zeros(len(frame), dtype=np.int64)
    for key in keys:
        codes, size = _codes(frame[key])
        group, _ = dense_codes(group * (size + 1) + (codes + 1))
    group, groups = dense_codes(group)
    representative = np.empty(groups, dtype=np.int64)
    representative[group] = np.arange(len(frame))
    cells = frame[list(keys)].iloc[representative].reset_index(drop=True)
    sums = pd.DataFrame({name: _sums(tally[name], group, groups) for name in tally.columns})
    return cells, sums


def _codes(column: pd.Series) -> tuple[Codes, int]:
    """Per row, a code that is equal exactly when the values are (-1 for a missing one), and how many codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int64), len(column.cat.categories)
    if column.dtype == object:
        codes, distinct = distinct_answers(column)
        return codes, len(distinct)
    codes, uniques = pd.factorize(column.to_numpy(), use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def distinct_answers(column: pd.Series) -> tuple[Codes, list[object]]:
    """Per row, a code into the distinct values (-1 for a missing one), a list answer equal to a list of the same
    items; and those values, each as one of its rows has it.

    The store decodes each distinct JSON text once, so its rows share one
    object per value (`decoded_frame`): telling rows apart by identity first
    leaves a handful of objects to compare by value, not a million.
    """
    values = column.to_numpy()
    by_object, _ = pd.factorize(np.fromiter(map(id, values), dtype=np.int64, count=len(values)))
    first = np.empty(int(by_object.max()) + 1 if len(values) else 0, dtype=np.int64)
    first[by_object] = np.arange(len(values))
    objects = values[first]
    hashable = np.empty(len(objects), dtype=object)
    hashable[:] = [tuple(value) if isinstance(value, list) else value for value in objects]
    by_value, _ = pd.factorize(hashable, use_na_sentinel=True)
    distinct = np.empty(int(by_value.max()) + 1 if len(objects) else 0, dtype=np.int64)
    distinct[by_value[by_value >= 0]] = np.flatnonzero(by_value >= 0)
    return by_value.astype(np.int64)[by_object], list(objects[distinct])


def dense_codes(codes: Codes) -> tuple[Codes, int]:
    """The codes renumbered 0..k-1 in their order, and k."""
    highest = int(codes.max())
    if highest < DENSE_FACTOR * len(codes):
        occurs = np.zeros(highest + 1, dtype=bool)
        occurs[codes] = True
        rank = np.cumsum(occurs) - 1
        return rank[codes], int(rank[-1]) + 1
    distinct, inverse = np.unique(codes, return_inverse=True)
    return inverse.astype(np.int64), len(distinct)


def _sums(column: pd.Series, group: Codes, groups: int) -> pd.Series:
    """The column summed per group; a missing number adds nothing, as in pandas' sum."""
    values = column.to_numpy()
    if values.dtype == bool or np.issubdtype(values.dtype, np.integer):
        return pd.Series(np.bincount(group, weights=values.astype(np.float64), minlength=groups).astype(np.int64))
    numbers = np.nan_to_num(values.astype(np.float64), nan=0.0)
    return pd.Series(np.bincount(group, weights=numbers, minlength=groups))


def added_cubes(
    parts: Sequence[tuple[pd.DataFrame, pd.DataFrame]], keys: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cubes of disjoint rows (cells, sums) added into the cube of all of them: a cell's sums are the parts' sums.

    The cells' values are compared as values (a category as its text), so a
    cube kept between builds adds up with one made of new rows.
    """
    cells = pd.concat([part.astype(object) for part, _ in parts], ignore_index=True)
    sums = pd.concat([part for _, part in parts], ignore_index=True)
    return counts_cube(cells, sums, keys)
