"""Charts of published figures: altair builds Vega-Lite specs, vl-convert draws the same chart as SVG.

A chart only ever sees figures that are already published (aggregated, and
with suppressed cells removed), so no spec or SVG can carry a raw response or
a hidden group. The spec is drawn by vega-embed in the browser; the SVG
stands in for readers without JavaScript and for printing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import altair as alt
import pandas as pd
import vl_convert

VEGA_LITE_VERSION = "6.4"
BRAND = "#0b5f55"
TARGET = "#9c4a00"
BAND = "#9fd8cd"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    """A chart as a Vega-Lite spec (JSON text) and as SVG markup, drawn in the background until asked for."""

    spec: str
    drawing: Future[str] = field(repr=False, compare=False)

    @property
    def svg(self) -> str:
        return self.drawing.result()


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    configured: alt.TopLevelMixin = (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridColor="#e3e8e6")
        .configure_view(stroke=None)
    )
    return configured


def _finish(chart: alt.TopLevelMixin, description: str) -> Chart:
    fitted = chart.properties(
        width="container",
        height=220,
        description=description,
        autosize=alt.AutoSizeParams(type="fit", contains="padding"),
    )
    spec = _config(fitted).to_dict(validate=False)
    spec_text = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    printable = dict(spec, width=560, autosize={"type": "fit", "contains": "padding"})
    return Chart(spec_text, _drawing(json.dumps(printable, sort_keys=True)))


@cache
def _drawer() -> ThreadPoolExecutor:
    """One thread for vl-convert, which works outside the GIL: charts are drawn while Python reads and renders."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitegen-charts")


@cache
def _drawing(spec_text: str) -> Future[str]:
    return _drawer().submit(
        lambda: str(vl_convert.vegalite_to_svg(json.loads(spec_text), vl_version=VEGA_LITE_VERSION))
    )


def trend_chart(points: Sequence[dict[str, Any]], *, y_title: str, target: float | None, description: str) -> Chart:
    """Value per period as a line, its 95% margin of error as a band, the target as a dashed rule.

    `points` holds `period`, `value`, and `low`/`high` where a margin is known;
    suppressed periods are simply absent.
    """
    frame = pd.DataFrame(list(points), columns=["period", "value", "low", "high"])
    base = alt.Chart(frame).encode(x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45)))
    layers: list[Any] = []
    if frame["low"].notna().any():
        layers.append(base.mark_area(opacity=0.35, color=BAND).encode(y=alt.Y("low:Q", title=y_title), y2="high:Q"))
    layers.append(
        base.mark_line(point=alt.OverlayMarkDef(color=BRAND), color=BRAND).encode(
            y=alt.Y("value:Q", title=y_title), tooltip=["period:O", alt.Tooltip("value:Q", format=".1f")]
        )
    )
    if target is not None:
        rule = (
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(color=TARGET, strokeDash=[6, 4], strokeWidth=2)
            .encode(y="target:Q")
        )
        layers.append(rule)
    return _finish(alt.layer(*layers), description)


def segment_chart(rows: Sequence[dict[str, Any]], *, x_title: str, description: str) -> Chart:
    """One horizontal bar per published segment (location, channel, ...)."""
    frame = pd.DataFrame(list(rows), columns=["key", "value"])
    chart = (
        alt.Chart(frame)
        .mark_bar(color=BRAND)
        .encode(
            y=alt.Y("key:N", title=None, sort="-x"),
            x=alt.X("value:Q", title=x_title),
            tooltip=["key:N", alt.Tooltip("value:Q", format=".1f")],
        )
    )
    return _finish(chart, description)


def distribution_chart(
    rows: Sequence[dict[str, Any]], *, order: Sequence[str], colours: Sequence[str], description: str
) -> Chart:
    """Shares of answer groups per period as stacked bars (e.g. detractors, passives, promoters)."""
    frame = pd.DataFrame(list(rows), columns=["period", "group", "share"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("share:Q", title="%", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color(
                "group:N",
                sort=list(order),
                scale=alt.Scale(domain=list(order), range=list(colours)),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            order=alt.Order("group_order:Q"),
            tooltip=["period:O", "group:N", alt.Tooltip("share:Q", format=".1f")],
        )
        .transform_calculate(group_order=f"indexof({json.dumps(list(order))}, datum.group)")
    )
    return _finish(chart, description)


@cache
def _bundling() -> Future[str]:
    # The stub marks `snippet` as required; at run time it defaults to the snippet that exposes vegaEmbed globally.
    return _drawer().submit(
        lambda: str(vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION))  # type: ignore[call-arg]
    )


def prepare_vega_bundle() -> None:
    """Start making the chart script now; it is ready by the time the responses are read."""
    _bundling()


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script, shipped with the site (no CDN)."""
    return _bundling().result()
