"""Kept counts: each summed metric's counts cube of a survey's older answers, kept between builds.

A build of a survey whose metrics are all sums of their answers (the
counts cube, `sitegen.metrics.cube`) needs none of its older rows, only
what they added up to: per metric the cube of the rows before a cut, and
of the detractors' comments the last few per period. This module keeps
that, per survey, in `<answer_cache>/<survey digest>.counts.json`, with the
store's id and change generation (`sitegen.store.changes`), the cut and
how many rows lie before it. The next build reads only the rows from the
cut on, adds their cube to the kept one and publishes from the sum, so its
cost follows the new answers, not every answer ever stored.

The cut and its checks are those of the answer snapshots (docs/DESIGN.md,
"Kept counts"): the kept rows cannot have changed while the generation is
the same, and the count of the survey's rows, taken after the new rows were
read, says whether any row came in below the cut since. Sums are exact
only where every summand is a whole number (then their order does not
matter), so a survey whose tallies hold any other number is not kept:
`exact_sums` decides, and the build reads it whole, as the snapshots give it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sitegen.store import Field, ResponseStore
from sitegen.store.changes import Changes
from sitegen.store.responses import decoded_frame

FORMAT = 1
"""The layout of a kept-counts file; a file of another format is read as none."""
REREAD = dt.timedelta(days=1)
"""How far before the latest answer the kept rows end: as for the answer snapshots, a collector's row stamped a
little earlier than one already read, committed after it, still falls after the cut."""
SUFFIX = ".counts.json"
FOLD_ROWS = 1_000_000
"""About how many older rows a first build reads at a time to add them into the kept sums."""
EXACT_LIMIT = 2.0**52
"""Below this, sums of whole numbers held as floats are exact whatever their order."""


class KeptNotExact(Exception):
    """The kept sums cannot give this build's figures exactly (a tally that is not whole numbers, a row that came
    in below the cut while the build read): the survey is to be read whole."""

    def __init__(self, survey_id: str) -> None:
        super().__init__(survey_id)
        self.survey_id = survey_id


@dataclass(frozen=True)
class KeptMetric:
    """One metric's sums over the kept rows: the cube's cells and sums, the measure's anchors (the values its
    tally fixed from the first rows, `Measure.anchors`) and, for a metric with comments, the kept comments."""

    cells: pd.DataFrame
    sums: pd.DataFrame
    anchors: dict[str, Any] = field(default_factory=dict)
    comments: pd.DataFrame | None = None
    """Per period the newest comments of the kept rows (store order; columns `period`, `given_score`,
    `given_location`, `text`), and in `comment_counts` how many each period had in all."""
    comment_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class KeptSurvey:
    """What a build knows of one survey's kept rows, and gathers for the next build.

    `frame` is what the build reads: the rows from the cut on (all of them
    when nothing was kept). Its first `below` rows fall before the next cut:
    they join the kept sums when the build saves them (`KeptCounts.save`).
    """

    survey_id: str
    key: str
    changes: Changes
    frame: pd.DataFrame
    expected: frozenset[str] = frozenset()
    """The keys (`metric_key`) of the metrics whose sums are kept: each must be there to be read, or saved."""
    rows: int = 0
    """How many rows were kept (before the cut): the frame's rows come after them."""
    last: pd.Timestamp | None = None
    """The latest kept answer: a build as of an earlier day cannot use the kept sums."""
    metrics: dict[str, KeptMetric] = field(default_factory=dict)
    below: int = 0
    next_cut: pd.Timestamp | None = None
    gathered: dict[str, KeptMetric] = field(default_factory=dict)
    exact: bool = True
    """False once a tally held a number that is not whole: nothing is saved, and the next build reads it whole."""
    saving: bool = True
    """False when the build leaves rows out (as of an earlier day): what it gathered is not the rows' sums."""
    older: Callable[[], Iterator[pd.DataFrame]] | None = None
    """On a first build, windows of the rows before the cut, oldest first, to add into the kept sums (`absorb`)
    before any figure is computed, and what checks that they were all the store had (`check_folded`)."""
    verify: Callable[[int], bool] | None = None

    @classmethod
    def first(
        cls, survey_id: str, key: str, changes: Changes, frame: pd.DataFrame, expected: frozenset[str]
    ) -> KeptSurvey:
        """Nothing kept yet: `frame` holds every row."""
        kept = cls(survey_id, key, changes, frame, expected)
        kept._place_next_cut()
        return kept

    def _place_next_cut(self) -> None:
        if self.frame.empty:
            return
        moments = self.frame["submitted_at"]
        self.next_cut = moments.iloc[-1] - REREAD
        self.below = int(moments.searchsorted(self.next_cut, side="left"))

    def gather(self, metric_key: str, kept: KeptMetric) -> None:
        """The metric's sums over the kept rows and the frame's first `below` rows, for the next build."""
        self.gathered[metric_key] = kept

    def absorb(self, window: pd.DataFrame) -> None:
        """A window of older rows is added in: what was gathered of it is now what is kept."""
        if not self.exact:
            raise KeptNotExact(self.survey_id)
        self.metrics, self.gathered = self.gathered, {}
        self.rows += len(window)
        if len(window):
            self.last = window["submitted_at"].iloc[-1]

    def check_folded(self) -> None:
        """Every older row was added in, and nothing came in below the cut meanwhile: `frame` follows them."""
        self.older = None
        if self.verify is not None and not self.verify(self.rows):
            raise KeptNotExact(self.survey_id)
        self._place_next_cut()


def metric_key(period: str, metric: Any) -> str:
    """Which kept sums are a metric's: its definition and its scorecard's period (the cube's period labels)."""
    return _digest(period, repr(metric))


def exact_sums(tally: pd.DataFrame) -> bool:
    """Whether every number of the tally is whole and small enough that any order of adding gives the same sum."""
    for name in tally.columns:
        values = tally[name].to_numpy()
        if values.dtype == bool or np.issubdtype(values.dtype, np.integer):
            continue
        numbers = values.astype(np.float64)
        finite = numbers[~np.isnan(numbers)]
        if not (np.all(finite == np.floor(finite)) and float(np.abs(finite).sum()) < EXACT_LIMIT):
            return False
    return True


@dataclass(frozen=True)
class KeptCounts:
    """The folder the kept counts live in (the answer snapshots' folder)."""

    folder: Path

    def path(self, survey_id: str) -> Path:
        return self.folder / f"{_digest(survey_id)}{SUFFIX}"

    def read(
        self,
        store: ResponseStore,
        survey_id: str,
        fields: list[Field],
        key: str,
        until: pd.Timestamp,
        expected: frozenset[str],
    ) -> KeptSurvey | None:
        """The survey's kept sums and the rows from their cut on; None when they are not exactly the store's (see
        the module docstring), lack one of the `expected` metrics or cover answers after `until`, the end of the
        as-of day."""
        before = store.changes()
        state = self._load(survey_id, key, before, expected)
        if state is None or (state.last is not None and state.last >= until):
            return None
        cut: pd.Timestamp = state.next_cut  # type: ignore[assignment]
        tail = store.encoded_frame(survey_id, fields, cut.to_pydatetime())
        # Counted after the new rows were read: a row that came in between is counted, so it cannot go unnoticed.
        if state.rows + len(tail) != store.count(survey_id) or store.changes() != before:
            return None
        state.frame = decoded_frame(tail, fields)
        state._place_next_cut()
        return state

    def _load(self, survey_id: str, key: str, changes: Changes, expected: frozenset[str]) -> KeptSurvey | None:
        try:
            document = json.loads(self.path(survey_id).read_text(encoding="utf-8"))
            if document["format"] != FORMAT or document["key"] != key or set(document["metrics"]) != expected:
                return None
            if Changes(str(document["store_id"]), int(document["generation"])) != changes:
                return None
            metrics = {name: _metric_from_json(value) for name, value in document["metrics"].items()}
            return KeptSurvey(
                survey_id,
                key,
                changes,
                pd.DataFrame(),
                expected,
                rows=int(document["rows"]),
                last=None if document["last"] is None else pd.Timestamp(document["last"]),
                metrics=metrics,
                next_cut=pd.Timestamp(document["cut"]),
            )
        except (OSError, KeyError, ValueError, TypeError):
            return None

    def save(self, kept: KeptSurvey) -> None:
        """The sums gathered by a build, for the next one; atomically (a reader sees the old file or the new one).

        Nothing is kept of a survey with no rows before the next cut, or whose sums would not be exact."""
        path = self.path(kept.survey_id)
        if not kept.saving:
            return
        if not kept.exact or kept.next_cut is None or set(kept.gathered) != kept.expected:
            path.unlink(missing_ok=True)
            return
        frame = kept.frame
        last = frame["submitted_at"].iloc[kept.below - 1] if kept.below else kept.last
        document = {
            "format": FORMAT,
            "key": kept.key,
            "store_id": kept.changes.store_id,
            "generation": kept.changes.generation,
            "cut": kept.next_cut.isoformat(),
            "rows": kept.rows + kept.below,
            "last": None if last is None else pd.Timestamp(last).isoformat(),
            "metrics": {name: _metric_json(value) for name, value in sorted(kept.gathered.items())},
        }
        write_atomically(path, json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def write_atomically(path: Path, text: str) -> None:
    """`text` into `path` through a temporary file beside it and a rename: never half a file."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=path.suffix)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
            sink.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _columns_json(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {str(name): [_plain(value) for value in frame[name].tolist()] for name in frame.columns}


def _plain(value: Any) -> Any:
    """A cell's value as JSON holds it: a missing one as null, numpy's numbers as Python's."""
    if isinstance(value, list):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _metric_json(kept: KeptMetric) -> dict[str, Any]:
    document: dict[str, Any] = {
        "cells": _columns_json(kept.cells),
        "sums": {name: kept.sums[name].tolist() for name in kept.sums.columns},
        "anchors": kept.anchors,
    }
    if kept.comments is not None:
        document["comments"] = _columns_json(kept.comments)
        document["comment_counts"] = kept.comment_counts
    return document


def _metric_from_json(document: Mapping[str, Any]) -> KeptMetric:
    cells = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in document["cells"].items()})
    sums = pd.DataFrame({name: _sum_column(values) for name, values in document["sums"].items()})
    comments = document.get("comments")
    return KeptMetric(
        cells,
        sums,
        dict(document["anchors"]),
        None if comments is None else pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in comments.items()}),
        {str(period): int(n) for period, n in document.get("comment_counts", {}).items()},
    )


def _sum_column(values: list[Any]) -> pd.Series:
    """Sums as the cube gives them: whole counts as int64, the rest as float64."""
    if all(isinstance(value, int) for value in values):
        return pd.Series(values, dtype="int64")
    return pd.Series(values, dtype="float64")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]
