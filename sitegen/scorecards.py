"""Scorecard definitions + stored responses -> published figures: overall, per period, per segment.

For each metric: read only the columns it needs (`ResponseStore.frame`),
compute with `sitegen.metrics` under the rule of `sitegen.privacy` (small
groups hidden; on an anonymous survey, only complete periods, frozen when
they close), so nothing leaves this module that the rule would hide. Which
kinds are exempt (counts and response rates on surveys that are not
anonymous, figures from data files) their `sitegen.metric_kinds` entry says.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sitegen import metrics, privacy
from sitegen.answer_snapshots import AnswerSnapshots
from sitegen.cases import LOCATION_FIELD
from sitegen.edits import Judgement, judge
from sitegen.kept_counts import (
    FOLD_ROWS,
    REREAD,
    KeptCounts,
    KeptMetric,
    KeptNotExact,
    KeptSurvey,
    exact_sums,
    metric_key,
)
from sitegen.kept_figures import Fingerprints, KeptFigures, publication_from_json, publication_json, survey_fingerprint
from sitegen.metric_kinds import KINDS, Tables, comment_questions, kind_of
from sitegen.metrics import Figure, Measure, control_charts
from sitegen.metrics.control_charts import ChartPoint
from sitegen.metrics.cube import added_cubes, counts_cube
from sitegen.models.scorecard import BaseMetric, NpsMetric, Scorecard, SurveyMetric
from sitegen.models.survey import Survey
from sitegen.privacy import Cell
from sitegen.question_types import type_of
from sitegen.rereading import fields_to_read, reread
from sitegen.site import Site
from sitegen.store import Field, ResponseStore
from sitegen.store.responses import FieldKind, decoded_frame

COMMENTS_SHOWN = 10


@dataclass(frozen=True)
class Comment:
    """A respondent's own words (always escaped where shown), with the period it came in; on a survey that is
    not anonymous also the score given and the location, so staff know where to act (the case inbox answers)."""

    period: str
    text: str
    score: int | None = None
    location: str | None = None


@dataclass(frozen=True)
class MetricFigures:
    """Everything a scorecard shows about one metric."""

    metric: BaseMetric
    overall: Cell
    periods: list[Cell]
    segments: dict[str, list[Cell]]
    status: str | None
    control: tuple[ChartPoint, ...] = ()
    """The control chart of `periods`, point for point (empty for kinds not drawn on one)."""
    comments: list[Comment] = field(default_factory=list)
    latest_period: str = ""
    latest_segments: dict[str, list[Cell]] = field(default_factory=dict)
    """The breakdowns of `latest_period` (the latest complete period) alone, beside `segments` over all periods."""
    is_anonymous: bool = False
    """Its survey is anonymous: all-periods figures are made only of published complete periods (`sitegen.privacy`)."""
    meaning_changed: str | None = None
    """The period its question's meaning changed in (a recode or `recode: none`): limits restart there."""

    @property
    def latest(self) -> Cell | None:
        """The latest complete period (the headline's), not the one still running."""
        return next((cell for cell in reversed(self.periods) if not cell.partial), None)

    @property
    def latest_point(self) -> ChartPoint | None:
        """The control chart's point of the latest complete period."""
        latest = self.latest
        return next((point for point in self.control if latest and point.period == latest.key), None)

    @property
    def assessment(self) -> str | None:
        """What the control chart says of the latest complete period, in the metric's own direction.

        `improving` or `worsening` when a signal rule fires there, `no_signal`
        when it lies within ordinary variation, `no_limits` while there are
        fewer than 8 baseline periods; None for a kind with no chart or a
        latest period with no published figure.
        """
        point = self.latest_point
        if point is None or point.value is None:
            return None
        if point.limits is None:
            return "no_limits"
        if point.signal is None:
            return "no_signal"
        return "improving" if point.signal.direction == self.metric.direction else "worsening"


MetricReady = Callable[[str, MetricFigures], None]
"""Told (scorecard id, figures) of each metric as soon as it is computed."""


@dataclass(frozen=True)
class LatestAnswer:
    """The newest answer a scorecard's figures count: when they were computed, told by their inputs (a rebuild of
    the same store and day says the same), not by the clock of the build."""

    moment: dt.datetime
    has_time: bool
    """False when it is an anonymous survey's, which keeps only the day (`sitegen.answers.kept_moment`)."""


@dataclass(frozen=True)
class ScorecardFigures:
    """A scorecard's metrics computed from `responses` stored responses submitted up to the `as_of` day."""

    scorecard: Scorecard
    metrics: list[MetricFigures]
    responses: int
    as_of: dt.date
    latest_answer: LatestAnswer | None = None

    @property
    def latest_complete(self) -> str:
        """The label of the period before the one `as_of` is in: the period headlines and targets speak of."""
        return metrics.previous_period(metrics.period_label(self.as_of, self.scorecard.period))

    def metric(self, metric_id: str) -> MetricFigures | None:
        return next((figures for figures in self.metrics if figures.metric.id == metric_id), None)


# ---- reading responses ---------------------------------------------------------------------------


def _field_kind(survey: Survey, question_id: str) -> FieldKind:
    question = survey.question(question_id)
    return type_of(question).store_kind if question is not None else "text"


def _segment_field(survey: Survey, segment: str) -> Field:
    if survey.question(segment) is not None:
        return Field(segment, "answers", segment, _field_kind(survey, segment))
    return Field(segment, "meta", segment, "text")


def fields_for(metric: SurveyMetric, survey: Survey) -> list[Field]:
    """The columns a metric reads from its survey's responses."""
    wanted: list[Field] = [_segment_field(survey, segment) for segment in metric.segments]
    return wanted + [
        Field(question_id, "answers", question_id, _field_kind(survey, question_id))
        for question_id in kind_of(metric).answers_read(metric, survey)
    ]


@dataclass(frozen=True)
class Responses:
    """The surveys' tables a build computes from, every answer in its question's current meaning."""

    frames: dict[str, pd.DataFrame]
    changed: dict[str, dict[str, dt.datetime]] = field(default_factory=dict)
    """Survey id -> question id -> the first answer of the question's current meaning, where older answers are
    recoded or left out (`sitegen.edits`): control limits restart there and the trend chart marks it."""
    cases: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Survey id -> its cases (`sitegen.store.cases`), for the kinds that read them."""
    invitations: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Survey id -> its invitations sent (`sitegen.store.invitations`), for the metrics that count them."""
    kept: dict[str, KeptSurvey] = field(default_factory=dict)
    """Survey id -> the sums kept of its older rows (`sitegen.kept_counts`): its frame holds only the rows after
    them."""


def read_frames(
    store: ResponseStore,
    scorecards: Sequence[Scorecard],
    surveys: Mapping[str, Survey],
    snapshots: AnswerSnapshots | None = None,
    kept: Kept | None = None,
    whole: Collection[str] = (),
    judgements: Mapping[str, Judgement] | None = None,
) -> Responses:
    """One table per survey the scorecards use, read once for all of them, with only the columns their metrics need,
    old answers read through the renames and recodes the survey file declares; through `snapshots` if given (the
    same tables, read faster); with `kept`, a survey whose every metric is a sum of its rows is read only from
    where the sums kept of it end (`sitegen.kept_counts`), unless it is among the surveys to be read `whole`.
    With `judgements`, only the surveys judged there are read (those whose figures were not all kept)."""
    wanted = _fields_wanted(scorecards, surveys)
    judged = (
        judgements if judgements is not None else {survey_id: judge(surveys[survey_id], store) for survey_id in wanted}
    )
    frames, changed, kept_surveys = {}, {}, {}
    cases = {
        metric.survey: store.cases.frame(metric.survey)
        for scorecard in scorecards
        for metric in scorecard.metrics
        if isinstance(metric, SurveyMetric) and kind_of(metric).reads_cases and metric.survey in judged
    }
    invitations = {
        metric.survey: store.invitations.frame(metric.survey)
        for scorecard in scorecards
        for metric in scorecard.metrics
        if isinstance(metric, SurveyMetric) and kind_of(metric).reads_invitations(metric) and metric.survey in judged
    }
    for survey_id, judgement in sorted(judged.items()):
        columns = wanted[survey_id]
        fields = [columns[name] for name in sorted(columns)]
        read = fields_to_read(fields, judgement)
        if kept is not None and _keepable(survey_id, scorecards, surveys[survey_id]):

            def prepare(frame: pd.DataFrame, fields: list[Field] = fields, judgement: Judgement = judgement) -> Any:
                return reread(frame, fields, judgement)

            survey = surveys[survey_id]
            reading = Reading(store, survey_id, read, prepare, snapshots, survey_id in whole)
            survey_kept = kept.read(reading, judgement, scorecards, survey)
            kept_surveys[survey_id] = survey_kept
            frames[survey_id] = survey_kept.frame
        else:
            frame = store.frame(survey_id, read) if snapshots is None else snapshots.frame(store, survey_id, read)
            frames[survey_id] = reread(frame, fields, judgement)
        changed[survey_id] = judgement.changed
    return Responses(frames, changed, cases, invitations, kept_surveys)


def _fields_wanted(scorecards: Sequence[Scorecard], surveys: Mapping[str, Survey]) -> dict[str, dict[str, Field]]:
    """Per survey the scorecards use, the columns their metrics read, by name."""
    wanted: dict[str, dict[str, Field]] = {}
    for scorecard in scorecards:
        for metric in scorecard.metrics:
            if isinstance(metric, SurveyMetric):
                columns = wanted.setdefault(metric.survey, {})
                columns.update({column.name: column for column in fields_for(metric, surveys[metric.survey])})
    return wanted


def _metrics_on(survey_id: str, scorecards: Sequence[Scorecard]) -> list[tuple[Scorecard, SurveyMetric]]:
    return [
        (scorecard, metric)
        for scorecard in scorecards
        for metric in scorecard.metrics
        if isinstance(metric, SurveyMetric) and metric.survey == survey_id
    ]


def _keepable(survey_id: str, scorecards: Sequence[Scorecard], survey: Survey) -> bool:
    """Whether every metric on the survey is made of sums of its responses one by one, or reads none of them."""
    for _, metric in _metrics_on(survey_id, scorecards):
        rows = kind_of(metric).rows
        if rows == "whole" or (rows == "each" and not measure_for(metric, survey, "UTC").summed):
            return False
    return True


@dataclass(frozen=True)
class Kept:
    """The kept counts (`sitegen.kept_counts`) as a build uses them: the folder, the site's timezone and the end
    of the as-of day."""

    counts: KeptCounts
    timezone: str
    until: pd.Timestamp

    def read(
        self, reading: Reading, judgement: Judgement, scorecards: Sequence[Scorecard], survey: Survey
    ) -> KeptSurvey:
        """The survey's kept sums and its rows after them; on a first build its older rows to add in (`older`)
        and the rows after them; when neither can be exact, all its rows and nothing kept."""
        survey_id, fields = reading.survey_id, reading.fields
        each = sorted(
            metric_key(scorecard.period, metric)
            for scorecard, metric in _metrics_on(survey_id, scorecards)
            if kind_of(metric).rows == "each"
        )
        readings = sorted((version_question, repr(meaning)) for version_question, meaning in judgement.readings.items())
        key = hashlib.sha256(
            "\x00".join([repr(survey), repr(fields), repr(readings), self.timezone, *each]).encode("utf-8")
        ).hexdigest()
        found = None
        if not reading.whole:
            found = self.counts.read(reading.store, survey_id, fields, key, self.until, frozenset(each))
            found = found or self._to_fold(reading, key, frozenset(each))
        if found is None:
            before = reading.store.changes()
            found = KeptSurvey.first(survey_id, key, before, reading.whole_frame(), frozenset(each))
        found.frame = reading.prepare(found.frame)
        return found

    def _to_fold(self, reading: Reading, key: str, each: frozenset[str]) -> KeptSurvey | None:
        """A first build's reading: the rows from a day before the latest on now, the older ones in windows of
        about `FOLD_ROWS` to add into the kept sums; None when there is nothing older, or the as-of day is before it."""
        store, survey_id = reading.store, reading.survey_id
        before = store.changes()
        counted = store.version_counts(survey_id)
        if not counted:
            return None
        first = pd.Timestamp(min(version.first for version in counted if version.first is not None))
        cut = pd.Timestamp(max(version.last for version in counted if version.last is not None)) - REREAD
        if cut <= first or cut >= self.until:
            return None
        tail = decoded_frame(store.encoded_frame(survey_id, reading.fields, cut.to_pydatetime()), reading.fields)
        windows = max(1, math.ceil(sum(version.count for version in counted) / FOLD_ROWS))
        edges = [None, *pd.date_range(first, cut, periods=windows + 1)[1:-1], cut]

        def older() -> Iterator[pd.DataFrame]:
            for start, end in itertools.pairwise(edges):
                part = store.encoded_frame(survey_id, reading.fields, _moment(start), _moment(end))
                yield reading.prepare(decoded_frame(part, reading.fields))

        def verify(rows: int) -> bool:
            return rows + len(tail) == store.count(survey_id) and store.changes() == before

        return KeptSurvey(survey_id, key, before, tail, each, older=older, verify=verify)


def _moment(moment: pd.Timestamp | None) -> dt.datetime | None:
    return None if moment is None else moment.to_pydatetime()


@dataclass(frozen=True)
class Reading:
    """How one survey's rows are read: from which store, which fields, made ready by `prepare` (the renames and
    recodes of old versions), whole through `snapshots` when it comes to that, or only whole (`whole`)."""

    store: ResponseStore
    survey_id: str
    fields: list[Field]
    prepare: Callable[[pd.DataFrame], pd.DataFrame]
    snapshots: AnswerSnapshots | None
    whole: bool

    def whole_frame(self) -> pd.DataFrame:
        if self.snapshots is None:
            return self.store.frame(self.survey_id, self.fields)
        return self.snapshots.frame(self.store, self.survey_id, self.fields)


# ---- computing --------------------------------------------------------------------------------


def measure_for(metric: BaseMetric, survey: Survey | None, timezone: str) -> Measure:
    """The metrics module's measure for a scorecard metric."""
    return kind_of(metric).measure(metric, survey, timezone)


def _is_exempt(metric: BaseMetric, survey: Survey | None) -> bool:
    """Counts about the business (not anonymous) and data-file metrics are never suppressed."""
    return kind_of(metric).is_exempt(survey)


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


def chart_name(metric: BaseMetric) -> str | None:
    """The control chart a metric is judged on: its kind's, unless `control: {chart: ...}` names another."""
    settings = metric.control
    if settings is not None and settings.chart is not None:
        return settings.chart
    return kind_of(metric).control_chart


def control_points(metric: BaseMetric, periods: Sequence[Cell], changed: str | None = None) -> tuple[ChartPoint, ...]:
    """The control chart of a metric's published periods (suppressed ones are gaps), as `metric.control` sets it;
    its limits restart at `changed`, the period its question's meaning changed in."""
    entry, settings = kind_of(metric), metric.control
    chart = chart_name(metric)
    if chart is None:
        return ()
    observations = [
        control_charts.observation(
            cell.key, cell.value if cell.is_published else None, cell.n, cell.extra, entry.answer_variance
        )
        for cell in periods
    ]
    control = (
        control_charts.Control(settings.from_, settings.to, tuple(settings.breaks))
        if settings
        else control_charts.Control()
    )
    if changed is not None and changed not in control.breaks:
        control = dataclasses.replace(control, breaks=tuple(sorted((*control.breaks, changed))))
    partial = next((cell.key for cell in periods if cell.partial), None)
    return control_charts.control_chart(observations, control_charts.CHARTS[chart], control, partial)


def _comment_texts(frame: pd.DataFrame, metric: NpsMetric, survey: Survey, first: int = 0) -> pd.DataFrame:
    """The free-text comments of detractors (0-6), oldest first: `period`, `order` (the response's place among all
    the survey's, its first row being `first`), `given_score`, `given_location`, `text`."""
    columns = comment_questions(survey, metric)
    if not columns or frame.empty:
        return pd.DataFrame(columns=list(COMMENT_COLUMNS))
    scores = pd.to_numeric(frame[metric.question], errors="coerce")
    detractors = frame.assign(order=np.arange(first, first + len(frame)), given_score=scores)[(scores <= 6).to_numpy()]
    detractors = detractors.assign(given_location=detractors.get(LOCATION_FIELD))
    texts = detractors.melt(
        id_vars=["period", "order", "given_score", "given_location"], value_vars=columns, value_name="text"
    ).dropna(subset=["text"])
    # The store gives responses oldest first, ties by id; several comments of one response keep the questions' order.
    texts = texts[texts["text"].astype(str).str.strip() != ""].sort_values("order", kind="stable")
    return texts[list(COMMENT_COLUMNS)].reset_index(drop=True)


COMMENT_COLUMNS = ("period", "order", "given_score", "given_location", "text")


def _comments(texts: pd.DataFrame, survey: Survey, minimum: int, count: int) -> list[Comment]:
    """The latest of the comments `texts` (oldest first, `count` of them in all), newest first; on an anonymous
    survey the words only, and only once there are enough of them."""
    newest = texts.sort_values("order", ascending=False, kind="stable").head(COMMENTS_SHOWN)
    if survey.is_anonymous:
        return [Comment(str(row.period), str(row.text)) for row in newest.itertuples()] if count >= minimum else []
    return [
        Comment(str(row.period), str(row.text), int(cast(float, row.given_score)), _text_or_none(row.given_location))
        for row in newest.itertuples()
    ]


def _text_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class _Counted:
    """A metric's measure and what `privacy.publish` reads: the rows (or cube cells) and their tally."""

    measure: Measure
    cells: pd.DataFrame
    tally: pd.DataFrame


def _counted(metric: BaseMetric, table: pd.DataFrame, measure: Measure, kept: KeptSurvey | None, key: str) -> _Counted:
    """The measure's tally of the table, added up per (period, segment values) where it is summed, with the sums
    kept of older rows added and this build's share of them gathered for the next."""
    if not measure.summed:
        return _Counted(measure, table, measure.tally(table))
    keys = ["period", *getattr(metric, "segments", [])]
    prior = kept.metrics.get(key) if kept is not None else None
    if kept is not None:
        measure = (measure if prior is None else measure.with_anchors(prior.anchors)).anchored(table)
    tally = measure.tally(table)
    cells, sums = counts_cube(table, tally, keys)
    if kept is None:
        return _Counted(measure, cells, sums)
    if not exact_sums(tally):
        if prior is not None:
            raise KeptNotExact(kept.survey_id)
        kept.exact = False
        return _Counted(measure, cells, sums)
    head = counts_cube(table.iloc[: kept.below], tally.iloc[: kept.below], keys)
    earlier = [] if prior is None else [(prior.cells, prior.sums)]
    kept.gather(key, KeptMetric(*added_cubes([*earlier, head], keys), measure.anchors()))
    if prior is not None:
        cells, sums = added_cubes([(prior.cells, prior.sums), (cells, sums)], keys)
    return _Counted(measure, cells, sums)


def _kept_comments(
    frame: pd.DataFrame, metric: NpsMetric, survey: Survey, kept: KeptSurvey | None, key: str
) -> pd.DataFrame:
    """The comments to choose from: the frame's, after those kept of older rows; the newest of each period up to
    the frame's `below` rows are gathered for the next build."""
    texts = _comment_texts(frame, metric, survey, kept.rows if kept is not None else 0)
    if kept is None:
        return texts
    prior = kept.metrics.get(key)
    earlier = prior.comments if prior is not None and prior.comments is not None else texts.iloc[:0]
    texts = pd.concat([earlier, texts], ignore_index=True) if len(earlier) else texts
    gathered = kept.gathered.get(key)
    if gathered is not None:
        head = texts[(texts["order"] < kept.rows + kept.below).to_numpy()]
        counts = dict(prior.comment_counts) if prior is not None else {}
        for period, n in head[(head["order"] >= kept.rows).to_numpy()]["period"].astype(str).value_counts().items():
            counts[str(period)] = counts.get(str(period), 0) + int(n)
        newest = head.groupby(head["period"].astype(str), sort=False).tail(COMMENTS_SHOWN)
        kept.gather(key, dataclasses.replace(gathered, comments=newest, comment_counts=counts))
    return texts


def compute_metric(
    metric: BaseMetric,
    frame: pd.DataFrame,
    survey: Survey | None,
    minimum: int,
    timezone: str,
    running: str,
    changed: str | None = None,
    kept: KeptSurvey | None = None,
    key: str = "",
) -> MetricFigures:
    """One metric's published figures from its survey's (or data file's) table, up to the `running` period.

    Periods run from the first with data to `running` (the one the as-of day
    is in), which is kept but marked partial. `changed` is the period its question's meaning changed in. With
    `kept`, the table holds only the newer rows and the sums kept of the older ones (by `key`) are added.
    """
    counted = _counted(metric, frame, measure_for(metric, survey, timezone), kept, key)
    labels = sorted(str(label) for label in counted.cells["period"].dropna().unique())
    periods = metrics.periods_between(labels[0], running) if labels else []
    anonymous = survey is not None and survey.is_anonymous
    rule: privacy.Rule = "exempt" if _is_exempt(metric, survey) else "anonymous" if anonymous else "small_groups"
    segments: list[str] = getattr(metric, "segments", [])
    cells = privacy.publish(
        counted.cells,
        counted.measure,
        counted.tally,
        periods=periods,
        running=running,
        segments=segments,
        minimum=minimum,
        rule=rule,
    )
    return metric_figures(
        metric, cells, _metric_comments(metric, frame, survey, minimum, running, kept, key), survey, changed
    )


def metric_figures(
    metric: BaseMetric, cells: privacy.Publication, comments: list[Comment], survey: Survey | None, changed: str | None
) -> MetricFigures:
    """A metric's figures from its published cells and comments: its target's status and control chart added."""
    anonymous = survey is not None and survey.is_anonymous
    complete = [cell for cell in cells.periods if not cell.partial]
    return MetricFigures(
        metric=metric,
        overall=cells.overall,
        periods=cells.periods,
        segments=cells.segments,
        status=_status(metric, complete),
        control=control_points(metric, cells.periods, changed),
        comments=comments,
        latest_period=cells.latest_period,
        latest_segments=cells.latest_segments,
        is_anonymous=anonymous,
        meaning_changed=changed,
    )


def _metric_comments(
    metric: BaseMetric,
    frame: pd.DataFrame,
    survey: Survey | None,
    minimum: int,
    running: str,
    kept: KeptSurvey | None,
    key: str,
) -> list[Comment]:
    """An NPS metric's comments; on an anonymous survey they too wait for their period to close."""
    if not isinstance(metric, NpsMetric) or survey is None:
        return []
    texts = _kept_comments(frame, metric, survey, kept, key)
    prior = kept.metrics.get(key) if kept is not None else None
    counts = dict(prior.comment_counts) if prior is not None else {}
    fresh = texts[(texts["order"] >= (kept.rows if kept is not None else 0)).to_numpy()]
    if survey.is_anonymous:
        texts, fresh = (part[(part["period"].astype(str) != running).to_numpy()] for part in (texts, fresh))
        counts.pop(running, None)
    return _comments(texts, survey, minimum, len(fresh) + sum(counts.values()))


def _end_of_day(as_of: dt.date, timezone: str) -> pd.Timestamp:
    """The midnight that ends the `as_of` day in `timezone`, in UTC."""
    return pd.Timestamp(as_of + dt.timedelta(days=1)).tz_localize(timezone).tz_convert("UTC")


def _until(frame: pd.DataFrame, column: str, as_of: dt.date, timezone: str) -> pd.DataFrame:
    """The rows whose `column` instant falls on or before the `as_of` day in `timezone`, so a past day rebuilds."""
    return frame[(frame[column] < _end_of_day(as_of, timezone)).to_numpy()]


def compute_scorecard(
    scorecard: Scorecard,
    responses: Responses,
    surveys: Mapping[str, Survey],
    project_root: Path,
    minimum: int,
    timezone: str,
    as_of: dt.date,
    on_metric: MetricReady | None = None,
    kept_figures: KeptFigures | None = None,
) -> ScorecardFigures:
    """Every metric of a scorecard as of a day, from the surveys' tables (`read_frames`) and the data files.

    Responses (and orders) after the `as_of` day are left out of every figure. `on_metric` is told of each
    metric as soon as its figures are ready, so its charts are drawn while the next metrics are computed. With
    `kept_figures`, a metric whose inputs are as a build kept its figures under is not computed again.
    """
    running = metrics.period_label(as_of, scorecard.period)
    tables = _scorecard_tables(scorecard, responses.frames, responses, project_root, timezone, as_of)
    frames = tables.responses
    used = sorted({metric.survey for metric in scorecard.metrics if isinstance(metric, SurveyMetric)})
    for survey_id, survey_kept in responses.kept.items():
        if survey_id in frames and len(frames[survey_id]) < len(responses.frames[survey_id]):
            survey_kept.saving = False  # answers after the as-of day are left out: these are not the rows' sums
    figures = []
    for metric in scorecard.metrics:
        survey = surveys[metric.survey] if isinstance(metric, SurveyMetric) else None
        changed = _meaning_changed(metric, responses.changed, as_of, scorecard, timezone)
        fingerprint = (
            kept_figures.fingerprints.metric(scorecard.period, metric, running, changed) if kept_figures else None
        )
        found = kept_figures.get(fingerprint) if kept_figures else None
        if found is not None:
            figures.append(_from_kept(metric, found, survey, changed))
        else:
            kept = responses.kept.get(metric.survey) if isinstance(metric, SurveyMetric) else None
            kept = kept if kind_of(metric).rows == "each" else None
            key = metric_key(scorecard.period, metric)
            table = kind_of(metric).table(metric, tables)
            figures.append(compute_metric(metric, table, survey, minimum, timezone, running, changed, kept, key))
            if kept_figures is not None:
                kept_figures.put(fingerprint, _to_keep(figures[-1]))
        if on_metric is not None:
            on_metric(scorecard.id, figures[-1])
    counted = [_survey_counted(survey_id, tables.responses, responses, surveys, kept_figures) for survey_id in used]
    return ScorecardFigures(
        scorecard,
        figures,
        sum(count for count, _ in counted),
        as_of,
        max(
            (latest for _, latest in counted if latest),
            key=lambda answer: (answer.moment, answer.has_time),
            default=None,
        ),
    )


def _to_keep(figures: MetricFigures) -> dict[str, Any]:
    """What `sitegen.kept_figures` keeps of a metric: its published cells and comments (the rest follows from them)."""
    cells = privacy.Publication(*(getattr(figures, name) for name in PUBLISHED))
    comments = [dataclasses.asdict(comment) for comment in figures.comments]
    return {"cells": publication_json(cells), "comments": comments}


def _from_kept(
    metric: BaseMetric, found: Mapping[str, Any], survey: Survey | None, changed: str | None
) -> MetricFigures:
    comments = [Comment(**item) for item in found["comments"]]
    return metric_figures(metric, publication_from_json(found["cells"]), comments, survey, changed)


PUBLISHED = ("overall", "periods", "segments", "latest_period", "latest_segments")
"""The fields of `MetricFigures` that are its `privacy.Publication`, in its order."""


def _survey_counted(
    survey_id: str,
    frames: Mapping[str, pd.DataFrame],
    responses: Responses,
    surveys: Mapping[str, Survey],
    kept_figures: KeptFigures | None,
) -> tuple[int, LatestAnswer | None]:
    """How many of a survey's responses the scorecard counts and the newest of them: from its table when it was
    read, kept with the figures when not (the same, since its inputs are the same)."""
    fingerprint = kept_figures.fingerprints.surveys.get(survey_id) if kept_figures else None
    if survey_id not in frames:
        found = kept_figures.get(fingerprint) if kept_figures else None
        if found is None:
            raise KeyError(survey_id)
        latest = found["latest"]
        return int(found["responses"]), None if latest is None else LatestAnswer(
            dt.datetime.fromisoformat(latest[0]), latest[1]
        )
    frame = frames[survey_id]
    count = len(frame) + (responses.kept[survey_id].rows if survey_id in responses.kept else 0)
    latest = _latest_answer({survey_id: frame}, surveys)
    if kept_figures is not None:
        moment = None if latest is None else [latest.moment.isoformat(), latest.has_time]
        kept_figures.put(fingerprint, {"responses": count, "latest": moment})
    return count, latest


def _scorecard_tables(
    scorecard: Scorecard,
    frames: Mapping[str, pd.DataFrame],
    responses: Responses,
    project_root: Path,
    timezone: str,
    as_of: dt.date,
) -> Tables:
    """What the scorecard's metrics' tables are made from: the surveys' `frames` it uses, cut at the as-of day and
    labelled with its periods, the data files, cases and invitations."""
    used = {metric.survey for metric in scorecard.metrics if isinstance(metric, SurveyMetric)}

    def with_periods(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        frame = _until(frame, column, as_of, timezone)
        return frame.assign(period=metrics.period_labels(frame[column], scorecard.period, timezone))

    return Tables(
        {survey_id: with_periods(frame, "submitted_at") for survey_id, frame in frames.items() if survey_id in used},
        project_root,
        timezone,
        with_periods,
        responses.cases,
        _end_of_day(as_of, timezone),
        responses.invitations,
    )


def _fold_older(
    kept: KeptSurvey,
    responses: Responses,
    scorecards: Sequence[Scorecard],
    surveys: Mapping[str, Survey],
    project_root: Path,
    timezone: str,
    as_of: dt.date,
) -> None:
    """Add the survey's rows before the cut into its kept sums, one window of time at a time (a first build that
    never holds every row), then check they were all the store had before the cut."""
    survey = surveys[kept.survey_id]
    for window in kept.older() if kept.older is not None else ():
        kept.below = len(window)
        for scorecard in scorecards:
            counted = [
                metric for on, metric in _metrics_on(kept.survey_id, [scorecard]) if kind_of(metric).rows == "each"
            ]
            if not counted:
                continue
            tables = _scorecard_tables(scorecard, {kept.survey_id: window}, responses, project_root, timezone, as_of)
            for metric in counted:
                key = metric_key(scorecard.period, metric)
                _counted(
                    metric, kind_of(metric).table(metric, tables), measure_for(metric, survey, timezone), kept, key
                )
                if isinstance(metric, NpsMetric):
                    _kept_comments(tables.responses[kept.survey_id], metric, survey, kept, key)
        kept.absorb(window)
    kept.check_folded()


def _latest_answer(frames: Mapping[str, pd.DataFrame], surveys: Mapping[str, Survey]) -> LatestAnswer | None:
    """The newest of the answers counted (a timed one wins a tie with an anonymous survey's day)."""
    latest = [
        LatestAnswer(frame["submitted_at"].max().to_pydatetime(), not surveys[survey_id].is_anonymous)
        for survey_id, frame in frames.items()
        if len(frame)
    ]
    return max(latest, key=lambda answer: (answer.moment, answer.has_time), default=None)


def _meaning_changed(
    metric: BaseMetric,
    changed: Mapping[str, Mapping[str, dt.datetime]],
    as_of: dt.date,
    scorecard: Scorecard,
    timezone: str,
) -> str | None:
    """The period the meaning of a metric's questions last changed in, if that was on or before the `as_of` day
    (`changed`: `Responses.changed`)."""
    if not isinstance(metric, SurveyMetric):
        return None
    changes = changed.get(metric.survey, {})
    moments = [changes[question] for question in _questions_of(metric) if question in changes]
    if not moments:
        return None
    moment = pd.Timestamp(max(moments))
    labels = metrics.period_labels(pd.Series([moment]), scorecard.period, timezone)
    return str(labels.iloc[0]) if moment.tz_convert(timezone).date() <= as_of else None


def _questions_of(metric: SurveyMetric) -> list[str]:
    return [str(getattr(metric, key)) for key in kind_of(metric).questions if getattr(metric, key, None)]


# ---- data files ------------------------------------------------------------------------------


def _published(cell: Cell, key_name: str | None, kind: str) -> dict[str, Any]:
    """A cell as the data files show it: a suppressed or pending cell keeps only its key; no answers is n 0."""
    head = {key_name: cell.key} if key_name else {}
    tail = {"partial": True} if cell.partial else {}
    if cell.suppressed:
        return {**head, "value": None, "suppressed": True, **tail}
    if cell.pending:
        return {**head, "value": None, **tail, "pending": True}
    row: dict[str, Any] = {**head, "value": cell.value, "n": cell.n}
    if cell.moe is not None:
        row["moe"] = cell.moe
    if cell.low is not None and cell.high is not None:
        row["low"], row["high"] = cell.low, cell.high
    row.update({name: cell.extra[name] for name in KINDS[kind].published_extras if name in cell.extra})
    return {**row, **tail}


def _period_json(cell: Cell, point: ChartPoint | None, kind: str) -> dict[str, Any]:
    """A period as the data files show it, with its control limits and signal where it is published."""
    row = _published(cell, "period", kind)
    if point is None or cell.suppressed or cell.pending:
        return row
    limits = point.limits
    row["limits"] = None if limits is None else {"centre": limits.centre, "lower": limits.lower, "upper": limits.upper}
    signal = point.signal
    row["signal"] = None if signal is None else {"direction": signal.direction, "rule": signal.rule}
    return row


def _control_json(figures: MetricFigures) -> dict[str, Any]:
    """The chart a metric is judged on, the periods its limits come from, and the verdict on the latest one."""
    return {
        "chart": chart_name(figures.metric),
        "baseline": [point.period for point in figures.control if point.in_baseline],
        "assessment": figures.assessment,
    }


def metric_json(figures: MetricFigures) -> dict[str, Any]:
    """One metric of `scorecard.json`, shaped as docs/DESIGN.md section 7 fixes it."""
    metric = figures.metric
    kind = kind_of(metric).name
    entry: dict[str, Any] = {"id": metric.id, "kind": kind}
    for key in ("survey", "question", "choice", "data"):
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
    points = figures.control or (None,) * len(figures.periods)
    entry["periods"] = [_period_json(cell, point, kind) for cell, point in zip(figures.periods, points, strict=True)]
    if figures.control:
        entry["control"] = _control_json(figures)
    entry["segments"] = {
        name: [_published(cell, "key", kind) for cell in cells] for name, cells in figures.segments.items()
    }
    entry["latest_period"] = figures.latest_period
    entry["latest_segments"] = {
        name: [_published(cell, "key", kind) for cell in cells] for name, cells in figures.latest_segments.items()
    }
    entry["anonymous"] = figures.is_anonymous
    if figures.meaning_changed is not None:
        entry["meaning_changed"] = figures.meaning_changed
    return entry


SCHEMA_VERSION = 2
"""The shape of `scorecard.json`: sitegen/schemas/scorecard.schema.json, described in docs/scorecard-json.md."""


def scorecard_json(figures: ScorecardFigures, title: str) -> bytes:
    """`scorecards/<id>/scorecard.json`: every published figure, nothing suppressed."""
    document = {
        "schema": SCHEMA_VERSION,
        "id": figures.scorecard.id,
        "title": title,
        "as_of": figures.as_of.isoformat(),
        "latest_complete": figures.latest_complete,
        "generated_from": {"responses": figures.responses},
        "metrics": [metric_json(metric) for metric in figures.metrics],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


CSV_FIGURES = ("value", "n", "moe", "low", "high", "p90")
CSV_LIMITS = ("centre", "lower", "upper")


def metric_csv(figures: MetricFigures) -> bytes:
    """`scorecards/<id>/<metric>.csv`: one row per cell (overall, periods, segments, `segment@latest period`)."""
    kind = kind_of(figures.metric).name
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["breakdown", "key", *CSV_FIGURES, "suppressed", "partial", "pending", *CSV_LIMITS, "signal"])
    points = figures.control or (None,) * len(figures.periods)
    rows = [("overall", _published(figures.overall, None, kind), figures.overall)]
    rows += [
        ("period", _period_json(cell, point, kind), cell) for cell, point in zip(figures.periods, points, strict=True)
    ]
    rows += [(name, _published(cell, None, kind), cell) for name, cells in figures.segments.items() for cell in cells]
    latest = figures.latest_period
    rows += [
        (f"{name}@{latest}", _published(cell, None, kind), cell)
        for name, cells in figures.latest_segments.items()
        for cell in cells
    ]
    for breakdown, published, cell in rows:
        limits, signal = published.get("limits") or {}, published.get("signal") or {}
        writer.writerow(
            [breakdown, cell.key]
            + [_csv_number(published.get(name)) for name in CSV_FIGURES]
            + ["yes" if flag else "" for flag in (cell.suppressed, cell.partial, cell.pending)]
            + [_csv_number(limits.get(name)) for name in CSV_LIMITS]
            + [f"{signal['direction']} {signal['rule']}" if signal else ""]
        )
    return buffer.getvalue().encode("utf-8")


def _csv_number(number: Any) -> str:
    return "" if number is None else repr(float(number)) if isinstance(number, float) else str(number)


def compute_scorecards(site: Site, as_of: dt.date, on_metric: MetricReady | None = None) -> dict[str, ScorecardFigures]:
    """The figures of every scorecard of a site as of a day (in the site's timezone), by scorecard id."""
    if not site.scorecards:
        return {}
    config = site.config.model
    surveys = {source.model.id: source.model for source in site.surveys}
    scorecards = [source.model for source in site.scorecards]
    snapshots = AnswerSnapshots.open(site.files.root / config.answer_cache, site.files.output)
    kept = Kept(KeptCounts(snapshots.folder), config.timezone, _end_of_day(as_of, config.timezone))
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        responses, figures = _computed(store, site, scorecards, surveys, snapshots, kept, as_of, on_metric)
    for survey_kept in responses.kept.values():
        kept.counts.save(survey_kept)
    return figures


def _computed(
    store: ResponseStore,
    site: Site,
    scorecards: Sequence[Scorecard],
    surveys: Mapping[str, Survey],
    snapshots: AnswerSnapshots,
    kept: Kept,
    as_of: dt.date,
    on_metric: MetricReady | None,
) -> tuple[Responses, dict[str, ScorecardFigures]]:
    """Every scorecard's figures, through the snapshots and kept counts; a survey whose kept counts turn out not to
    give them exactly (`KeptNotExact`: answers that are not whole numbers, a row that came in late below the cut) is
    read whole and all is computed again."""
    config = site.config.model
    judgements = {survey_id: judge(surveys[survey_id], store) for survey_id in _fields_wanted(scorecards, surveys)}
    kept_figures = KeptFigures.open(
        snapshots.folder, _fingerprints(store, site, surveys, judgements, kept.until, as_of)
    )
    to_read = {
        survey_id: judgement
        for survey_id, judgement in judgements.items()
        if not kept_figures.has(
            _inputs_of(survey_id, scorecards, judgements, kept_figures.fingerprints, as_of, config.timezone)
        )
    }
    whole: set[str] = set()
    while True:
        responses = read_frames(store, scorecards, surveys, snapshots, kept, whole, to_read)
        responses.changed.update({survey_id: judgement.changed for survey_id, judgement in judgements.items()})
        try:
            for survey_kept in responses.kept.values():
                if survey_kept.older is not None:
                    _fold_older(survey_kept, responses, scorecards, surveys, site.files.root, config.timezone, as_of)
            figures = _all_scorecards(site, scorecards, responses, surveys, as_of, on_metric, kept_figures)
            kept_figures.save()
            return responses, figures
        except KeptNotExact as inexact:
            kept.counts.path(inexact.survey_id).unlink(missing_ok=True)
            whole.add(inexact.survey_id)


def _fingerprints(
    store: ResponseStore,
    site: Site,
    surveys: Mapping[str, Survey],
    judgements: Mapping[str, Judgement],
    until: pd.Timestamp,
    as_of: dt.date,
) -> Fingerprints:
    config = site.config.model
    return Fingerprints(
        {
            survey_id: survey_fingerprint(store, surveys[survey_id], judgement, until)
            for survey_id, judgement in judgements.items()
        },
        (config.privacy.min_group_size, config.timezone),
        (as_of, store.cases.step_count(), store.invitations.sent_count()),
        site.files.root,
    )


def _inputs_of(
    survey_id: str,
    scorecards: Sequence[Scorecard],
    judgements: Mapping[str, Judgement],
    fingerprints: Fingerprints,
    as_of: dt.date,
    timezone: str,
) -> list[str | None]:
    """The fingerprints of everything a build takes from a survey: its count and latest answer, its metrics."""
    changes = {other: judgement.changed for other, judgement in judgements.items()}
    found = [fingerprints.surveys.get(survey_id)]
    for scorecard, metric in _metrics_on(survey_id, scorecards):
        running = metrics.period_label(as_of, scorecard.period)
        changed = _meaning_changed(metric, changes, as_of, scorecard, timezone)
        found.append(fingerprints.metric(scorecard.period, metric, running, changed))
    return found


def _all_scorecards(
    site: Site,
    scorecards: Sequence[Scorecard],
    responses: Responses,
    surveys: Mapping[str, Survey],
    as_of: dt.date,
    on_metric: MetricReady | None,
    kept_figures: KeptFigures | None = None,
) -> dict[str, ScorecardFigures]:
    """Every scorecard's figures, in the scorecards' order; those that read answers are computed first, so the
    charts of figures that changed start drawing (on the other core) before the kept figures are taken."""
    config = site.config.model
    reading_first = sorted(scorecards, key=lambda scorecard: not _reads_answers(scorecard, responses))
    computed = {
        scorecard.id: compute_scorecard(
            scorecard,
            responses,
            surveys,
            site.files.root,
            config.privacy.min_group_size,
            config.timezone,
            as_of,
            on_metric,
            kept_figures,
        )
        for scorecard in reading_first
    }
    return {scorecard.id: computed[scorecard.id] for scorecard in scorecards}


def _reads_answers(scorecard: Scorecard, responses: Responses) -> bool:
    """Whether a metric of the scorecard is on a survey whose answers this build reads (not all kept)."""
    return any(isinstance(metric, SurveyMetric) and metric.survey in responses.frames for metric in scorecard.metrics)


def scorecards_key(site: Site, as_of: dt.date) -> str:
    """What the figures are made from: scorecards, surveys, data files, settings, the day, the store's watermark
    (how many responses and the latest, `ResponseStore.watermark`) and how many case steps (a case only gains
    steps, so their count changes with every one). `sitegen.refresh` recomputes when it changes."""
    if not site.scorecards:
        return ""
    config = site.config.model
    parts = [repr([source.model for source in site.scorecards]), repr([source.model for source in site.surveys])]
    parts += [config.store, config.timezone, str(config.privacy.min_group_size), as_of.isoformat()]
    for source in site.scorecards:
        for metric in source.model.metrics:
            if metric.data_file is not None:
                status = (site.files.root / metric.data_file).stat()
                parts.append(f"{metric.data_file}:{status.st_mtime_ns}:{status.st_size}")
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        parts.append(f"{store.watermark()}:{store.cases.step_count()}:{store.invitations.sent_count()}")
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
