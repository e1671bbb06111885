"""Charts are written out as the Vega-Lite altair makes of the same chart: the two compared, spec for spec.

The altair code here is sitegen's own before each chart was written out
(altair took 10-50 ms a chart); it stays as the reference the specs must equal.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import charts


def altair_chart(chart: alt.TopLevelMixin, description: str, *, drawn: bool = True) -> charts.Chart:
    """A chart sized, described and configured as sitegen's altair code did (`charts._finish` before)."""
    fitted = chart.properties(
        width="container",
        height=220,
        description=description,
        autosize=alt.AutoSizeParams(type="fit", contains="padding"),
    )
    configured = (
        fitted.configure(font=charts.FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridColor="#e3e8e6")
        .configure_view(stroke=None)
    )
    return charts._chart_of(configured.to_dict(validate=False), drawn=drawn)


def period_axis(periods: list[str]) -> alt.Axis:
    """The time axis as altair's object, from the settings sitegen writes out."""
    return alt.Axis(**charts._period_axis(periods))


def altair_trend(
    points: Sequence[dict[str, Any]], *, y_title: str, target: float | None, description: str, changed: str | None
) -> charts.Chart:
    """The trend chart as altair builds it (sitegen's code before it was written out)."""
    columns = ["period", "value", "low", "high", "centre", "lower", "upper", "signal"]
    frame = pd.DataFrame(list(points), columns=columns)
    axis = period_axis(list(frame["period"]))
    base = alt.Chart(frame).encode(x=alt.X("period:O", title=None, axis=axis))
    layers: list[Any] = []
    if frame["low"].notna().any():
        layers.append(
            base.mark_area(opacity=0.35, color=charts.BAND).encode(y=alt.Y("low:Q", title=y_title), y2="high:Q")
        )
    if frame["centre"].notna().any():
        for column, dash in (("upper", [2, 2]), ("lower", [2, 2]), ("centre", [1, 0])):
            layers.append(
                base.mark_line(color=charts.LIMITS, strokeWidth=1.5, strokeDash=dash, interpolate="step").encode(
                    y=alt.Y(f"{column}:Q", title=y_title)
                )
            )
    layers.append(
        base.mark_line(point=alt.OverlayMarkDef(color=charts.BRAND), color=charts.BRAND).encode(
            y=alt.Y("value:Q", title=y_title), tooltip=["period:O", alt.Tooltip("value:Q", format=".1f")]
        )
    )
    if frame["signal"].notna().any():
        # A ring around the period's point, not a filled mark over it: the point and the line stay readable.
        signals = base.transform_filter("isValid(datum.signal)").mark_point(
            shape="diamond", size=190, filled=False, color=charts.SIGNAL, strokeWidth=2, opacity=1
        )
        layers.append(
            signals.encode(
                y=alt.Y("value:Q", title=y_title),
                tooltip=["period:O", alt.Tooltip("value:Q", format=".1f"), "signal:N"],
            )
        )
    if changed is not None and changed in set(frame["period"]):
        layers.append(
            alt.Chart(pd.DataFrame({"period": [changed]}))
            .mark_rule(color=charts.LIMITS, strokeDash=[1, 3], strokeWidth=2)
            .encode(x=alt.X("period:O"), tooltip=["period:O"])
        )
    if target is not None:
        rule = (
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(color=charts.TARGET, strokeDash=[6, 4], strokeWidth=2)
            .encode(y="target:Q")
        )
        layers.append(rule)
    return altair_chart(alt.layer(*layers), description)


PERIODS = [f"2026-{month:02}" for month in range(1, 13)] + [f"2026-W{week:02}" for week in range(1, 6)]
number = st.one_of(st.integers(-100, 100), st.floats(-100, 100, allow_nan=False))


@st.composite
def trend_points(draw: st.DrawFn) -> list[dict[str, Any]]:
    periods = draw(st.lists(st.sampled_from(PERIODS), unique=True, max_size=8))
    has_band, has_limits = draw(st.booleans()), draw(st.booleans())
    points = []
    for period in sorted(periods):
        point: dict[str, Any] = {"period": period, "value": draw(number)}
        if has_band and draw(st.booleans()):
            point |= {"low": draw(number), "high": draw(number)}
        if has_limits and draw(st.booleans()):
            point |= {"centre": draw(number), "lower": draw(number), "upper": draw(number)}
        if draw(st.booleans()):
            point["signal"] = draw(st.sampled_from(["beyond_limits", "run_of_8"]))
        points.append(point)
    return points


@settings(max_examples=80, deadline=None)
@given(
    trend_points(),
    st.sampled_from(["NPS", "%", "Vidējais «vērtējums»"]),
    st.one_of(st.none(), number),
    st.one_of(st.none(), st.sampled_from(PERIODS)),
)
def test_a_trend_chart_is_the_spec_altair_makes_of_it(
    points: list[dict[str, Any]], y_title: str, target: float | None, changed: str | None
) -> None:
    arguments = {"y_title": y_title, "target": target, "description": "NPS per month", "changed": changed}
    written = charts.trend_chart.__wrapped__(points, **arguments)  # type: ignore[attr-defined]
    assert written.spec == altair_trend(points, **arguments).spec
    assert written.drawing is not None


numbers = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.just(np.float64(1.5)),
    st.just(np.int64(7)),
)
texts = st.one_of(st.text(max_size=3), st.none(), st.just(float("nan")))


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows whose columns each hold numbers or texts (as a chart's points do), any of them left out."""
    kinds = {column: draw(st.sampled_from([numbers, texts])) for column in "abc"}
    return draw(st.lists(st.fixed_dictionaries({}, optional=kinds), max_size=5))


@settings(max_examples=300, deadline=None)
@given(records())
def test_chart_records_are_the_records_altair_makes_of_a_frame(rows: list[dict[str, Any]]) -> None:
    columns = ["a", "b", "c"]
    expected = alt.utils.data.to_values(pd.DataFrame(rows, columns=columns))["values"]
    assert json.dumps(charts.chart_records(rows, columns)) == json.dumps(expected)


def altair_distribution(
    rows: Sequence[dict[str, Any]], *, order: Sequence[str], colours: Sequence[str], description: str
) -> charts.Chart:
    """The answer groups' stacked bars as altair builds them (sitegen's code before they were written out)."""
    frame = pd.DataFrame(list(rows), columns=["period", "group", "share"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("period:O", title=None, axis=period_axis(list(dict.fromkeys(frame["period"])))),
            y=alt.Y("share:Q", title="%", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color(
                "group:N",
                sort=list(order),
                scale=alt.Scale(domain=list(order), range=list(colours)),
                legend=alt.Legend(
                    title=None,
                    orient="bottom",
                    direction="horizontal",
                    columns=alt.ExprRef(charts.LEGEND_COLUMNS),
                    labelLimit=260,
                    symbolType="square",
                ),
            ),
            order=alt.Order("group_order:Q"),
            tooltip=["period:O", "group:N", alt.Tooltip("share:Q", format=".1f")],
        )
        .transform_calculate(group_order=f"indexof({json.dumps(list(order))}, datum.group)")
    )
    return altair_chart(chart, description)


GROUPS = ["Kritiķi", "Pasīvie", "Ieteicēji", "Детракторы", "Promoters"]


@st.composite
def answer_groups(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    """Shares per period and group (a group missing in some periods), and the groups' order."""
    order = draw(st.lists(st.sampled_from(GROUPS), unique=True, min_size=1, max_size=3))
    periods = draw(st.lists(st.sampled_from(PERIODS), unique=True, min_size=1, max_size=8))
    rows = [
        {"period": period, "group": group, "share": draw(number)}
        for period in sorted(periods)
        for group in order
        if draw(st.booleans()) or group == order[0]
    ]
    return rows, order


@settings(max_examples=80, deadline=None)
@given(answer_groups())
def test_a_distribution_chart_is_the_spec_altair_makes_of_it(groups: tuple[list[dict[str, Any]], list[str]]) -> None:
    rows, order = groups
    arguments = {"order": order, "colours": ["#a3231b", "#9fa8a6", "#0b5f55"][: len(order)], "description": "nps"}
    written = charts.distribution_chart.__wrapped__(rows, **arguments)  # type: ignore[attr-defined]
    assert written.spec == altair_distribution(rows, **arguments).spec
    assert written.drawing is not None


def altair_segment(rows: Sequence[dict[str, Any]], *, x_title: str, description: str) -> charts.Chart:
    """The segment bars as altair builds them, long labels broken into lines (sitegen's code before)."""
    keys = [str(row["key"]) for row in rows]
    frame = pd.DataFrame({"key": keys, "value": [float(row["value"]) for row in rows]})
    lines = {key: textwrap.wrap(key, charts.BAR_LABEL_LINE) for key in keys if len(key) > charts.BAR_LABEL_LINE}
    label_expr = f"{json.dumps(lines, ensure_ascii=False, sort_keys=True)}[datum.label] || datum.label"
    axis = alt.Axis(labelLimit=200, **({"labelExpr": label_expr} if lines else {}))
    chart = (
        alt.Chart(frame)
        .mark_bar(color=charts.BRAND)
        .encode(
            y=alt.Y("key:N", title=None, sort="-x", axis=axis),
            x=alt.X("value:Q", title=x_title, axis=alt.Axis(tickCount=alt.ExprRef(charts.VALUE_TICKS))),
            tooltip=["key:N", alt.Tooltip("value:Q", format=".1f")],
        )
    )
    return altair_chart(chart, description, drawn=False)


segment_names = st.sampled_from(["Rīga centrs", "Jelgava", "Тц «Рига» — торговый центр у вокзала", "QR on receipt"])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"key": segment_names, "value": number}), min_size=1, max_size=4),
    st.sampled_from(["NPS", "%", "Vidējais «vērtējums»"]),
)
def test_a_segment_chart_is_the_spec_altair_makes_of_it(rows: list[dict[str, Any]], x_title: str) -> None:
    written = charts.segment_chart(rows, x_title=x_title, description="nps: location")
    assert written.spec == altair_segment(rows, x_title=x_title, description="nps: location").spec
    assert written.drawing is None
