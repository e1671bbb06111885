"""Chart specs and their SVG: time axes thinned to a few calendar labels, legends that wrap, no text cut."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import vl_convert

from sitegen.charts import (
    MOST_PERIOD_LABELS,
    VEGA_LITE_VERSION,
    Chart,
    distribution_chart,
    labelled_periods,
    segment_chart,
    trend_chart,
)
from sitegen.i18n import UiText
from sitegen.render.scorecard_view import NPS_GROUPS

WEEKS = [f"{year}-W{week:02d}" for year in (2025, 2026) for week in range(1, 53)]
MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
# The example site's segments (after-visit: location and visit_reason), the longest being the ones that got cut.
EXAMPLE_SEGMENTS = {
    "location": ["riga-centre", "riga-mall", "jelgava"],
    "visit_reason": ["breakfast", "cake-pickup", "coffee-to-go", "lunch", "meeting", "work-study"],
}
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(chart: Chart) -> list[str]:
    """The text of every `<text>` element of the chart's SVG."""
    return ["".join(text.itertext()) for text in ET.fromstring(chart.svg).iter(f"{SVG}text")]


def spec(chart: Chart) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(chart.spec)
    return parsed


def x_axis(chart: Chart) -> dict[str, Any]:
    """The x axis of the chart's (first) layer."""
    parsed = spec(chart)
    axis: dict[str, Any] = parsed.get("layer", [parsed])[0]["encoding"]["x"]["axis"]
    return axis


def weekly_trend(periods: list[str]) -> Chart:
    points = [{"period": period, "value": 40.0 + i % 7, "low": 35.0, "high": 50.0} for i, period in enumerate(periods)]
    return trend_chart(points, y_title="NPS", target=45.0, description="nps per period")


def nps_distribution(periods: list[str], lang: str) -> Chart:
    ui = UiText(lang)
    rows = [
        {"period": period, "group": ui.gettext(label), "share": share}
        for period in periods
        for (_, label, _), share in zip(NPS_GROUPS, (0.2, 0.3, 0.5), strict=True)
    ]
    return distribution_chart(
        rows,
        order=[ui.gettext(label) for _, label, _ in NPS_GROUPS],
        colours=[colour for _, _, colour in NPS_GROUPS],
        description="nps: groups per period",
    )


def test_104_weeks_are_labelled_at_the_start_of_each_quarter() -> None:
    assert labelled_periods(WEEKS) == [
        "2025-W01",
        "2025-W14",
        "2025-W27",
        "2025-W40",
        "2026-W01",
        "2026-W14",
        "2026-W27",
        "2026-W40",
    ]


def test_24_months_are_labelled_once_a_quarter() -> None:
    assert labelled_periods(MONTHS) == [
        "2025-01",
        "2025-04",
        "2025-07",
        "2025-10",
        "2026-01",
        "2026-04",
        "2026-07",
        "2026-10",
    ]


def test_a_few_periods_are_all_labelled() -> None:
    assert labelled_periods(["2026-Q1", "2026-Q2", "2026-Q3"]) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert labelled_periods(MONTHS[:8]) == MONTHS[:8]


@pytest.mark.parametrize("count", [9, 30, 60, 104, 260])
def test_no_time_axis_carries_more_than_the_most_labels(count: int) -> None:
    weeks = [f"{2020 + i // 52}-W{i % 52 + 1:02d}" for i in range(count)]
    assert 0 < len(labelled_periods(weeks)) <= MOST_PERIOD_LABELS


def test_labels_of_another_shape_are_thinned_keeping_the_latest() -> None:
    periods = [f"sprint-{n:02d}" for n in range(1, 21)]
    chosen = labelled_periods(periods)
    assert chosen[-1] == "sprint-20" and len(chosen) <= MOST_PERIOD_LABELS


def test_a_weekly_trend_axis_is_thinned_level_and_drops_overlapping_labels() -> None:
    axis = x_axis(weekly_trend(WEEKS))
    assert axis["values"] == labelled_periods(WEEKS)
    assert axis["labelOverlap"] == "parity"
    assert axis["labelAngle"] == 0
    assert "-W01" in axis["labelExpr"]


def test_a_weekly_distribution_axis_is_thinned_too() -> None:
    axis = spec(nps_distribution(WEEKS, "en"))["encoding"]["x"]["axis"]
    assert len(axis["values"]) <= MOST_PERIOD_LABELS and axis["labelOverlap"] == "parity"


def test_a_weekly_svg_draws_only_the_thinned_labels_shortened() -> None:
    texts = svg_texts(weekly_trend(WEEKS))
    assert [text for text in texts if re.fullmatch(r"\d{4}|W\d{2}", text)] == [
        "2025",
        "W14",
        "W27",
        "W40",
        "2026",
        "W14",
        "W27",
        "W40",
    ]


def test_monthly_labels_stay_whole() -> None:
    axis = x_axis(weekly_trend(MONTHS))
    assert "labelExpr" not in axis
    assert set(axis["values"]) <= set(svg_texts(weekly_trend(MONTHS)))


@pytest.mark.parametrize("lang", ["en", "lv", "ru"])
def test_the_answer_group_legend_sits_below_wraps_where_narrow_and_cuts_no_label(lang: str) -> None:
    chart = nps_distribution(MONTHS, lang)
    legend = spec(chart)["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom"
    assert legend["columns"] == {"expr": "width < 420 ? 1 : 3"}
    assert legend["labelLimit"] >= 200
    labels = [UiText(lang).gettext(label) for _, label, _ in NPS_GROUPS]
    assert set(labels) <= set(svg_texts(chart))


def drawn_at(chart: Chart, width: int) -> list[str]:
    """The texts of a chart's spec drawn `width` px wide, as vega-embed draws it on a phone."""
    drawn = vl_convert.vegalite_to_svg(dict(spec(chart), width=width), vl_version=VEGA_LITE_VERSION)
    return ["".join(text.itertext()) for text in ET.fromstring(drawn).iter(f"{SVG}text")]


@pytest.mark.parametrize(("segment", "keys"), EXAMPLE_SEGMENTS.items())
def test_every_segment_label_of_the_example_appears_whole_at_phone_width(segment: str, keys: list[str]) -> None:
    chart = segment_chart(
        [{"key": key, "value": 10.0 * (i + 1)} for i, key in enumerate(keys)], x_title="NPS", description=segment
    )
    assert chart.svg == ""  # the breakdown's table stands in without JavaScript
    texts = drawn_at(chart, 300)
    assert set(keys) <= set(texts)
    assert not [text for text in texts if "…" in text]


def test_a_segment_value_axis_gets_a_tick_every_80_px_or_so() -> None:
    chart = segment_chart([{"key": "jelgava", "value": 43.0}], x_title="NPS", description="by location")
    assert spec(chart)["encoding"]["x"]["axis"]["tickCount"] == {"expr": "ceil(width / 80)"}
