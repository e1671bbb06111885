"""Kept figures: each metric's published figures kept between builds, under a fingerprint of what made them.

After 10,000 new answers to one survey the other surveys' figures are the
ones the last build published, yet a build would read their rows and group
them again. This module keeps, in `<answer_cache>/figures.json`, each
metric's `Publication` and comments under the digest of its inputs
(`Fingerprints.metric`), and per survey the count and latest moment its
scorecards show. A survey none of whose metrics' inputs changed is not read
at all (docs/DESIGN.md, "Kept figures").

A survey's inputs are its definition, how old versions are read (the
`Judgement`), and its rows as the store counts them: store id, change
generation (any change other than an insert moves it) and each version's
count, first and last moment, from the tallies. Only inserts leave the
generation as it was, and they show in the counts. Rows after the as-of day
would be left out of the figures, which the counts cannot tell: such a
survey gets no fingerprint and is computed as before. A metric adds its
definition, the scorecard's period, the privacy minimum, the timezone, the
period still running, the period its meaning changed in and the code that
computes it; a kind that reads more than its survey's rows (cases, invitations,
data files, a plugin's own table) adds the as-of day and those inputs.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import sitegen
from sitegen.edits import Judgement
from sitegen.kept_counts import write_atomically
from sitegen.metric_kinds import kind_of
from sitegen.models.scorecard import BaseMetric, SurveyMetric
from sitegen.models.survey import Survey
from sitegen.privacy import Cell, Publication
from sitegen.store import ResponseStore

FORMAT = 1
"""The layout of the file; a file of another format is read as empty."""
FILE = "figures.json"


@functools.cache
def code_digest(*files: str) -> str:
    """The digest of sitegen's own modules and of `files` (a plugin's): new code may compute other figures."""
    package = Path(sitegen.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")) + [Path(name) for name in sorted(files)]:
        digest.update(str(path.relative_to(package) if path.is_relative_to(package) else path).encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_files(*objects: Any) -> tuple[str, ...]:
    """The files `objects` (a kind's model, measure and table) are defined in."""
    return tuple(sorted({inspect.getfile(item) for item in objects}))


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x00".join(map(str, parts)).encode("utf-8")).hexdigest()


def survey_fingerprint(store: ResponseStore, survey: Survey, judgement: Judgement, until: pd.Timestamp) -> str | None:
    """What a survey's figures are made of: its definition, its readings and its rows as the tallies count them;
    None when it has rows after `until` (the end of the as-of day), which the figures would leave out."""
    changes = store.changes()
    counted = store.version_counts(survey.id)
    if any(version.last is not None and pd.Timestamp(version.last) >= until for version in counted):
        return None
    readings = sorted((pair, repr(reading)) for pair, reading in judgement.readings.items())
    return fingerprint(repr(survey), readings, sorted(judgement.changed.items()), changes, counted)


@dataclass(frozen=True)
class Fingerprints:
    """One build's inputs as fingerprints, from which each metric's is made (`metric`)."""

    surveys: Mapping[str, str | None]
    """Survey id -> `survey_fingerprint`."""
    settings: tuple[object, ...]
    """The privacy minimum and the timezone."""
    beyond_rows: tuple[object, ...]
    """What a kind reading more than its survey's rows may read: the as-of day, the store's case steps and
    invitations sent."""
    root: Path

    def metric(self, period: str, metric: BaseMetric, running: str, changed: str | None) -> str | None:
        """The fingerprint of a metric's inputs, or None when they cannot all be told (see the module docstring)."""
        kind = kind_of(metric)
        parts: list[object] = [FORMAT, period, repr(metric), *self.settings, running, changed]
        parts.append(code_digest(*source_files(kind.model, kind.measure, kind.table)))
        if isinstance(metric, SurveyMetric):
            parts.append(self.surveys.get(metric.survey))
            if parts[-1] is None:
                return None
        if kind.reads_responses_only:
            return fingerprint(*parts)
        if not kind.has_builtin_table:
            return None
        data = metric.data_file
        if data is not None:
            try:
                parts.append(hashlib.sha256((self.root / data).read_bytes()).hexdigest())
            except OSError:
                return None
        return fingerprint(*parts, *self.beyond_rows)


@dataclass
class KeptFigures:
    """The figures kept by the last build, and those this build computed or used, for the next."""

    path: Path
    fingerprints: Fingerprints
    found: dict[str, Any] = field(default_factory=dict)
    used: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path, fingerprints: Fingerprints) -> KeptFigures:
        """The folder's kept figures; none when the file is missing, damaged or of another format."""
        path = folder / FILE
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            entries = document["entries"] if document["format"] == FORMAT else {}
        except (OSError, KeyError, TypeError, ValueError):
            entries = {}
        return cls(path, fingerprints, entries if isinstance(entries, dict) else {})

    def get(self, key: str | None) -> Any:
        """The entry kept under `key` (kept for the next build too), or None."""
        if key is None or key not in self.found:
            return None
        self.used[key] = self.found[key]
        return self.found[key]

    def has(self, keys: Iterable[str | None]) -> bool:
        return all(key is not None and key in self.found for key in keys)

    def put(self, key: str | None, entry: Any) -> None:
        if key is not None:
            self.used[key] = entry

    def save(self) -> None:
        """This build's entries, atomically (a reader sees the old file or the new one); older ones are dropped."""
        if self.used == self.found:
            return
        write_atomically(self.path, json.dumps({"format": FORMAT, "entries": self.used}, ensure_ascii=False))


def publication_json(publication: Publication) -> dict[str, Any]:
    """A publication as JSON holds it; Python's floats go through their shortest repr, so they come back equal."""
    return asdict(publication)


def publication_from_json(document: Mapping[str, Any]) -> Publication:
    def cells(items: list[dict[str, Any]]) -> list[Cell]:
        return [Cell(**item) for item in items]

    def breakdowns(items: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[Cell]]:
        return {name: cells(value) for name, value in items.items()}

    return Publication(
        Cell(**document["overall"]),
        cells(document["periods"]),
        breakdowns(document["segments"]),
        str(document["latest_period"]),
        breakdowns(document["latest_segments"]),
    )
