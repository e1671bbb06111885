"""sitegen's side of the benchmark, run in a fresh process so that its peak memory is its own.

Usage: step.py PROJECT pair   NPS and CSAT per month and per location only (what plain.py computes)
       step.py PROJECT full   the scorecard step of a build: every scorecard's figures, data files and charts
       step.py PROJECT full CACHE   the same, drawing through the chart cache in folder CACHE, as a build does
       step.py PROJECT recompute   every scorecard's data files from the store alone (no snapshot, nothing
                              kept), what the builds' files must equal

`full` reads the answers as a build does, through the project's answer
snapshots (`sitegen.answer_snapshots`, `.sitegen-cache/answers`): from the
store alone when there are none, from them and the rows added since when
there are. `pair` reads the store alone, as the floor does.

Prints one JSON object: seconds in all and per part, CPU seconds (every
thread, and the drawing process's: vl-convert's), peak RSS (this process's
and the drawing process's added up, a bound on both at once; and the RSS after imports and
loading the project, which the step did not cause), and, for `pair`, the
figures, so that the benchmark can compare them with plain.py's. Loading
the project is not timed: a build does it once for every page. As a build
does, `full` starts the drawing process before the project loads
(`charts.start_drawing`); its CPU is counted with the step's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import resource
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from peak_memory import peak_rss_mb

from sitegen import chart_drawing
from sitegen.build import scorecard_files
from sitegen.chart_cache import ChartCache
from sitegen.charts import Chart, prepare_charts, start_drawing, use_chart_cache, vega_bundle
from sitegen.metric_kinds import kind_of
from sitegen.models.scorecard import Scorecard
from sitegen.render.scorecard_view import metric_charts, nps_distribution
from sitegen.render.segments import metric_words
from sitegen.scorecards import MetricFigures, _all_scorecards, compute_scorecard, compute_scorecards, read_frames
from sitegen.site import Site, load_site
from sitegen.store import ResponseStore

AS_OF = dt.date(2026, 11, 30)
"""After the last filled day (`fill.LAST_DAY`): every response counts, whatever day the bench runs."""

PAIR = Scorecard.model_validate(
    {
        "id": "bench-pair",
        "title": "NPS and CSAT",
        "period": "month",
        "metrics": [
            {"id": "nps", "kind": "nps", "survey": "after-visit", "question": "recommend", "segments": ["location"]},
            {
                "id": "csat",
                "kind": "csat",
                "survey": "after-visit",
                "question": "satisfaction",
                "segments": ["location"],
            },
        ],
    }
)
"""The two metrics plain.py computes, as a scorecard: same survey, questions, period and segment."""


def published(metric: MetricFigures) -> dict[str, dict[str, dict[str, float]]]:
    """The published cells of a metric, shaped like plain.py's figures."""
    periods = {cell.key: {"value": cell.value, "n": cell.n} for cell in metric.periods if cell.is_published}
    locations = {
        cell.key: {"value": cell.value, "n": cell.n} for cell in metric.segments["location"] if cell.is_published
    }
    return {"month": periods, "location": locations}


def measure_pair(site: Site) -> dict[str, Any]:
    """sitegen's figures for the two metrics, read from the store as a build reads them."""
    config = site.config.model
    surveys = {source.model.id: source.model for source in site.surveys}
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        responses = read_frames(store, [PAIR], surveys)
    figures = compute_scorecard(
        PAIR, responses, surveys, site.files.root, config.privacy.min_group_size, config.timezone, AS_OF
    )
    return {"figures": {metric.metric.id: published(metric) for metric in figures.metrics}}


def recompute(site: Site) -> dict[str, Any]:
    """The data files of every scorecard computed from every stored answer, none of the caches a build keeps."""
    config = site.config.model
    surveys = {source.model.id: source.model for source in site.surveys}
    scorecards = [source.model for source in site.scorecards]
    with ResponseStore.open_for_reading(config.store, site.files.root) as store:
        responses = read_frames(store, scorecards, surveys)
    return {
        "files_digest": files_digest(
            scorecard_files(site, _all_scorecards(site, scorecards, responses, surveys, AS_OF, None))
        )
    }


def files_digest(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\x00{len(files[path])}\x00".encode() + files[path])
    return digest.hexdigest()


def measure_full(site: Site, chart_cache: Path | None) -> dict[str, Any]:
    """In `render_site`'s order: the chart script started, figures, every chart (specs, then SVGs), the data files;
    with `chart_cache`, SVGs drawn before are taken from it (the chart cache's trimming is timed too)."""
    started = time.perf_counter()
    if chart_cache is not None:
        use_chart_cache(ChartCache.open(chart_cache, site.files.output))
    prepare_charts()
    charts: list[Chart] = []

    def draw(_scorecard_id: str, metric: MetricFigures) -> None:
        """As the build does: each metric's charts start drawing as soon as its figures are ready."""
        built = metric_charts(metric, metric_words(site, metric.metric))
        charts.extend([built.trend] if built.trend is not None else [])
        for by_language in (built.segments, built.latest_segments):
            charts.extend(chart for by_segment in by_language.values() for chart in by_segment.values())
        if kind_of(metric.metric).shows_answer_groups:
            charts.extend(chart for lang in site.languages if (chart := nps_distribution(metric, lang)) is not None)

    figures = compute_scorecards(site, AS_OF, draw)
    computed = time.perf_counter()
    svg_bytes = sum(len(chart.svg) for chart in charts)  # waits for every drawing
    drawn = time.perf_counter()
    vega_bundle()  # made in the background since the start; what is left of it is timed here
    bundled = time.perf_counter()
    files = scorecard_files(site, figures)
    written = time.perf_counter()
    return {
        "figures_s": computed - started,
        "charts_s": drawn - computed,
        "bundle_s": bundled - drawn,
        "files_s": written - bundled,
        "charts": len(charts),
        "svgs": sum(chart.drawing is not None for chart in charts),
        "svg_bytes": svg_bytes,
        "files": len(files),
        "files_digest": files_digest(files),
        "responses": {scorecard_id: scorecard.responses for scorecard_id, scorecard in figures.items()},
    }


def main() -> None:
    project, mode = Path(sys.argv[1]), sys.argv[2]
    chart_cache = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    if mode == "full":
        start_drawing()  # as build_project does, before the project loads
    site = load_site(project)
    baseline = peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = {"pair": measure_pair, "recompute": recompute}.get(mode, lambda site: measure_full(site, chart_cache))(
        site
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    drawing_pid = chart_drawing.running_pid()
    drawing_rss_mb = 0.0 if drawing_pid is None else peak_rss_mb(drawing_pid)
    chart_drawing.stop()  # the drawing process's CPU counts once it has ended
    drawing = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds += drawing.ru_utime + drawing.ru_stime
    json.dump(
        {
            **result,
            "seconds": seconds,
            "cpu_s": cpu_seconds,
            "baseline_rss_mb": baseline,
            "peak_rss_mb": peak_rss_mb() + drawing_rss_mb,
            "drawing_rss_mb": drawing_rss_mb,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
