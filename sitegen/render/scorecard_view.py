"""Scorecard figures -> what a scorecard page shows: names, formatted numbers, status words, charts.

Numbers and dates are formatted in the page's language (Babel); charts are
built once per metric from published cells only. A trend has
language-neutral axes, so the three language versions share it; segment
charts name their bars in words, so each language has its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from sitegen.answers import N_
from sitegen.charts import Chart, distribution_chart, segment_chart, trend_chart
from sitegen.i18n import UiText
from sitegen.models.scorecard import Target
from sitegen.render.segments import SegmentWords
from sitegen.scorecards import Cell, MetricFigures

KIND_NAMES = {
    "nps": N_("Net Promoter Score"),
    "csat": N_("Customer satisfaction (CSAT)"),
    "ces": N_("Customer effort (CES)"),
    "mean": N_("Average"),
    "share": N_("Share"),
    "count": N_("Count"),
    "duration": N_("Median time"),
    "repeat_rate": N_("Repeat orders per customer"),
}
STATUS_NAMES = {
    "met": N_("Target met"),
    "on_track": N_("On track"),
    "off_track": N_("Off track"),
    "insufficient_data": N_("Too few responses to tell"),
}
DIRECTION_NAMES = {"up": N_("higher is better"), "down": N_("lower is better")}
UNIT_NAMES = {"minutes": N_("min"), "hours": N_("h"), "days": N_("days")}
PERCENT_KINDS = ("csat", "share")
AXIS_TITLES = {
    "nps": "NPS",
    "csat": "%",
    "share": "%",
    "ces": "1–7",
    "mean": "",
    "count": "n",
    "duration": "",
    "repeat_rate": "",
}
NPS_GROUPS = (
    ("detractors", N_("Detractors (0–6)"), "#a3231b"),
    ("passives", N_("Passives (7–8)"), "#8a9699"),
    ("promoters", N_("Promoters (9–10)"), "#1d6b2c"),
)


@dataclass(frozen=True)
class MetricCharts:
    """A metric's charts: its trend, shared by all languages, and per language one per segment breakdown."""

    trend: Chart | None
    segments: Mapping[str, Mapping[str, Chart]]
    """Language -> segment -> chart; a language is present even where no segment has a published cell."""


def format_value(value: float | None, kind: str, lang: str, unit: str = "") -> str:
    """A figure as a reader sees it: NPS and percentages whole, means to two places."""
    if value is None:
        return "—"
    if kind == "nps":
        return format_decimal(round(value), format="#,##0", locale=lang)
    if kind in PERCENT_KINDS:
        return format_decimal(value, format="#,##0", locale=lang) + " %"
    if kind == "count":
        return format_decimal(value, format="#,##0", locale=lang)
    if kind == "duration":
        return format_decimal(value, format="#,##0.0", locale=lang) + (f" {unit}" if unit else "")
    return format_decimal(value, format="#,##0.00", locale=lang)


def format_interval(cell: Cell, kind: str, lang: str, unit: str = "") -> str | None:
    """A published cell's 95% interval as "41 to 58" in the page's language; None where it has none."""
    if not cell.is_published or cell.low is None or cell.high is None:
        return None
    low, high = (format_value(bound, kind, lang, unit) for bound in (cell.low, cell.high))
    return UiText(lang).gettext("%(low)s to %(high)s", low=low, high=high)


def _band(cell: Cell) -> dict[str, Any]:
    """A trend point with its 95% interval as the band (not value ± moe, which is empty at 0 % and 100 %)."""
    return {"period": cell.key, "value": cell.value, "low": cell.low, "high": cell.high}


def metric_charts(
    figures: MetricFigures, words: Mapping[str, Mapping[str, SegmentWords]] | None = None
) -> MetricCharts:
    """The charts of one metric (build them once), with segment charts in each language of `words`.

    `words` names each segment's values per language and segment (`sitegen.render.segments`).
    """
    kind = figures.metric.kind  # type: ignore[attr-defined]
    published = [_band(cell) for cell in figures.periods if cell.is_published]
    target = figures.metric.target.value if figures.metric.target is not None else None
    trend = (
        trend_chart(published, y_title=AXIS_TITLES[kind], target=target, description=f"{figures.metric.id} per period")
        if published
        else None
    )
    segments = {lang: segment_charts(figures, by_segment) for lang, by_segment in (words or {}).items()}
    return MetricCharts(trend, segments)


def segment_charts(figures: MetricFigures, words: Mapping[str, SegmentWords]) -> dict[str, Chart]:
    """One bar chart per segment breakdown with a published cell, each bar named by its value's label."""
    kind = figures.metric.kind  # type: ignore[attr-defined]
    charts = {}
    for name, cells in figures.segments.items():
        named = words.get(name, SegmentWords(name))
        rows = [{"key": named.label(cell.key), "value": cell.value} for cell in cells if cell.is_published]
        if rows:
            charts[name] = segment_chart(
                rows, x_title=AXIS_TITLES[kind], description=f"{figures.metric.id}: {named.title}"
            )
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
    kind = metric.kind  # type: ignore[attr-defined]
    unit = ui.gettext(UNIT_NAMES[metric.unit]) if kind == "duration" else ""  # type: ignore[attr-defined]

    def shown(value: float | None) -> str:
        return format_value(value, kind, lang, unit)

    latest = figures.latest
    change = figures.change if figures.change is not None and figures.change.delta is not None else None
    delta = change.delta if change else None
    return {
        "figures": figures,
        "kind": kind,
        "title": metric.title.get(lang, fallback) if metric.title else ui.gettext(KIND_NAMES[kind]),
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
        "change": shown(delta).lstrip("-") if delta is not None else None,
        "change_sign": ("+" if delta > 0 else "−" if delta < 0 else "±") if delta is not None else None,
        "change_is_real": change.is_significant if change else None,
        "charts": charts,
        "distribution": nps_distribution(figures, lang) if kind == "nps" else None,
        "unit": unit,
        "segment_words": {name: (words or {}).get(name, SegmentWords(name)) for name in figures.segments},
        "segment_charts": charts.segments.get(lang, {}),
    }
