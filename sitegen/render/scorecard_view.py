"""Scorecard figures -> what a scorecard page shows: names, formatted numbers, status words, charts.

Numbers are formatted in the page's language (Babel); charts are built once
per metric from published cells only, with language-neutral axes, so the
three language versions share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from sitegen.answers import N_
from sitegen.charts import Chart, distribution_chart, segment_chart, trend_chart
from sitegen.i18n import UiText
from sitegen.metric_kinds import KINDS, kind_of
from sitegen.scorecards import Cell, MetricFigures

STATUS_NAMES = {
    "met": N_("Target met"),
    "on_track": N_("On track"),
    "off_track": N_("Off track"),
    "insufficient_data": N_("Too few responses to tell"),
}
UNIT_NAMES = {"minutes": N_("min"), "hours": N_("h"), "days": N_("days")}
NPS_GROUPS = (
    ("detractors", N_("Detractors (0–6)"), "#a3231b"),
    ("passives", N_("Passives (7–8)"), "#8a9699"),
    ("promoters", N_("Promoters (9–10)"), "#1d6b2c"),
)


@dataclass(frozen=True)
class MetricCharts:
    """A metric's charts: its trend, one per segment breakdown, and (NPS) the answer groups."""

    trend: Chart | None
    segments: dict[str, Chart]


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


def _band(cell: Cell) -> dict[str, Any]:
    """A trend point with its 95% interval as the band (not value ± moe, which is empty at 0 % and 100 %)."""
    return {"period": cell.key, "value": cell.value, "low": cell.low, "high": cell.high}


def metric_charts(figures: MetricFigures) -> MetricCharts:
    """The charts of one metric, the same in every language (build them once)."""
    axis_title = kind_of(figures.metric).axis_title
    published = [_band(cell) for cell in figures.periods if cell.is_published]
    target = figures.metric.target.value if figures.metric.target is not None else None
    trend = (
        trend_chart(published, y_title=axis_title, target=target, description=f"{figures.metric.id} per period")
        if published
        else None
    )
    segments = {}
    for name, cells in figures.segments.items():
        rows = [{"key": cell.key, "value": cell.value} for cell in cells if cell.is_published]
        if rows:
            segments[name] = segment_chart(rows, x_title=axis_title, description=f"{figures.metric.id} by {name}")
    return MetricCharts(trend, segments)


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


def metric_view(figures: MetricFigures, charts: MetricCharts, lang: str, fallback: str) -> dict[str, Any]:
    """Everything the scorecard template needs about one metric, in `lang`."""
    ui = UiText(lang)
    metric = figures.metric
    entry = kind_of(metric)
    kind = entry.name
    unit = ui.gettext(UNIT_NAMES[metric.unit]) if entry.value_format.with_unit else ""  # type: ignore[attr-defined]

    def shown(value: float | None) -> str:
        return format_value(value, kind, lang, unit)

    latest = figures.latest
    change = figures.change if figures.change is not None and figures.change.delta is not None else None
    delta = change.delta if change else None
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
        "status": figures.status,
        "status_name": ui.gettext(STATUS_NAMES[figures.status]) if figures.status else None,
        "change": shown(delta).lstrip("-") if delta is not None else None,
        "change_sign": ("+" if delta > 0 else "−" if delta < 0 else "±") if delta is not None else None,
        "change_is_real": change.is_significant if change else None,
        "charts": charts,
        "distribution": nps_distribution(figures, lang) if entry.shows_answer_groups else None,
        "unit": unit,
    }
