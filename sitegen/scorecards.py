"""Scorecard definitions + stored responses -> published figures: overall, per period, per segment.

For each metric: read only the columns it needs (`ResponseStore.frame`),
compute with `sitegen.metrics`, then apply the privacy rule before anything
leaves this module. A cell with fewer responses than
`privacy.min_group_size` is suppressed (no value, no n); on an anonymous
survey, further cells of the same breakdown are suppressed until no hidden
group can be worked out from the total (complementary suppression). Counts
on surveys that are not anonymous and figures from data files are exempt.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sitegen import metrics
from sitegen.metrics import Change, Figure, Measure
from sitegen.models.scorecard import (
    BaseMetric,
    CesMetric,
    CountMetric,
    CsatMetric,
    DurationMetric,
    MeanMetric,
    NpsMetric,
    QuestionMetric,
    RepeatRateMetric,
    Scorecard,
    ShareMetric,
    SurveyMetric,
)
from sitegen.models.survey import NUMERIC_TYPES, Survey
from sitegen.site import Site
from sitegen.store import Field, ResponseStore
from sitegen.store.responses import FieldKind

COMMENTS_SHOWN = 10
UNKNOWN = "\0unknown"
"""The group of responses without a segment value: never published, but counted when closing gaps."""


@dataclass(frozen=True)
class Cell:
    """One published (or suppressed) figure of a breakdown: a period, a segment value, or everything."""

    key: str
    value: float | None
    n: int
    moe: float | None = None
    extra: Mapping[str, float] = field(default_factory=dict)
    suppressed: bool = False
    partial: bool = False
    """The running period: shown and charted, never judged (no status, no change)."""
    low: float | None = None
    high: float | None = None
    """The 95% interval of `sitegen.intervals` for the kind, where it is defined."""

    @classmethod
    def of(cls, key: str, figure: Figure) -> Cell:
        return cls(key, figure.value, figure.n, figure.moe, dict(figure.extra), low=figure.low, high=figure.high)

    def hidden(self) -> Cell:
        """The cell as the privacy rule publishes it: nothing but its key (and whether it is still running)."""
        return Cell(self.key, None, 0, None, {}, True, self.partial)

    @property
    def is_published(self) -> bool:
        return not self.suppressed and self.value is not None


@dataclass(frozen=True)
class Comment:
    """A respondent's own words (always escaped where shown), with the period it came in."""

    period: str
    text: str


@dataclass(frozen=True)
class MetricFigures:
    """Everything a scorecard shows about one metric."""

    metric: BaseMetric
    overall: Cell
    periods: list[Cell]
    segments: dict[str, list[Cell]]
    status: str | None
    change: Change | None
    comments: list[Comment] = field(default_factory=list)

    @property
    def latest(self) -> Cell | None:
        """The latest complete period (the headline's), not the one still running."""
        return next((cell for cell in reversed(self.periods) if not cell.partial), None)


@dataclass(frozen=True)
class ScorecardFigures:
    """A scorecard's metrics computed from `responses` stored responses submitted up to the `as_of` day."""

    scorecard: Scorecard
    metrics: list[MetricFigures]
    responses: int
    as_of: dt.date

    @property
    def latest_complete(self) -> str:
        """The label of the period before the one `as_of` is in: the period headlines and targets speak of."""
        return metrics.previous_period(metrics.period_label(self.as_of, self.scorecard.period))

    def metric(self, metric_id: str) -> MetricFigures | None:
        return next((figures for figures in self.metrics if figures.metric.id == metric_id), None)


# ---- privacy ----------------------------------------------------------------------------------


def suppress(cells: Sequence[Cell], minimum: int, *, complementary: bool, unknown_n: int = 0) -> list[Cell]:
    """Hide cells under `minimum`; with `complementary`, also the fewest others that close the gap.

    The hidden set must never be worked out from the total: it needs at least
    two cells and at least `minimum` responses together. Responses outside
    every cell (`unknown_n`, e.g. without a location) count as hidden too.
    """
    hidden = {index for index, cell in enumerate(cells) if cell.n < minimum}
    if complementary:
        # An empty cell hides nobody, so it does not need company.
        hidden_n = unknown_n + sum(cells[index].n for index in hidden)
        hidden_groups = sum(1 for index in hidden if cells[index].n > 0) + (1 if unknown_n else 0)
        candidates = sorted((cell.n, index) for index, cell in enumerate(cells) if index not in hidden)
        while hidden_groups and (hidden_groups == 1 or hidden_n < minimum) and candidates:
            n, index = candidates.pop(0)
            hidden.add(index)
            hidden_n += n
            hidden_groups += 1
    return [cell.hidden() if index in hidden else cell for index, cell in enumerate(cells)]


# ---- reading responses ---------------------------------------------------------------------------


def _field_kind(survey: Survey, question_id: str) -> FieldKind:
    question = survey.question(question_id)
    kind = getattr(question, "type", "")
    return "number" if kind in NUMERIC_TYPES else ("json" if kind == "multiple" else "text")


def _segment_field(survey: Survey, segment: str) -> Field:
    if survey.question(segment) is not None:
        return Field(segment, "answers", segment, _field_kind(survey, segment))
    return Field(segment, "meta", segment, "text")


def comment_questions(survey: Survey, metric: NpsMetric) -> list[str]:
    """Free-text follow-ups asked of low scorers (`show_if` on the NPS question)."""
    return [
        question.id
        for question in survey.questions
        if question.type in ("text", "textarea")
        and question.show_if is not None
        and question.show_if.question == metric.question
    ]


def fields_for(metric: SurveyMetric, survey: Survey) -> list[Field]:
    """The columns a metric reads from its survey's responses."""
    wanted: list[Field] = [_segment_field(survey, segment) for segment in metric.segments]
    if isinstance(metric, QuestionMetric):
        wanted.append(Field(metric.question, "answers", metric.question, _field_kind(survey, metric.question)))
    if isinstance(metric, DurationMetric):
        wanted += [
            Field(metric.start, "answers", metric.start, "text"),
            Field(metric.end, "answers", metric.end, "text"),
        ]
    if isinstance(metric, NpsMetric):
        wanted += [
            Field(question_id, "answers", question_id, "text") for question_id in comment_questions(survey, metric)
        ]
    return wanted


def read_frames(
    store: ResponseStore, scorecards: Sequence[Scorecard], surveys: Mapping[str, Survey]
) -> dict[str, pd.DataFrame]:
    """One table per survey the scorecards use, read once for all of them, with only the columns their metrics need."""
    wanted: dict[str, dict[str, Field]] = {}
    for scorecard in scorecards:
        for metric in scorecard.metrics:
            if isinstance(metric, SurveyMetric):
                columns = wanted.setdefault(metric.survey, {})
                columns.update({column.name: column for column in fields_for(metric, surveys[metric.survey])})
    return {
        survey_id: store.frame(survey_id, [columns[name] for name in sorted(columns)])
        for survey_id, columns in sorted(wanted.items())
    }


def read_orders(path: Path, timezone: str) -> pd.DataFrame:
    """An orders file (`customer`, `ordered_at`); times without an offset are the site's local time."""
    orders = pd.read_csv(path, dtype={"customer": "string", "ordered_at": "string"})
    orders["ordered_at"] = metrics.moments(orders["ordered_at"], timezone)
    return orders


# ---- computing --------------------------------------------------------------------------------


def measure_for(metric: BaseMetric, survey: Survey | None, timezone: str) -> Measure:
    """The metrics module's measure for a scorecard metric."""
    if isinstance(metric, NpsMetric):
        return metrics.NpsMeasure(metric.question)
    if isinstance(metric, CsatMetric):
        return metrics.CsatMeasure(metric.question, getattr(survey.question(metric.question), "points", 5))  # type: ignore[union-attr]
    if isinstance(metric, CesMetric):
        return metrics.CesMeasure(metric.question)
    if isinstance(metric, MeanMetric):
        return metrics.MeanMeasure(metric.question)
    if isinstance(metric, ShareMetric):
        return metrics.ShareMeasure(metric.question, tuple(metric.counted_choices))
    if isinstance(metric, CountMetric):
        return metrics.CountMeasure()
    if isinstance(metric, DurationMetric):
        return metrics.DurationMeasure(metric.start, metric.end, metric.unit, timezone)
    if isinstance(metric, RepeatRateMetric):
        return metrics.RepeatRateMeasure()
    raise TypeError(f"no measure for {type(metric).__name__}")


def _cells(table: pd.DataFrame, key: str) -> list[Cell]:
    return [Cell.of(str(row[key]), metrics.to_figure(row, [key])) for _, row in table.iterrows()]


def _period_cells(frame: pd.DataFrame, measure: Measure, tally: pd.DataFrame, periods: list[str]) -> list[Cell]:
    """One cell per period from the first to the last with data; empty periods have n 0."""
    by_period = {cell.key: cell for cell in _cells(metrics.summarise_by(measure, tally, [frame["period"]]), "period")}
    return [by_period.get(label, Cell(label, None, 0)) for label in periods]


def _segment_cells(frame: pd.DataFrame, measure: Measure, tally: pd.DataFrame, segment: str) -> tuple[list[Cell], int]:
    """Cells per segment value, and how many responses had none (a list answer counts under each choice)."""
    column = frame[segment]
    if pd.api.types.is_object_dtype(column) and column.map(lambda value: isinstance(value, list)).any():
        column = column.explode()
        tally = tally.reindex(column.index)
    unknown = int(metrics.summarise_by(measure, tally[column.isna().to_numpy()])["n"].iloc[0])
    table = metrics.summarise_by(measure, tally, [column])
    return _cells(table, segment), unknown


def _is_exempt(metric: BaseMetric, survey: Survey | None) -> bool:
    """Counts about the business (not anonymous) and data-file metrics are never suppressed."""
    return isinstance(metric, RepeatRateMetric) or (
        isinstance(metric, CountMetric) and survey is not None and not survey.is_anonymous
    )


def _status(metric: BaseMetric, periods: list[Cell]) -> str | None:
    """The target's status from the latest of `periods` (complete ones: a running period is never judged)."""
    if metric.target is None:
        return None
    with_data = [cell for cell in periods if cell.n > 0 or cell.suppressed]
    latest = periods[-1] if periods else None
    figure = Figure(latest.value, latest.n, latest.moe) if latest is not None and latest.is_published else None
    first = with_data[0].key if with_data else None
    target = metric.target
    return metrics.target_status(
        figure, latest.key if latest else None, first, target.value, target.by, target.baseline, metric.direction
    )


def _change(metric: BaseMetric, periods: list[Cell]) -> Change | None:
    """The latest of `periods` (complete ones) against the one before, when both are published and testable."""
    if len(periods) < 2 or not (periods[-1].is_published and periods[-2].is_published):
        return None
    current, previous = (Figure(cell.value, cell.n, cell.moe, cell.extra) for cell in periods[-2:][::-1])
    return metrics.change_significance(current, previous, metric.kind)  # type: ignore[attr-defined]


def _comments(frame: pd.DataFrame, metric: NpsMetric, survey: Survey, minimum: int) -> list[Comment]:
    """The latest free-text comments of detractors (0-6), newest first; on anonymous surveys only if enough."""
    columns = comment_questions(survey, metric)
    if not columns or frame.empty:
        return []
    detractors = frame[pd.to_numeric(frame[metric.question], errors="coerce") <= 6]
    # The store gives responses oldest first, ties by id: newest first is that order reversed.
    detractors = detractors.assign(order=np.arange(len(detractors)))
    texts = detractors.melt(id_vars=["period", "order"], value_vars=columns, value_name="text").dropna(subset=["text"])
    texts = texts[texts["text"].astype(str).str.strip() != ""].sort_values("order", ascending=False, kind="stable")
    if survey.is_anonymous and len(texts) < minimum:
        return []
    return [Comment(str(row.period), str(row.text)) for row in texts.head(COMMENTS_SHOWN).itertuples()]


def compute_metric(
    metric: BaseMetric, frame: pd.DataFrame, survey: Survey | None, minimum: int, timezone: str, running: str
) -> MetricFigures:
    """One metric's published figures from its survey's (or data file's) table, up to the `running` period.

    Periods run from the first with data to `running` (the one the as-of day
    is in), which is kept but marked partial.
    """
    measure = measure_for(metric, survey, timezone)
    labels = sorted(str(label) for label in frame["period"].dropna().unique())
    periods = metrics.periods_between(labels[0], running) if labels else []
    tally = measure.tally(frame)
    overall = Cell.of("", metrics.to_figure(metrics.summarise_by(measure, tally).iloc[0]))
    period_cells = [
        replace(cell, partial=cell.key == running) for cell in _period_cells(frame, measure, tally, periods)
    ]
    segments = {segment: _segment_cells(frame, measure, tally, segment) for segment in getattr(metric, "segments", [])}
    if not _is_exempt(metric, survey):
        complementary = survey is not None and survey.is_anonymous
        overall = suppress([overall], minimum, complementary=False)[0]
        period_cells = suppress(period_cells, minimum, complementary=complementary)
        segments = {
            name: (suppress(cells, minimum, complementary=complementary, unknown_n=unknown), unknown)
            for name, (cells, unknown) in segments.items()
        }
    comments = _comments(frame, metric, survey, minimum) if isinstance(metric, NpsMetric) and survey is not None else []
    complete = [cell for cell in period_cells if not cell.partial]
    return MetricFigures(
        metric=metric,
        overall=overall,
        periods=period_cells,
        segments={name: cells for name, (cells, _) in segments.items()},
        status=_status(metric, complete),
        change=_change(metric, complete),
        comments=comments,
    )


def _until(frame: pd.DataFrame, column: str, as_of: dt.date, timezone: str) -> pd.DataFrame:
    """The rows whose `column` instant falls on or before the `as_of` day in `timezone`, so a past day rebuilds."""
    midnight = pd.Timestamp(as_of + dt.timedelta(days=1)).tz_localize(timezone).tz_convert("UTC")
    return frame[(frame[column] < midnight).to_numpy()]


def compute_scorecard(
    scorecard: Scorecard,
    responses: Mapping[str, pd.DataFrame],
    surveys: Mapping[str, Survey],
    project_root: Path,
    minimum: int,
    timezone: str,
    as_of: dt.date,
) -> ScorecardFigures:
    """Every metric of a scorecard as of a day, from the surveys' tables (`read_frames`) and the data files.

    Responses (and orders) after the `as_of` day are left out of every figure.
    """
    used = {metric.survey for metric in scorecard.metrics if isinstance(metric, SurveyMetric)}
    running = metrics.period_label(as_of, scorecard.period)

    def with_periods(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        frame = _until(frame, column, as_of, timezone)
        return frame.assign(period=metrics.period_labels(frame[column], scorecard.period, timezone))

    frames = {
        survey_id: with_periods(frame, "submitted_at") for survey_id, frame in responses.items() if survey_id in used
    }
    figures = []
    for metric in scorecard.metrics:
        if isinstance(metric, RepeatRateMetric):
            orders = with_periods(read_orders(project_root / metric.data, timezone), "ordered_at")
            figures.append(compute_metric(metric, orders, None, minimum, timezone, running))
        else:
            survey_id = metric.survey
            figures.append(compute_metric(metric, frames[survey_id], surveys[survey_id], minimum, timezone, running))
    return ScorecardFigures(scorecard, figures, sum(len(frame) for frame in frames.values()), as_of)


# ---- data files ------------------------------------------------------------------------------


def _published(cell: Cell, key_name: str | None, kind: str) -> dict[str, Any]:
    """A cell as the data files show it: a suppressed cell keeps only its key."""
    head = {key_name: cell.key} if key_name else {}
    tail = {"partial": True} if cell.partial else {}
    if cell.suppressed:
        return {**head, "value": None, "suppressed": True, **tail}
    row: dict[str, Any] = {**head, "value": cell.value, "n": cell.n}
    if cell.moe is not None:
        row["moe"] = cell.moe
    if cell.low is not None and cell.high is not None:
        row["low"], row["high"] = cell.low, cell.high
    if kind == "duration" and "p90" in cell.extra:
        row["p90"] = cell.extra["p90"]
    return {**row, **tail}


def metric_json(figures: MetricFigures) -> dict[str, Any]:
    """One metric of `scorecard.json`, shaped as docs/DESIGN.md section 7 fixes it."""
    metric = figures.metric
    kind = metric.kind  # type: ignore[attr-defined]
    entry: dict[str, Any] = {"id": metric.id, "kind": kind}
    for key in ("survey", "question", "data"):
        if getattr(metric, key, None) is not None:
            entry[key] = getattr(metric, key)
    entry["overall"] = _published(figures.overall, None, kind)
    if metric.target is not None:
        by = metric.target.by.isoformat() if metric.target.by else None
        entry["target"] = {
            "value": metric.target.value,
            "by": by,
            "baseline": metric.target.baseline,
            "direction": metric.direction,
            "status": figures.status,
        }
    entry["periods"] = [_published(cell, "period", kind) for cell in figures.periods]
    entry["segments"] = {
        name: [_published(cell, "key", kind) for cell in cells] for name, cells in figures.segments.items()
    }
    return entry


def scorecard_json(figures: ScorecardFigures, title: str) -> bytes:
    """`scorecards/<id>/scorecard.json`: every published figure, nothing suppressed."""
    document = {
        "id": figures.scorecard.id,
        "title": title,
        "as_of": figures.as_of.isoformat(),
        "latest_complete": figures.latest_complete,
        "generated_from": {"responses": figures.responses},
        "metrics": [metric_json(metric) for metric in figures.metrics],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def metric_csv(figures: MetricFigures) -> bytes:
    """`scorecards/<id>/<metric>.csv`: one row per published cell (overall, periods, segments)."""
    kind = figures.metric.kind  # type: ignore[attr-defined]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["breakdown", "key", "value", "n", "moe", "low", "high", "p90", "suppressed", "partial"])
    rows = [("overall", figures.overall)] + [("period", cell) for cell in figures.periods]
    rows += [(name, cell) for name, cells in figures.segments.items() for cell in cells]
    for breakdown, cell in rows:
        published = _published(cell, None, kind)
        writer.writerow(
            [breakdown, cell.key]
            + [_csv_number(published.get(name)) for name in ("value", "n", "moe", "low", "high", "p90")]
            + ["yes" if cell.suppressed else "", "yes" if cell.partial else ""]
        )
    return buffer.getvalue().encode("utf-8")


def _csv_number(number: Any) -> str:
    return "" if number is None else repr(float(number)) if isinstance(number, float) else str(number)


def compute_scorecards(site: Site, as_of: dt.date) -> dict[str, ScorecardFigures]:
    """The figures of every scorecard of a site as of a day (in the site's timezone), by scorecard id."""
    if not site.scorecards:
        return {}
    config = site.config.model
    surveys = {source.model.id: source.model for source in site.surveys}
    scorecards = [source.model for source in site.scorecards]
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        responses = read_frames(store, scorecards, surveys)
    return {
        scorecard.id: compute_scorecard(
            scorecard, responses, surveys, site.files.root, config.privacy.min_group_size, config.timezone, as_of
        )
        for scorecard in scorecards
    }


def scorecards_key(site: Site, as_of: dt.date) -> str:
    """What the figures are made from: scorecards, surveys, data files, settings, the day, how many responses."""
    if not site.scorecards:
        return ""
    config = site.config.model
    parts = [repr([source.model for source in site.scorecards]), repr([source.model for source in site.surveys])]
    parts += [config.store, config.timezone, str(config.privacy.min_group_size), as_of.isoformat()]
    for source in site.scorecards:
        for metric in source.model.metrics:
            if isinstance(metric, RepeatRateMetric):
                status = (site.files.root / metric.data).stat()
                parts.append(f"{metric.data}:{status.st_mtime_ns}:{status.st_size}")
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        parts.append(str(store.count()))
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
