"""Metric kinds: one entry per `kind:` of a scorecard metric, holding everything the rest of the code asks of it.

An entry names the kind's model, the questions it reads and the rules they
must meet, how its figures are measured and from which table, whether the
privacy rule exempts it, how pages name, format and chart it. `checks`,
`scorecards` and `render.scorecard_view` look the entry up (`kind_of`);
none of them matches a kind's name. It sits between the models and the
metrics: `sitegen check` reads it without loading pandas, so the measures
and data files are imported only where a figure is computed.

Adding a kind: its model in `models/scorecard.py` (and the `Metric` union),
its measure in `metrics/measures.py`, one entry in `KINDS` below, its name
in the catalogs (`scripts/update-catalogs`) and a row in README. A plugin's
kind joins the same registry (`register_kind`, docs/plugins.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from sitegen.cases import LOCATION_FIELD
from sitegen.errors import ProjectInvalid, SiteError
from sitegen.models.scorecard import (
    METRIC_MODELS,
    BaseMetric,
    CasesClosedMetric,
    CesMetric,
    CountMetric,
    CsatMetric,
    DurationMetric,
    MeanMetric,
    NpsMetric,
    RepeatRateMetric,
    ResponseRateMetric,
    Scorecard,
    ShareMetric,
    SurveyMetric,
    TimeToCloseMetric,
    TopBoxMetric,
)
from sitegen.models.survey import BaseQuestion, Survey
from sitegen.question_types import choice_ids, names_where, scale_bounds, type_of
from sitegen.refusals import N_

if TYPE_CHECKING:
    import pandas as pd

    from sitegen.metrics import Measure

ChartName = Literal["xmr", "xbar", "p", "c", "u"]
"""A chart kind of `sitegen.metrics.control_charts.CHARTS`.

NPS, means and CES go on the x-bar chart rather than the XmR chart: with a
12-period baseline the XmR chart flagged 28-33% of stable series in
`bench/signals` (goal 25%), the x-bar chart 20-21% (docs/statistics.md).
A metric may still ask for `xmr` (`control: {chart: xmr}`) where its
periods vary more than their answers explain.
"""
DATE_TYPES = names_where(lambda entry: entry.local_format is not None)
"""The types whose answers are a day or a moment: what a duration runs between."""


@dataclass(frozen=True)
class ValueFormat:
    """How a kind's values read on a page: a Babel number pattern, then a suffix or the metric's unit.

    `rounds` rounds before formatting, so an NPS of -0.4 reads 0, not -0.
    """

    pattern: str
    suffix: str = ""
    rounds: bool = False
    with_unit: bool = False


WHOLE = ValueFormat("#,##0", rounds=True)
NBSP = "\u00a0"
"""Between a number and its "%": a line never breaks there, leaving "%" alone on the next line."""
PERCENT = ValueFormat("#,##0", f"{NBSP}%")
RATE = ValueFormat("#,##0.0", f"{NBSP}%")
"""A percent with a decimal: response rates are a few percent, where a whole number says little."""
DECIMAL = ValueFormat("#,##0.00")
DURATION = ValueFormat("#,##0.0", with_unit=True)


@dataclass(frozen=True)
class Problem:
    """A kind's own rule that a metric breaks: the key below the metric it points at, and why."""

    key: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class SegmentRule:
    """What a kind's metric may break down by: `described` for messages, `known` the names a survey offers."""

    described: str
    known: Callable[[Survey], list[str]]


@dataclass(frozen=True)
class Tables:
    """What a metric's table is made from: the surveys' responses and the project's data files.

    Responses are cut at the as-of day and carry their `period`; `dated`
    does the same to a data file's frame (or `cases`) by one of its instant
    columns. `until` is the end of the as-of day: what happened later is not known yet.
    """

    responses: Mapping[str, pd.DataFrame]
    root: Path
    timezone: str
    dated: Callable[[pd.DataFrame, str], pd.DataFrame]
    cases: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    until: pd.Timestamp | None = None
    invitations: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    """Survey id -> its invitations sent (`InvitationStore.frame`), for the metrics whose kind reads them."""


def _survey_segments(survey: Survey) -> list[str]:
    choice_questions = [question.id for question in survey.questions if type_of(question).is_choice]
    return sorted({"stage", *survey.hidden, *choice_questions})


def _never(_survey: Survey | None) -> bool:
    return False


def _always(_survey: Survey | None) -> bool:
    return True


def _unless_anonymous(survey: Survey | None) -> bool:
    """A count about the business (complaints) is published whole; on an anonymous survey it is about people."""
    return survey is not None and not survey.is_anonymous


def _survey_responses(metric: SurveyMetric, tables: Tables) -> pd.DataFrame:
    return tables.responses[metric.survey]


def _no_checks(_metric: Any, _survey: Survey | None, _root: Path) -> Iterator[Problem | SiteError]:
    yield from ()


SURVEY_SEGMENTS = SegmentRule("a hidden field or choice question", _survey_segments)
CASE_SEGMENTS = SegmentRule(
    f"the '{LOCATION_FIELD}' hidden field", lambda survey: [LOCATION_FIELD] if LOCATION_FIELD in survey.hidden else []
)
"""A case is filed under its answer's location (`sitegen.cases.opening`), the one breakdown cases have."""


TableRows = Literal["each", "none", "whole"]
"""`each`: the table begins with one row per response, made from that response alone (any rows after it come
from elsewhere), so a summed kind's sums over older responses can be kept between builds (`sitegen.kept_counts`);
`none`: it reads no responses (cases, orders); `whole`: anything else, every response read every build."""


@dataclass(frozen=True)
class MetricKind:
    """Everything one metric kind is: see the module docstring for who asks what.

    `questions` maps the metric's keys that name a question to the question
    types they accept; `check` adds the kind's own rules once those hold.
    `measure(metric, survey, timezone)` builds the kind's measure, `table`
    the frame it is computed from (`reads_cases`: from the survey's cases,
    which the store then reads; `reads_invitations` likewise for a metric
    that counts invitations). `follow_ups` names further questions whose
    answers are read (the comments of NPS detractors). `published_extras`
    go into `scorecard.json` beside value and n.
    """

    model: type[BaseMetric]
    title: str
    axis_title: str
    value_format: ValueFormat
    measure: Callable[[Any, Survey | None, str], Measure]
    control_chart: ChartName | None = None
    questions: Mapping[str, Collection[str]] = field(default_factory=dict)
    check: Callable[[Any, Survey | None, Path], Iterator[Problem | SiteError]] = _no_checks
    segments: SegmentRule = SURVEY_SEGMENTS
    is_exempt: Callable[[Survey | None], bool] = _never
    table: Callable[[Any, Tables], pd.DataFrame] = _survey_responses
    table_rows: TableRows | None = None
    """How the table is made of the survey's responses (see `TableRows`); None: `each` for the default table,
    `whole` for any other, so that a plugin's table is never taken for one row per response by mistake."""
    reads_cases: bool = False
    reads_invitations: Callable[[Any], bool] = _never
    """Whether a metric of the kind counts the survey's invitations sent, which the store then reads."""
    follow_ups: Callable[[Survey, Any], list[str]] | None = None
    published_extras: tuple[str, ...] = ()
    shows_answer_groups: bool = False
    answer_variance: Callable[[float, int, Mapping[str, float]], float | None] | None = None
    """For a kind on the x-bar chart: the variance of one answer from a period's figure (`control_charts`)."""
    locales: Path | None = None
    """A plugin's folder of `<lang>.po` catalogs, translating its `title` among others."""

    @property
    def rows(self) -> TableRows:
        """`table_rows`, or what it defaults to."""
        if self.table_rows is not None:
            return self.table_rows
        return "each" if self.table is _survey_responses else "whole"

    @property
    def reads_responses_only(self) -> bool:
        """Whether the table is the survey's responses and nothing else (`sitegen.kept_figures`)."""
        return self.table is _survey_responses

    @property
    def has_builtin_table(self) -> bool:
        """Whether the table is one of this module's, which read nothing but the survey's responses, cases and
        invitations and the metric's `data_file`; a plugin's own table may read anything."""
        return self.table.__module__ == __name__

    @property
    def name(self) -> str:
        """The kind as scorecards spell it (`nps`): the model's `kind` literal."""
        literal: str = get_args(self.model.model_fields["kind"].annotation)[0]
        return literal

    def answers_read(self, metric: BaseMetric, survey: Survey) -> list[str]:
        """The question ids whose answers a metric of this kind reads, besides its segments."""
        named = [getattr(metric, key) for key in self.questions]
        return named + (self.follow_ups(survey, metric) if self.follow_ups else [])


# Answer variances for the x-bar chart, imported when asked for, as the measures below are -------------


def _nps_variance(value: float, n: int, extra: Mapping[str, float]) -> float | None:
    from sitegen.metrics.control_charts import nps_variance

    return nps_variance(value, n, extra)


def _mean_variance(value: float, n: int, extra: Mapping[str, float]) -> float | None:
    from sitegen.metrics.control_charts import mean_variance

    return mean_variance(value, n, extra)


# Measures (imported here, not above: `sitegen check` reads this module without pandas) -------------


def _nps_measure(metric: NpsMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import NpsMeasure

    return NpsMeasure(metric.question)


def _csat_measure(metric: CsatMetric, survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import CsatMeasure

    return CsatMeasure(metric.question, getattr(survey.question(metric.question), "points", 5))  # type: ignore[union-attr]


def _ces_measure(metric: CesMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import CesMeasure

    return CesMeasure(metric.question)


def _mean_measure(metric: MeanMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import MeanMeasure

    return MeanMeasure(metric.question, metric.choice)


def _share_measure(metric: ShareMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import ShareMeasure

    return ShareMeasure(metric.question, tuple(metric.counted_choices))


def _top_box_measure(metric: TopBoxMetric, survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import TopBoxMeasure

    bounds = scale_bounds(survey.question(metric.question))  # type: ignore[union-attr,arg-type]
    assert bounds is not None, "checked: a top_box question has a scale"
    return TopBoxMeasure(metric.question, bounds[1], metric.top)


def _count_measure(_metric: CountMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import CountMeasure

    return CountMeasure()


def _duration_measure(metric: DurationMetric, _survey: Survey | None, timezone: str) -> Measure:
    from sitegen.metrics import DurationMeasure

    return DurationMeasure(metric.start, metric.end, metric.unit, timezone)


def _cases_closed_measure(_metric: CasesClosedMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import CasesClosedMeasure

    return CasesClosedMeasure()


def _time_to_close_measure(metric: TimeToCloseMetric, _survey: Survey | None, timezone: str) -> Measure:
    from sitegen.metrics import DurationMeasure

    return DurationMeasure("opened_at", "resolved_at", metric.unit, timezone)


def _repeat_rate_measure(_metric: RepeatRateMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import RepeatRateMeasure

    return RepeatRateMeasure()


def _response_rate_measure(_metric: ResponseRateMetric, _survey: Survey | None, _timezone: str) -> Measure:
    from sitegen.metrics import ResponseRateMeasure

    return ResponseRateMeasure()


# Tables -------------------------------------------------------------------------------------------------


def _orders(metric: RepeatRateMetric, tables: Tables) -> pd.DataFrame:
    from sitegen.data_files import read_orders

    return tables.dated(read_orders(tables.root / metric.data, tables.timezone), "ordered_at")


def _cases(metric: CasesClosedMetric | TimeToCloseMetric, tables: Tables) -> pd.DataFrame:
    """The survey's cases by the period they opened in, as they stood at the end of the as-of day: a case resolved
    later was still open then."""
    frame = tables.dated(tables.cases[metric.survey], "opened_at")
    later = (frame["resolved_at"] > tables.until).to_numpy()
    return frame.assign(
        resolved_at=frame["resolved_at"].mask(later), status=frame["status"].mask(later, "open"), until=tables.until
    )


def _responses_and_counts(metric: ResponseRateMetric, tables: Tables) -> pd.DataFrame:
    """The survey's responses (1 each) and the counts, as rows of one frame by period and segment: the data file's
    counts, or without `data` one per invitation sent, on its sending day."""
    import pandas as pd

    keys = ["period", *metric.segments]
    counts = _invited(metric, tables) if metric.data is None else _data_counts(metric, metric.data, tables)
    parts = [
        tables.responses[metric.survey][keys].assign(responses=1, count=0),
        tables.dated(counts, "at")[[*keys, "count"]].assign(responses=0),
    ]
    return pd.concat([part.astype(dict.fromkeys(keys, object)) for part in parts], ignore_index=True)


def _data_counts(metric: ResponseRateMetric, data: str, tables: Tables) -> pd.DataFrame:
    from sitegen.data_files import read_counts

    return read_counts(tables.root / data, data, tables.timezone, metric.segments)


def _invited(metric: ResponseRateMetric, tables: Tables) -> pd.DataFrame:
    """The invitations in `read_counts`' shape: `at` the sending day's local noon (as a counts file's day), 1 each."""
    import pandas as pd

    sent = tables.invitations[metric.survey]
    noon = (sent["day"] + pd.Timedelta(hours=12)).dt.tz_localize(tables.timezone).dt.tz_convert("UTC")
    counts = pd.DataFrame({"at": noon, "count": 1}, index=sent.index)
    for name in metric.segments:
        counts[name] = sent[name] if name in sent.columns else pd.Series(None, index=sent.index, dtype="object")
    return counts


def _counts_invitations(metric: ResponseRateMetric) -> bool:
    return metric.data is None


# Checks ---------------------------------------------------------------------------------------------------


def _ces_check(metric: CesMetric, survey: Survey | None, _root: Path) -> Iterator[Problem | SiteError]:
    points = getattr(survey.question(metric.question), "points", None)  # type: ignore[union-attr]
    if points != 7:
        yield Problem(("question",), f"a ces metric needs a 7-point likert question; '{metric.question}' has {points}")


def _mean_check(metric: MeanMetric, survey: Survey | None, _root: Path) -> Iterator[Problem | SiteError]:
    """A mean of a ranking averages one choice's rank, which the metric names; other questions have no choice.
    A target (and its baseline) lies on the question's scale: a 4.5 on a 3-point scale can never be met."""
    question = survey.question(metric.question)  # type: ignore[union-attr]
    assert question is not None, "checked: the metric's question exists"
    allowed = choice_ids(question)
    if type_of(question).is_ranking and metric.choice is None:
        yield Problem(
            ("question",),
            f"'{metric.question}' is a ranking: add 'choice:' to average the rank of one of {', '.join(allowed)}",
        )
    elif type_of(question).is_ranking and metric.choice not in allowed:
        yield Problem(
            ("choice",),
            f"'{metric.choice}' is not a choice of '{metric.question}'; expected one of {', '.join(allowed)}",
        )
    elif not type_of(question).is_ranking and metric.choice is not None:
        yield Problem(("choice",), f"only a ranking has a choice to average; '{metric.question}' is not a ranking")
    yield from _target_on_scale(metric, question)


def _target_on_scale(metric: MeanMetric, question: BaseQuestion) -> Iterator[Problem]:
    bounds = scale_bounds(question)
    if bounds is None or metric.target is None:
        return
    low, high = bounds
    for key in ("value", "baseline"):
        value = getattr(metric.target, key)
        if value is not None and not low <= value <= high:
            yield Problem(("target", key), f"{value:g} is off the scale of '{metric.question}' ({low:g} to {high:g})")


def _share_check(metric: ShareMetric, survey: Survey | None, _root: Path) -> Iterator[Problem | SiteError]:
    allowed = choice_ids(survey.question(metric.question))  # type: ignore[union-attr,arg-type]
    key = "equals" if metric.equals is not None else "in"
    for choice in metric.counted_choices:
        if choice not in allowed:
            yield Problem(
                (key,), f"'{choice}' is not an answer of '{metric.question}'; expected one of {', '.join(allowed)}"
            )


def _top_box_check(metric: TopBoxMetric, survey: Survey | None, _root: Path) -> Iterator[Problem | SiteError]:
    """The question has whole-number ends, and more points than the top counts."""
    bounds = scale_bounds(survey.question(metric.question))  # type: ignore[union-attr,arg-type]
    if bounds is None or not all(float(end).is_integer() for end in bounds):
        yield Problem(
            ("question",),
            f"a top_box metric needs a scale; give the number question '{metric.question}' whole-number min and max",
        )
        return
    size = int(bounds[1] - bounds[0]) + 1
    if metric.top >= size:
        yield Problem(("top",), f"must be smaller than the {size} points of '{metric.question}' (got {metric.top})")


def _cases_check(
    metric: CasesClosedMetric | TimeToCloseMetric, survey: Survey | None, _root: Path
) -> Iterator[Problem | SiteError]:
    """Cases come from a survey's `follow_up`: without one there is nothing to count."""
    if survey is not None and survey.follow_up is None:
        yield Problem(("survey",), f"'{metric.survey}' opens no cases; give it a follow_up (see README, Cases)")


def _response_rate_check(
    metric: ResponseRateMetric, _survey: Survey | None, root: Path
) -> Iterator[Problem | SiteError]:
    """The counts file reads: its columns, dates and counts (the timezone does not matter to that)."""
    from sitegen.data_files import read_counts

    if metric.data is None:
        return
    try:
        read_counts(root / metric.data, metric.data, "UTC", metric.segments)
    except ProjectInvalid as invalid:
        yield from invalid.errors


def comment_questions(survey: Survey, metric: NpsMetric) -> list[str]:
    """Free-text follow-ups asked of low scorers (`show_if` on the NPS question)."""
    return [
        question.id
        for question in survey.questions
        if type_of(question).is_free_text
        and question.show_if is not None
        and question.show_if.question == metric.question
    ]


_KINDS: dict[str, MetricKind] = {
    kind.name: kind
    for kind in (
        MetricKind(
            NpsMetric,
            N_("Net Promoter Score"),
            "NPS",
            WHOLE,
            _nps_measure,
            "xbar",
            questions={"question": ("nps",)},
            follow_ups=comment_questions,
            shows_answer_groups=True,
            answer_variance=_nps_variance,
        ),
        MetricKind(
            CsatMetric,
            N_("Customer satisfaction (CSAT)"),
            "%",
            PERCENT,
            _csat_measure,
            "p",
            questions={"question": ("rating",)},
        ),
        MetricKind(
            CesMetric,
            N_("Customer effort (CES)"),
            "1–7",
            DECIMAL,
            _ces_measure,
            "xbar",
            questions={"question": ("likert",)},
            check=_ces_check,
            answer_variance=_mean_variance,
        ),
        MetricKind(
            MeanMetric,
            N_("Average"),
            "",
            DECIMAL,
            _mean_measure,
            "xbar",
            questions={"question": names_where(lambda entry: entry.is_numeric or entry.is_ranking)},
            check=_mean_check,
            answer_variance=_mean_variance,
        ),
        MetricKind(
            ShareMetric,
            N_("Share"),
            "%",
            PERCENT,
            _share_measure,
            "p",
            questions={"question": names_where(lambda entry: entry.is_choice)},
            check=_share_check,
        ),
        MetricKind(
            TopBoxMetric,
            N_("Top-box share"),
            "%",
            PERCENT,
            _top_box_measure,
            "p",
            questions={"question": names_where(lambda entry: entry.is_numeric)},
            check=_top_box_check,
        ),
        MetricKind(CountMetric, N_("Count"), "n", WHOLE, _count_measure, "c", is_exempt=_unless_anonymous),
        MetricKind(
            DurationMetric,
            N_("Median time"),
            "",
            DURATION,
            _duration_measure,
            questions={"start": DATE_TYPES, "end": DATE_TYPES},
            published_extras=("p90",),
        ),
        MetricKind(
            CasesClosedMetric,
            N_("Cases closed in time"),
            "%",
            PERCENT,
            _cases_closed_measure,
            "p",
            check=_cases_check,
            segments=CASE_SEGMENTS,
            is_exempt=_unless_anonymous,
            table=_cases,
            table_rows="none",
            reads_cases=True,
        ),
        MetricKind(
            TimeToCloseMetric,
            N_("Median time to close"),
            "",
            DURATION,
            _time_to_close_measure,
            check=_cases_check,
            segments=CASE_SEGMENTS,
            is_exempt=_unless_anonymous,
            table=_cases,
            table_rows="none",
            reads_cases=True,
            published_extras=("p90",),
        ),
        MetricKind(
            RepeatRateMetric,
            N_("Repeat orders per customer"),
            "",
            DECIMAL,
            _repeat_rate_measure,
            is_exempt=_always,
            table=_orders,
            table_rows="none",
        ),
        MetricKind(
            ResponseRateMetric,
            N_("Response rate"),
            "%",
            RATE,
            _response_rate_measure,
            "p",
            check=_response_rate_check,
            segments=SegmentRule("a hidden field", lambda survey: sorted(survey.hidden)),
            is_exempt=_unless_anonymous,
            table=_responses_and_counts,
            table_rows="each",
            reads_invitations=_counts_invitations,
            published_extras=("responses",),
        ),
    )
}
KINDS: Mapping[str, MetricKind] = _KINDS
"""Every metric kind by its name: the built-in ones in the order the docs list them, then the plugins'."""

_BY_MODEL = {kind.model: kind for kind in KINDS.values()}


def register_kind(kind: MetricKind) -> None:
    """Add a plugin's kind (`sitegen.plugins` has checked its name is free), and its model to a scorecard's."""
    _KINDS[kind.name] = kind
    _BY_MODEL[kind.model] = kind
    METRIC_MODELS.admit(kind.model, (Scorecard,))


def kind_of(metric: BaseMetric) -> MetricKind:
    """The entry of a metric's kind."""
    return _BY_MODEL[type(metric)]
