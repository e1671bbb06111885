"""Trend charts are written out as the Vega-Lite altair makes of the same layers: the two compared, spec for spec."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import charts


def altair_trend(
    points: Sequence[dict[str, Any]], *, y_title: str, target: float | None, description: str, changed: str | None
) -> charts.Chart:
    """The trend chart as altair builds it (sitegen's code before it was written out)."""
    columns = ["period", "value", "low", "high", "centre", "lower", "upper", "signal"]
    frame = pd.DataFrame(list(points), columns=columns)
    axis = charts._period_axis(list(frame["period"]))
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
    return charts._finish(alt.layer(*layers), description)


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
