"""Scorecard figures -> what a scorecard page shows: names, formatted numbers, status words, charts.

Numbers and dates are formatted in the page's language (Babel); charts are
built once per metric from published cells only. A trend has
language-neutral axes, so the three language versions share it; segment
charts name their bars in words, so each language has its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from sitegen.charts import Chart, distribution_chart, segment_chart, trend_chart
from sitegen.i18n import UiText
from sitegen.metric_kinds import KINDS, kind_of
from sitegen.metrics.control_charts import ChartPoint
from sitegen.models.scorecard import Target
from sitegen.privacy import Cell
from sitegen.refusals import N_
from sitegen.render.segments import SegmentWords
from sitegen.scorecards import MetricFigures

STATUS_NAMES = {
    "met": N_("Target met"),
    "on_track": N_("On track"),
    "off_track": N_("Off track"),
    "insufficient_data": N_("Too few responses to tell"),
}
DIRECTION_NAMES = {"up": N_("higher is better"), "down": N_("lower is better")}
ASSESSMENT_NAMES = {
    "improving": N_("Improving"),
    "worsening": N_("Worsening"),
    "no_signal": N_("No signal"),
    "no_limits": N_("Too early to judge"),
}
SIGNAL_TEXTS = {
    ("beyond_limits", "up"): N_("%(period)s is above the range ordinary variation gives (%(lower)s to %(upper)s)."),
    ("beyond_limits", "down"): N_("%(period)s is below the range ordinary variation gives (%(lower)s to %(upper)s)."),
    ("run_of_8", "up"): N_("8 periods in a row, up to %(period)s, are above the usual level (%(centre)s)."),
    ("run_of_8", "down"): N_("8 periods in a row, up to %(period)s, are below the usual level (%(centre)s)."),
    ("trend_of_6", "up"): N_("6 periods in a row, up to %(period)s, each rose above the one before."),
    ("trend_of_6", "down"): N_("6 periods in a row, up to %(period)s, each fell below the one before."),
    ("two_of_three", "up"): N_("2 of the 3 periods up to %(period)s are far above the usual level (%(centre)s)."),
    ("two_of_three", "down"): N_("2 of the 3 periods up to %(period)s are far below the usual level (%(centre)s)."),
}
"""One line per signal rule and direction (the rules are `sitegen.metrics.control_charts.RULES`), for the page."""
QUIET_TEXTS = {
    "no_signal": N_(
        "%(period)s is within the range ordinary variation gives (%(lower)s to %(upper)s): "
        "its difference from earlier periods is noise, not a change."
    ),
    "no_limits": N_("Change is judged once 8 periods have published figures to set the usual range from."),
}
UNIT_NAMES = {"minutes": N_("min"), "hours": N_("h"), "days": N_("days")}
NPS_GROUPS = (
    ("detractors", N_("Detractors (0–6)"), "#a3231b"),
    ("passives", N_("Passives (7–8)"), "#8a9699"),
    ("promoters", N_("Promoters (9–10)"), "#1d6b2c"),
)


@dataclass(frozen=True)
class MetricCharts:
    """A metric's charts: its trend, shared by all languages, and per language one per segment breakdown.

    `segments` and `latest_segments` (the latest complete period's) map language -> segment -> chart; a
    language is present even where no segment has a published cell.
    """

    trend: Chart | None
    segments: Mapping[str, Mapping[str, Chart]]
    latest_segments: Mapping[str, Mapping[str, Chart]] = field(default_factory=dict)


def format_value(value: float | None, kind: str, lang: str, unit: str = "") -> str:
    """A figure as a reader sees it, in its kind's format: NPS and percentages whole, means to two places."""
    if value is None:
        return "—"
    shape = KINDS[kind].value_format
    text = format_decimal(round(value) if shape.rounds else value, format=shape.pattern, locale=lang) + shape.suffix
    return text + (f" {unit}" if shape.with_unit and unit else "")


def format_interval(cell: Cell, kind: str, lang: str, unit: str = "") -> str | None:
    """A published cell's 95% interval as "41 to 58" in the page's language; None where it has none."""
    if not cell.is_published or cell.low is None or cell.high is None:
        return None
    low, high = (format_value(bound, kind, lang, unit) for bound in (cell.low, cell.high))
    return UiText(lang).gettext("%(low)s to %(high)s", low=low, high=high)


def _trend_point(cell: Cell, point: ChartPoint | None) -> dict[str, Any]:
    """A trend point: its 95% interval as the band (not value ± moe, empty at 0 % and 100 %), its limits and signal."""
    row: dict[str, Any] = {"period": cell.key, "value": cell.value, "low": cell.low, "high": cell.high}
    if point is not None and point.limits is not None:
        row |= {"centre": point.limits.centre, "lower": point.limits.lower, "upper": point.limits.upper}
    if point is not None and point.signal is not None:
        row["signal"] = point.signal.rule
    return row


def metric_charts(
    figures: MetricFigures, words: Mapping[str, Mapping[str, SegmentWords]] | None = None
) -> MetricCharts:
    """The charts of one metric (build them once), with segment charts in each language of `words`.

    `words` names each segment's values per language and segment (`sitegen.render.segments`).
    """
    axis_title = kind_of(figures.metric).axis_title
    points = figures.control or (None,) * len(figures.periods)
    published = [
        _trend_point(cell, point) for cell, point in zip(figures.periods, points, strict=True) if cell.is_published
    ]
    target = figures.metric.target.value if figures.metric.target is not None else None
    trend = (
        trend_chart(
            published,
            y_title=axis_title,
            target=target,
            description=f"{figures.metric.id} per period",
            changed=figures.meaning_changed,
        )
        if published
        else None
    )
    metric_id, latest = figures.metric.id, figures.latest_period
    segments = {
        lang: segment_charts(figures.segments, named, axis_title, metric_id) for lang, named in (words or {}).items()
    }
    latest_segments = {
        lang: segment_charts(figures.latest_segments, named, axis_title, f"{metric_id} in {latest}")
        for lang, named in (words or {}).items()
    }
    return MetricCharts(trend, segments, latest_segments)


def segment_charts(
    breakdowns: Mapping[str, Sequence[Cell]], words: Mapping[str, SegmentWords], x_title: str, subject: str
) -> dict[str, Chart]:
    """One bar chart per breakdown with a published cell, each bar named by its value's label."""
    charts = {}
    for name, cells in breakdowns.items():
        named = words.get(name, SegmentWords(name))
        rows = [{"key": named.label(cell.key), "value": cell.value} for cell in cells if cell.is_published]
        if rows:
            charts[name] = segment_chart(rows, x_title=x_title, description=f"{subject}: {named.title}")
    return charts


def target_text(target: Target, direction: str, shown: Callable[[float], str], lang: str) -> str:
    """A target as a page states it: "50 by June 30, 2027 · from 30 · higher is better", in `lang`."""
    ui = UiText(lang)
    value = shown(target.value)
    if target.by is not None:
        value = ui.gettext("%(value)s by %(date)s", value=value, date=format_date(target.by, "long", locale=lang))
    parts = [value]
    if target.baseline is not None:
        parts.append(ui.gettext("from %(baseline)s", baseline=shown(target.baseline)))
    parts.append(ui.gettext(DIRECTION_NAMES[direction]))
    return " · ".join(parts)


def nps_distribution(figures: MetricFigures, lang: str) -> Chart | None:
    """Detractors, passives and promoters per published period, in the page's language."""
    ui = UiText(lang)
    rows = [
        {"period": cell.key, "group": ui.gettext(label), "share": cell.extra[group]}
        for cell in figures.periods
        if cell.is_published
        for group, label, _ in NPS_GROUPS
        if group in cell.extra
    ]
    if not rows:
        return None
    order = [ui.gettext(label) for _, label, _ in NPS_GROUPS]
    colours = [colour for _, _, colour in NPS_GROUPS]
    return distribution_chart(
        rows,
        order=order,
        colours=colours,
        description=f"{figures.metric.id}: detractors, passives, promoters per period",
    )


def assessment_text(figures: MetricFigures, lang: str, shown: Callable[[float | None], str]) -> str | None:
    """The one-line reason for the latest period's verdict, in words a shop manager reads."""
    point, assessment = figures.latest_point, figures.assessment
    if point is None or assessment is None:
        return None
    ui = UiText(lang)
    if assessment == "no_limits":
        return ui.gettext(QUIET_TEXTS["no_limits"])
    limits = point.limits
    assert limits is not None
    values = {"period": point.period, "centre": shown(limits.centre)}
    values |= {"lower": shown(limits.lower), "upper": shown(limits.upper)}
    if point.signal is None:
        return ui.gettext(QUIET_TEXTS["no_signal"], **values)
    return ui.gettext(SIGNAL_TEXTS[point.signal.rule, point.signal.direction], **values)


def metric_view(
    figures: MetricFigures,
    charts: MetricCharts,
    lang: str,
    fallback: str,
    words: Mapping[str, SegmentWords] | None = None,
) -> dict[str, Any]:
    """Everything the scorecard template needs about one metric, in `lang` (`words` names its segments)."""
    ui = UiText(lang)
    metric = figures.metric
    entry = kind_of(metric)
    kind = entry.name
    unit = ui.gettext(UNIT_NAMES[metric.unit]) if entry.value_format.with_unit else ""  # type: ignore[attr-defined]

    def shown(value: float | None) -> str:
        return format_value(value, kind, lang, unit)

    latest = figures.latest
    return {
        "figures": figures,
        "kind": kind,
        "title": metric.title.get(lang, fallback) if metric.title else ui.gettext(entry.title),
        "description": metric.description.get(lang, fallback) if metric.description else "",
        "overall": shown(figures.overall.value),
        "latest": latest,
        "latest_value": shown(latest.value) if latest and latest.is_published else None,
        "moe": format_decimal(latest.moe, format="#,##0.0", locale=lang)
        if latest and latest.is_published and latest.moe is not None
        else None,
        "interval": format_interval(latest, kind, lang, unit) if latest else None,
        "target": shown(metric.target.value) if metric.target else None,
        "target_text": target_text(metric.target, metric.direction, shown, lang) if metric.target else None,
        "status": figures.status,
        "status_name": ui.gettext(STATUS_NAMES[figures.status]) if figures.status else None,
        "assessment": figures.assessment,
        "assessment_name": ui.gettext(ASSESSMENT_NAMES[figures.assessment]) if figures.assessment else None,
        "assessment_text": assessment_text(figures, lang, shown),
        "charts": charts,
        "distribution": nps_distribution(figures, lang) if entry.shows_answer_groups else None,
        "unit": unit,
        "segment_words": {name: (words or {}).get(name, SegmentWords(name)) for name in figures.segments},
        "segment_charts": charts.segments.get(lang, {}),
        "latest_segment_charts": charts.latest_segments.get(lang, {}),
    }
