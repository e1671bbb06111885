"""Charts of published figures: altair builds Vega-Lite specs, vl-convert draws the same chart as SVG.

A chart only ever sees figures that are already published (aggregated, and
with suppressed cells removed), so no spec or SVG can carry a raw response or
a hidden group. The spec is drawn by vega-embed in the browser; the SVG
stands in for readers without JavaScript and for printing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np

from sitegen import chart_drawing
from sitegen.chart_cache import BUNDLE, SPEC, ChartCache

VEGA_LITE_VERSION = "6.4"
BRAND = "#0b5f55"
TARGET = "#9c4a00"
BAND = "#9fd8cd"
LIMITS = "#5c6b68"
SIGNAL = "#a3231b"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
# At most this many period labels on a time axis; `labelOverlap` drops every other one where even these do not fit.
MOST_PERIOD_LABELS = 8
# Steps between labelled periods, each a calendar unit (a quarter of months, a quarter of weeks, a year of quarters).
PERIOD_STEPS = {"W": (1, 2, 4, 13, 26, 52), "M": (1, 2, 3, 6, 12), "Q": (1, 2, 4)}
PERIOD_LABEL = re.compile(r"^\d{4}-(?:(?P<W>W\d{2})|(?P<M>\d{2})|(?P<Q>Q\d))$")
WEEK_LABEL = re.compile(r"^\d{4}-W\d{2}$")
# Labels this close (px) to an end of the axis are aligned to that end instead of centred, so none sticks out.
PERIOD_LABEL_FLUSH = 8
# A value axis across the page gets a tick every 80 px or so (Vega-Lite's default, every 40 px, crowds it).
VALUE_TICKS = "ceil(width / 80)"
# Legend entries side by side where the plot is wide enough for three of them, one under the other where not.
LEGEND_COLUMNS = "width < 420 ? 1 : 3"
# Bar labels longer than this (characters) are drawn on several lines, so none is cut short with "…" at 360 px.
BAR_LABEL_LINE = 24
# The printed SVG is measured with vl-convert's fonts but drawn with the reader's, maybe wider: room at the edges.
SVG_PADDING = {"left": 24, "right": 24, "top": 8, "bottom": 8}
# The printed SVG's plot area (px); its axes, legend and padding are added around it (autosize "pad", Vega-Lite's
# default), which lays a chart out once: "fit" lays it out again to fit a total size, about a fifth more CPU a chart.
# The sizes keep a trend's whole SVG about the 560 x 220 px it was when fitted.
PRINTED_PLOT = {"width": 500, "height": 180, "autosize": {"type": "pad"}}


@dataclass(frozen=True)
class Chart:
    """A chart as a Vega-Lite spec (JSON text) and as SVG markup, drawn in the background until asked for.

    A chart without a `drawing` has no static SVG: its figures are in the table beside it, so readers without
    JavaScript lose nothing, and a build does not draw three languages' bar charts that nobody prints.
    """

    spec: str
    drawing: Future[str] | None = field(default=None, repr=False, compare=False)

    @property
    def svg(self) -> str:
        return "" if self.drawing is None else self.drawing.result()


@cache
def _chart_frame() -> str:
    """What altair puts around every chart (schema, config, size), taken from altair once a process: each chart
    is written out inside it as altair would write it (altair takes 10-50 ms a chart, a rebuild makes dozens)."""
    fitted = alt.layer(alt.Chart().mark_line()).properties(
        width="container", height=220, autosize=alt.AutoSizeParams(type="fit", contains="padding")
    )
    configured = (
        fitted.configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridColor="#e3e8e6")
        .configure_view(stroke=None)
    )
    spec = configured.to_dict(validate=False)
    return json.dumps({key: spec[key] for key in ("$schema", "config", "height", "width", "autosize")})


def _written(body: dict[str, Any], datasets: Datasets, description: str) -> dict[str, Any]:
    """A chart's spec as altair writes it: the frame, the datasets named in `body`, the description and `body`."""
    spec: dict[str, Any] = json.loads(_chart_frame()) | {"datasets": dict(datasets), "description": description}
    return spec | body


def _chart_of(spec: dict[str, Any], *, drawn: bool) -> Chart:
    spec_text = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Chart(spec_text, _drawing(_printable(spec)) if drawn else None)


def _printable(spec: dict[str, Any]) -> str:
    """The spec the static SVG is drawn from: a page's width, and room at the edges for the reader's fonts."""
    return json.dumps(spec | PRINTED_PLOT | {"padding": SVG_PADDING}, sort_keys=True)


CHART_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
"""This module's text: a spec that an earlier version of the code built is built again, never taken as it was."""


def spec_key(builder: str, arguments: dict[str, Any]) -> str:
    """The SHA-256 of everything a chart's spec is made from: the figures and texts it is given, and the code."""
    inputs = {"builder": builder, "arguments": arguments, "code": CHART_CODE, "altair": alt.__version__}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _kept_spec(build: Callable[..., Chart]) -> Callable[..., Chart]:
    """A drawn chart whose spec the cache holds is taken from it: altair takes some 40 ms a layered chart, and most
    of a build's charts show figures that did not change since the last build."""

    @functools.wraps(build)
    def built(*args: Any, **kwargs: Any) -> Chart:
        kept = _kept[0] if _kept else None
        if kept is None:
            return build(*args, **kwargs)
        key = spec_key(build.__name__, {"args": args, "kwargs": kwargs})
        spec_text = kept.text(key, SPEC)
        if spec_text is not None:
            return _chart_of(json.loads(spec_text), drawn=True)
        chart = build(*args, **kwargs)
        kept.keep(key, chart.spec, SPEC)
        return chart

    return built


@cache
def _drawer() -> ThreadPoolExecutor:
    """One thread that waits on the drawing process (`sitegen.chart_drawing`), so charts are drawn while Python
    reads and renders."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitegen-charts")


_kept: list[ChartCache] = []
"""The cache the current build draws through (`use_chart_cache`); none, and every chart is drawn."""


def use_chart_cache(kept: ChartCache | None) -> None:
    """Keep the SVGs drawn from now on in `kept`, and take those it holds instead of drawing them again."""
    _kept[:] = [] if kept is None else [kept]


def drawing_key(spec_text: str) -> str:
    """The SHA-256 of everything an SVG is made from: the spec (with the theme's fonts, colours and padding in it),
    the Vega-Lite version it is drawn as and the vl-convert that draws it."""
    inputs = {"spec": spec_text, "vega_lite": VEGA_LITE_VERSION, "vl_convert": version("vl-convert-python")}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode("utf-8")).hexdigest()


def _draw_svg(spec_text: str) -> str:
    """vl-convert's SVG of a spec, drawn in the worker process: the one place a chart is drawn (tests count the
    calls)."""
    return chart_drawing.in_worker("svg", spec_text, VEGA_LITE_VERSION)


class _Waiting:
    """How many charts are queued for drawing and not yet started: the warm-up's made-up charts give way to them."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def add(self, change: int) -> None:
        with self._lock:
            self._count += change

    def __bool__(self) -> bool:
        return self._count > 0


_waiting = _Waiting()


def _drawn(spec_text: str, kept: ChartCache | None) -> str:
    """The SVG of a spec the cache does not hold, drawn now and kept for the next build."""
    _waiting.add(-1)
    svg = _draw_svg(spec_text)
    if kept is not None:
        kept.keep(drawing_key(spec_text), svg)
    return svg


@cache
def _drawing(spec_text: str) -> Future[str]:
    """The SVG of a spec: taken from the cache at once when it holds one, never queued behind the drawing
    process's warm-up and the charts drawn before it (a rebuild with nothing new waited some 0.2 s for it)."""
    kept = _kept[0] if _kept else None
    svg = kept.svg(drawing_key(spec_text)) if kept is not None else None
    if svg is not None:
        return _ready(svg)
    _waiting.add(1)
    return _drawer().submit(_drawn, spec_text, kept)


def _ready(text: str) -> Future[str]:
    """A future that holds `text` already: what the cache gave needs no thread."""
    ready: Future[str] = Future()
    ready.set_result(text)
    return ready


def labelled_periods(periods: Sequence[str]) -> list[str]:
    """The periods that carry a label on a time axis: at most MOST_PERIOD_LABELS, on calendar steps.

    Weekly labels fall on every 1st, 2nd, 4th, 13th ... week of the year,
    monthly ones on every 1st, 2nd, 3rd ... month, so a thinned axis still
    reads as a calendar. Labels of another shape are thinned from the latest.
    """
    matches = [PERIOD_LABEL.match(period) for period in periods]
    kinds = {match.lastgroup for match in matches if match}
    if len(kinds) == 1 and all(matches):
        kind = kinds.pop() or "M"
        indices = [int(str(match[kind]).lstrip("WQ")) for match in matches if match]
        for step in PERIOD_STEPS[kind]:
            chosen = [period for period, index in zip(periods, indices, strict=True) if (index - 1) % step == 0]
            if len(chosen) <= MOST_PERIOD_LABELS:
                return chosen
        return chosen[:: math.ceil(len(chosen) / MOST_PERIOD_LABELS)]
    step = max(1, math.ceil(len(periods) / MOST_PERIOD_LABELS))
    return list(periods[::-1][::step][::-1])


def _period_axis(periods: Sequence[str]) -> dict[str, Any]:
    """A time axis that stays legible from 360 px up: few labels, level, end labels kept inside the chart.

    As altair writes `alt.Axis(...)` of these settings (tests compare the two).
    """
    values = labelled_periods(periods)
    axis: dict[str, Any] = {
        "labelAngle": 0,
        "labelOverlap": "parity",
        "labelSeparation": 6,
        "labelFlush": PERIOD_LABEL_FLUSH,
        # A little further down than usual, so the first label never touches the lowest value label beside it.
        "labelPadding": 5,
        "labelLimit": 90,
        "values": values,
    }
    if values and all(WEEK_LABEL.match(period) for period in values):
        # Weekly labels are long: a year's first week reads "2026", the rest "W14" (the first label stays whole).
        axis["labelExpr"] = (
            f"indexof(datum.label, '-W01') > 0 ? slice(datum.label, 0, 4)"
            f" : datum.label == {json.dumps(values[0])} ? datum.label : slice(datum.label, 5)"
        )
    return axis


@_kept_spec
def trend_chart(
    points: Sequence[dict[str, Any]],
    *,
    y_title: str,
    target: float | None,
    description: str,
    changed: str | None = None,
) -> Chart:
    """The trend of `trend_spec`, drawn (and its spec kept in the chart cache)."""
    return _chart_of(
        trend_spec(points, y_title=y_title, target=target, description=description, changed=changed), drawn=True
    )


def trend_spec(
    points: Sequence[dict[str, Any]],
    *,
    y_title: str,
    target: float | None,
    description: str,
    changed: str | None = None,
) -> dict[str, Any]:
    """Value per period as a line, its 95% interval as a band, control limits, signals and the target.

    `points` holds `period`, `value`, and `low`/`high` where an interval is
    known, `centre`/`lower`/`upper` where the period has control limits and
    `signal` (a rule id) where a rule fired; suppressed periods are absent.
    The limits are thin grey lines (dotted, the centre solid), a signal a
    red diamond ring around its point, the target a dashed rule, so no
    meaning rests on colour alone. `changed`, the period a question's meaning
    changed in, is a vertical dotted rule (the page says it in words too).
    """
    records = chart_records(points, ["period", "value", "low", "high", "centre", "lower", "upper", "signal"])
    has = {column: any(record[column] is not None for record in records) for column in ("low", "centre", "signal")}
    # The Vega-Lite altair makes of the same layers (tests compare the two), written out: altair takes some 50 ms
    # a layered chart, and every trend whose figures changed is built again.
    datasets = Datasets()
    main = datasets.named(records)
    periods = [str(record["period"]) for record in records]
    x: dict[str, Any] = {"axis": _period_axis(periods), "field": "period"}
    x |= {"title": None, "type": "ordinal"}

    def y(column: str) -> dict[str, Any]:
        return {"field": column, "title": y_title, "type": "quantitative"}

    period_tip = {"field": "period", "type": "ordinal"}
    value_tips = [period_tip, {"field": "value", "format": ".1f", "type": "quantitative"}]
    layers: list[tuple[str, dict[str, Any]]] = []
    if has["low"]:
        band = {"color": BAND, "opacity": 0.35, "type": "area"}
        layers.append((main, {"encoding": {"x": x, "y": y("low"), "y2": {"field": "high"}}, "mark": band}))
    if has["centre"]:
        for column, dash in (("upper", [2, 2]), ("lower", [2, 2]), ("centre", [1, 0])):
            limit = {"color": LIMITS, "interpolate": "step", "strokeDash": dash, "strokeWidth": 1.5, "type": "line"}
            layers.append((main, {"encoding": {"x": x, "y": y(column)}, "mark": limit}))
    line = {"color": BRAND, "point": {"color": BRAND}, "type": "line"}
    layers.append((main, {"encoding": {"tooltip": value_tips, "x": x, "y": y("value")}, "mark": line}))
    if has["signal"]:
        # A ring around the period's point, not a filled mark over it: the point and the line stay readable.
        ring = {"color": SIGNAL, "filled": False, "opacity": 1, "shape": "diamond", "size": 190, "strokeWidth": 2}
        encoding = {"tooltip": [*value_tips, {"field": "signal", "type": "nominal"}], "x": x, "y": y("value")}
        transform = [{"filter": "isValid(datum.signal)"}]
        layers.append((main, {"encoding": encoding, "mark": ring | {"type": "point"}, "transform": transform}))
    if changed is not None and changed in periods:
        rule = {"color": LIMITS, "strokeDash": [1, 3], "strokeWidth": 2, "type": "rule"}
        encoding = {"tooltip": [period_tip], "x": {"field": "period", "type": "ordinal"}}
        layers.append((datasets.named([{"period": changed}]), {"encoding": encoding, "mark": rule}))
    if target is not None:
        rule = {"color": TARGET, "strokeDash": [6, 4], "strokeWidth": 2, "type": "rule"}
        encoding = {"y": {"field": "target", "type": "quantitative"}}
        layers.append((datasets.named([{"target": target}]), {"encoding": encoding, "mark": rule}))
    return _layered(layers, datasets, description)


def chart_records(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """`rows` as the records altair makes of `pd.DataFrame(rows, columns=columns)` (`alt.utils.data.to_values`),
    without the frame: a few hundred microseconds instead of some 20 ms a chart.

    Each column holds numbers or texts. As pandas types each column: whole numbers stay whole only when every row
    has one, else every number becomes a float; a missing value, None, NaN or an infinity becomes None (JSON null);
    text stays text.
    """
    typed = {column: _column_of([row.get(column) for row in rows]) for column in columns}
    return [{column: typed[column][index] for column in columns} for index in range(len(rows))]


def _column_of(values: list[Any]) -> list[Any]:
    """One column's values as altair writes them, by the type pandas gives the column."""
    if values and all(isinstance(value, int | np.integer) and not isinstance(value, bool) for value in values):
        return [int(value) for value in values]
    if all(
        value is None or (isinstance(value, float | int | np.number) and not isinstance(value, bool))
        for value in values
    ):
        return [None if value is None or not math.isfinite(value) else float(value) for value in values]
    return [None if value is None or (isinstance(value, float) and math.isnan(value)) else value for value in values]


class Datasets(dict[str, list[dict[str, Any]]]):
    """A chart's datasets by name, each named as altair names it: by the SHA-256 of its values as JSON."""

    def named(self, values: list[dict[str, Any]]) -> str:
        text = json.dumps(values, sort_keys=True, default=str)
        name = "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]
        self.setdefault(name, values)
        return name


def _layered(layers: Sequence[tuple[str, dict[str, Any]]], datasets: Datasets, description: str) -> dict[str, Any]:
    """Layers, each with its dataset's name, as one chart laid out as altair lays it out: one dataset that every
    layer shares is named once at the top rather than in each layer."""
    names = [name for name, _ in layers]
    shared = len(set(names)) == 1
    body: dict[str, Any] = {"layer": [layer if shared else {"data": {"name": name}, **layer} for name, layer in layers]}
    if shared:
        body["data"] = {"name": names[0]}
    return _written(body, datasets, description)


def segment_chart(rows: Sequence[dict[str, Any]], *, x_title: str, description: str) -> Chart:
    """One horizontal bar per published segment (location, channel, ...), a long label broken into lines.

    Spec only, no static SVG: the breakdown's table beside it holds the same figures for readers without JavaScript.
    A build makes one per segment, language and span (a hundred or more): written out as altair writes it.
    """
    keys = [str(row["key"]) for row in rows]
    values = [{"key": key, "value": float(row["value"])} for key, row in zip(keys, rows, strict=True)]
    datasets = Datasets()
    y_axis: dict[str, Any] = {"labelLimit": 200}
    lines = {key: textwrap.wrap(key, BAR_LABEL_LINE) for key in keys if len(key) > BAR_LABEL_LINE}
    if lines:
        y_axis["labelExpr"] = f"{json.dumps(lines, ensure_ascii=False, sort_keys=True)}[datum.label] || datum.label"
    encoding = {
        "tooltip": [{"field": "key", "type": "nominal"}, {"field": "value", "format": ".1f", "type": "quantitative"}],
        "x": {"axis": {"tickCount": {"expr": VALUE_TICKS}}, "field": "value", "title": x_title, "type": "quantitative"},
        "y": {"axis": y_axis, "field": "key", "sort": "-x", "title": None, "type": "nominal"},
    }
    body = {"data": {"name": datasets.named(values)}, "encoding": encoding, "mark": {"color": BRAND, "type": "bar"}}
    return _chart_of(_written(body, datasets, description), drawn=False)


@_kept_spec
def distribution_chart(
    rows: Sequence[dict[str, Any]], *, order: Sequence[str], colours: Sequence[str], description: str
) -> Chart:
    """The bars of `distribution_spec`, drawn (and their spec kept in the chart cache)."""
    return _chart_of(distribution_spec(rows, order=order, colours=colours, description=description), drawn=True)


def distribution_spec(
    rows: Sequence[dict[str, Any]], *, order: Sequence[str], colours: Sequence[str], description: str
) -> dict[str, Any]:
    """Shares of answer groups per period as stacked bars (e.g. detractors, passives, promoters), written out as
    altair writes the same chart (tests compare the two)."""
    records = chart_records(rows, ["period", "group", "share"])
    datasets = Datasets()
    periods = list(dict.fromkeys(record["period"] for record in records))
    legend = {"direction": "horizontal", "labelLimit": 260, "orient": "bottom", "symbolType": "square", "title": None}
    colour = {
        "field": "group",
        "legend": legend | {"columns": {"expr": LEGEND_COLUMNS}},
        "scale": {"domain": list(order), "range": list(colours)},
        "sort": list(order),
        "type": "nominal",
    }
    tooltip = [
        {"field": "period", "type": "ordinal"},
        {"field": "group", "type": "nominal"},
        {"field": "share", "format": ".1f", "type": "quantitative"},
    ]
    encoding = {
        "color": colour,
        "order": {"field": "group_order", "type": "quantitative"},
        "tooltip": tooltip,
        "x": {"axis": _period_axis(periods), "field": "period", "title": None, "type": "ordinal"},
        "y": {"axis": {"format": "%"}, "field": "share", "stack": "normalize", "title": "%", "type": "quantitative"},
    }
    body = {
        "data": {"name": datasets.named(records)},
        "encoding": encoding,
        "mark": {"type": "bar"},
        "transform": [{"as": "group_order", "calculate": f"indexof({json.dumps(list(order))}, datum.group)"}],
    }
    return _written(body, datasets, description)


def bundle_key() -> str:
    """The SHA-256 of what the chart script is made from: the Vega-Lite version and the vl-convert that bundles it."""
    inputs = {"bundle": "vega-embed", "vega_lite": VEGA_LITE_VERSION, "vl_convert": version("vl-convert-python")}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode("utf-8")).hexdigest()


def _bundled(kept: ChartCache | None) -> str:
    script = chart_drawing.in_worker("bundle", "", VEGA_LITE_VERSION)
    if kept is not None:
        kept.keep(bundle_key(), script, BUNDLE)
    return script


@cache
def _bundling() -> Future[str]:
    """The chart script: the cache's when it holds one (bundling it holds the GIL for about two seconds, stalling
    every other thread), else made in the background and kept."""
    kept = _kept[0] if _kept else None
    script = kept.text(bundle_key(), BUNDLE) if kept is not None else None
    return _drawer().submit(_bundled, kept) if script is None else _ready(script)


def prepare_charts() -> None:
    """Start making the chart script now (after `use_chart_cache`, so a kept one is taken), ready by the time the
    responses are read; and start the drawing process (`start_drawing`) if nothing started it yet."""
    start_drawing()
    _bundling()


def start_drawing() -> None:
    """With a core to spare, start the drawing process and load what drawing needs, in the background.

    A warm worker draws a build's first chart in about 50 ms instead of 0.4-1 s (starting the process, the
    JavaScript engine and Vega-Lite); a build with nothing new to draw spends that on the other core, unseen.
    `build_project` calls it before the project loads, so the first changed chart is drawn as soon as its figures
    are ready rather than after the warm-up.
    """
    if (os.cpu_count() or 1) >= 2:
        _warming()


@cache
def _warming() -> Future[str]:
    warmed = _drawer().submit(chart_drawing.in_worker, "warm", "", VEGA_LITE_VERSION)
    _drawer().submit(_warm_up_charts)
    return warmed


def _warm_up_charts() -> int:
    """Draw made-up charts shaped like a build's (`warm_up_specs`), each unless real charts wait, which come first;
    how many were drawn. They leave the JavaScript engine's code for such charts compiled: the first real chart
    then takes some 55 ms of CPU instead of 105 (measured on the example's charts; docs/DESIGN.md)."""
    drawn = 0
    for spec_text in warm_up_specs():
        if _waiting:
            break
        chart_drawing.in_worker("svg", spec_text, VEGA_LITE_VERSION)
        drawn += 1
    return drawn


def warm_up_specs() -> list[str]:
    """Printable specs shaped like a build's: two trends (band, control limits, a signal, a changed meaning, a
    target) and the answer groups' bars, with made-up figures."""
    periods = [f"{year}-{month:02}" for year in (2025, 2026) for month in range(1, 13)]
    points: list[dict[str, Any]] = [
        {"period": period, "value": 40.0 + index % 5, "low": 35.0 + index % 5, "high": 45.0 + index % 5}
        | {"centre": 42.0, "lower": 30.0, "upper": 54.0}
        for index, period in enumerate(periods)
    ]
    points[-1]["signal"] = "run_of_8"
    groups = ["Detractors", "Passives", "Promoters"]
    rows = [{"period": period, "group": group, "share": 100 / 3} for period in periods for group in groups]
    specs = [
        trend_spec(points, y_title="NPS", target=50.0, description="warm-up", changed=periods[12]),
        trend_spec(points[::2], y_title="%", target=None, description="warm-up"),
        distribution_spec(rows, order=groups, colours=[SIGNAL, LIMITS, BRAND], description="warm-up"),
    ]
    return [_printable(spec) for spec in specs]


def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script, shipped with the site (no CDN)."""
    return _bundling().result()
