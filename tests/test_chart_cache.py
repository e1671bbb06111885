"""Drawn charts are kept by their digest between builds: an unchanged chart is not drawn again, output unchanged."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitegen import charts
from sitegen.build import build_project
from sitegen.chart_cache import ChartCache
from sitegen.charts import drawing_key, trend_chart, use_chart_cache
from sitegen.errors import SitegenError
from sitegen.interchange import open_store
from sitegen.scaffold import create_project
from sitegen.site import load_site
from sitegen.store import StoredResponse
from sitegen.versions import survey_version, version_of

FIXTURE = Path(__file__).parent / "fixtures" / "minimal"
AS_OF = dt.date(2026, 6, 15)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The specs vl-convert is asked to draw, each process starting afresh (no drawing remembered in memory)."""
    calls: list[str] = []
    draw = charts._draw_svg

    def counted(spec_text: str) -> str:
        calls.append(spec_text)
        return draw(spec_text)

    monkeypatch.setattr(charts, "_draw_svg", counted)
    charts._drawing.cache_clear()
    yield calls
    # The drawer is one thread: once this no-op has run, nothing this test queued can be counted by the next one.
    charts._drawer().submit(lambda: None).result()
    charts._drawing.cache_clear()
    use_chart_cache(None)


def a_new_process() -> None:
    charts._drawing.cache_clear()


def trend(value: float) -> charts.Chart:
    points = [{"period": "2026-05", "value": 40.0}, {"period": "2026-06", "value": value}]
    return trend_chart(points, y_title="NPS", target=None, description="nps per period")


def test_a_chart_drawn_once_is_taken_from_the_cache_and_a_changed_one_is_drawn(
    drawn: list[str], tmp_path: Path
) -> None:
    use_chart_cache(ChartCache.open(tmp_path / "cache", tmp_path / "output"))
    first = trend(50.0).svg
    assert len(drawn) == 1 and first.startswith("<svg")
    a_new_process()
    assert trend(50.0).svg == first and len(drawn) == 1
    a_new_process()
    changed = trend(55.0).svg
    assert len(drawn) == 2 and changed != first
    assert len(list((tmp_path / "cache").glob("*.svg"))) == 2


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The descriptions of the drawn charts whose spec is made (`charts.trend_spec`, `charts.distribution_spec`;
    the bar charts of segments, never drawn, are made every build: a few hundred microseconds each)."""
    calls: list[str] = []
    for name in ("trend_spec", "distribution_spec"):
        made = getattr(charts, name)

        def counted(*args: Any, made: Any = made, **kwargs: Any) -> dict[str, Any]:
            calls.append(kwargs["description"])
            spec: dict[str, Any] = made(*args, **kwargs)
            return spec

        monkeypatch.setattr(charts, name, counted)
    return calls


def test_a_kept_spec_is_not_built_again_and_is_the_chart_built_anew(
    drawn: list[str], built: list[str], tmp_path: Path
) -> None:
    fresh = trend(50.0)  # no cache: built
    use_chart_cache(ChartCache.open(tmp_path / "cache", tmp_path / "output"))
    assert trend(50.0).spec == fresh.spec and len(built) == 2
    a_new_process()
    kept = trend(50.0)
    assert len(built) == 2, "the spec came from the cache"
    assert (kept.spec, kept.svg) == (fresh.spec, fresh.svg)
    changed = trend(55.0)
    assert changed.spec != fresh.spec and len(built) == 3
    assert changed.svg.startswith("<svg")
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2


def test_the_spec_key_is_the_figures_the_texts_and_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    points = {"args": ([{"period": "2026-06", "value": 50.0}],), "kwargs": {"y_title": "NPS"}}
    key = charts.spec_key("trend_chart", points)
    assert key == charts.spec_key("trend_chart", points) != charts.spec_key("distribution_chart", points)
    assert charts.spec_key("trend_chart", {**points, "kwargs": {"y_title": "CSAT"}}) != key
    monkeypatch.setattr(charts, "CHART_CODE", "the code changed")
    assert charts.spec_key("trend_chart", points) != key


def test_a_damaged_entry_is_ignored_and_drawn_again(drawn: list[str], tmp_path: Path) -> None:
    use_chart_cache(ChartCache.open(tmp_path / "cache", tmp_path / "output"))
    first = trend(50.0).svg
    (entry,) = (tmp_path / "cache").glob("*.svg")
    entry.write_bytes(entry.read_bytes()[:-40])  # torn, as by a full disk
    a_new_process()
    assert trend(50.0).svg == first and len(drawn) == 2
    a_new_process()
    assert trend(50.0).svg == first and len(drawn) == 2  # the redrawn entry is whole again


def test_the_key_is_the_spec_and_the_versions_that_draw_it(monkeypatch: pytest.MonkeyPatch) -> None:
    key = drawing_key('{"mark":"bar"}')
    assert key == drawing_key('{"mark":"bar"}') != drawing_key('{"mark":"line"}')
    monkeypatch.setattr(charts, "VEGA_LITE_VERSION", "5.20")
    assert drawing_key('{"mark":"bar"}') != key


def test_the_least_recently_used_entries_go_beyond_the_limit(tmp_path: Path) -> None:
    cache = ChartCache.open(tmp_path / "cache", tmp_path / "output")
    for number in range(5):
        cache.keep(f"key{number}", "<svg>" + "x" * 1000 + "</svg>")
    for number, path in enumerate(sorted((tmp_path / "cache").glob("*.svg"))):
        stamp = 1_700_000_000 + number
        os.utime(path, (stamp, stamp))
    assert cache.svg("key0") is not None  # used now: the most recent
    ChartCache.open(tmp_path / "cache", tmp_path / "output", limit_bytes=3 * 1100)
    assert sorted(path.stem for path in (tmp_path / "cache").glob("*.svg")) == ["key0", "key3", "key4"]


def test_the_cache_is_never_inside_output(tmp_path: Path) -> None:
    for folder in (tmp_path / "output", tmp_path / "output" / "charts"):
        with pytest.raises(SitegenError, match="inside"):
            ChartCache.open(folder, tmp_path / "output")


def test_a_second_build_draws_nothing_builds_no_spec_and_writes_the_same_site(
    drawn: list[str], built: list[str], tmp_path: Path
) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    build_project(project, as_of=AS_OF)
    first = {path: path.read_bytes() for path in (project / "output").rglob("*") if path.is_file()}
    assert drawn, "the fixture's scorecard has charts to draw"
    cached = sorted((project / ".sitegen-cache" / "charts").glob("*.svg"))
    assert len(cached) == len(set(drawn))
    a_new_process()
    drawn.clear()
    built.clear()
    build_project(project, as_of=AS_OF)
    assert drawn == []
    assert built == [], "each drawn chart's spec was kept"
    assert {path: path.read_bytes() for path in (project / "output").rglob("*") if path.is_file()} == first
    assert not any(".sitegen-cache" in str(path) for path in first)


def store_answers(project: Path, scores: list[int], day: dt.date) -> None:
    """After-visit answers with these NPS scores, one a minute from 10:00 UTC on `day`."""
    site = load_site(project)
    survey = next(source.model for source in site.surveys if source.model.id == "after-visit")
    start = dt.datetime.combine(day, dt.time(10), dt.UTC)
    responses = [
        StoredResponse(
            f"visit-{day:%m%d}-{number:03}",
            "after-visit",
            survey_version(survey),
            start + dt.timedelta(minutes=number),
            "lv",
            {"location": "riga-centre"},
            {"recommend": score},
        )
        for number, score in enumerate(scores)
    ]
    with open_store(site) as store:
        store.record_versions([version_of(survey, start)])
        store.add(responses)


def test_a_changed_figure_draws_only_its_charts(drawn: list[str], tmp_path: Path) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    store_answers(project, [9, 10, 7, 3, 9, 10], dt.date(2026, 5, 4))
    build_project(project, as_of=AS_OF)
    first = set(drawn)
    assert len(first) > 1, "the NPS and the repeat rate both have drawn charts"
    with (project / "data" / "orders.csv").open("a", encoding="utf-8") as orders:
        orders.write("c2,2026-06-03T10:00:00\n")  # a repeat order in June: only the repeat rate changes
    a_new_process()
    drawn.clear()
    build_project(project, as_of=AS_OF)
    assert len(drawn) == 1 and drawn[0] not in first
    assert "repeat" in drawn[0]


def test_the_cache_folder_is_configurable(drawn: list[str], tmp_path: Path) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    config = project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "chart_cache: ../charts-kept\n", encoding="utf-8")
    build_project(project, as_of=AS_OF)
    assert list((tmp_path / "charts-kept").glob("*.svg")) and not (project / ".sitegen-cache" / "charts").exists()


def test_a_new_project_and_this_repository_ignore_the_cache_in_git(tmp_path: Path) -> None:
    create_project(tmp_path / "site")
    for ignore in (tmp_path / "site" / ".gitignore", Path(__file__).parent.parent / ".gitignore"):
        assert "/.sitegen-cache/" in ignore.read_text(encoding="utf-8").splitlines()


def test_the_chart_script_is_kept_and_taken_from_the_cache_without_bundling_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled: list[str] = []
    bundle = charts.chart_drawing.in_worker

    def counted(*arguments: Any) -> str:
        if arguments[0] == "bundle":  # not the drawing process's warm-up, which a first test in a process starts
            bundled.append("bundled")
        return bundle(*arguments)

    monkeypatch.setattr(charts.chart_drawing, "in_worker", counted)
    try:
        for _ in range(2):  # two builds, each a new process
            charts._bundling.cache_clear()
            use_chart_cache(ChartCache.open(tmp_path / "cache", tmp_path / "output"))
            charts.prepare_charts()
            script = charts.vega_bundle()
            assert "vegaEmbed" in script
        assert bundled == ["bundled"]
        kept = ChartCache(tmp_path / "cache").text(charts.bundle_key(), ".js")
        assert kept == script
        (tmp_path / "cache" / f"{charts.bundle_key()}.js").write_text("torn", encoding="utf-8")
        charts._bundling.cache_clear()
        assert charts.vega_bundle() == script and bundled == ["bundled", "bundled"], "a damaged script is made again"
    finally:
        charts._bundling.cache_clear()
        use_chart_cache(None)


def test_charts_are_drawn_in_a_worker_process_and_a_killed_worker_loses_no_chart() -> None:
    drawing = charts.chart_drawing
    spec = trend(41.0).spec
    first = drawing.in_worker("svg", spec, charts.VEGA_LITE_VERSION)
    worker = drawing.worker()
    assert worker.pid != os.getpid()
    assert first.startswith("<svg") and first == drawing.draw_svg(spec, charts.VEGA_LITE_VERSION)
    os.kill(worker.pid, signal.SIGKILL)
    worker._process.wait(timeout=30)
    assert drawing.in_worker("svg", spec, charts.VEGA_LITE_VERSION) == first, "drawn here when the worker died"
    assert drawing.in_worker("svg", trend(42.0).spec, charts.VEGA_LITE_VERSION).startswith("<svg")
    assert drawing.worker().pid != worker.pid, "a new worker for the next chart"


def test_a_chart_the_worker_cannot_draw_is_an_error_with_its_reason() -> None:
    with pytest.raises(ValueError, match="JSONDecodeError"):
        charts.chart_drawing.in_worker("svg", "{not json", charts.VEGA_LITE_VERSION)
    assert charts.chart_drawing.in_worker("svg", trend(43.0).spec, charts.VEGA_LITE_VERSION).startswith("<svg")


def test_with_a_core_to_spare_the_drawing_process_is_started_and_warmed_before_the_first_chart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []
    run = charts.chart_drawing.in_worker

    def recorded(job: str, text: str, vega_lite: str) -> str:
        sent.append(job)
        return run(job, text, vega_lite)

    charts._drawer().submit(lambda: None).result(timeout=120)  # what earlier tests queued is drawn first (one thread)
    monkeypatch.setattr(charts.chart_drawing, "in_worker", recorded)
    monkeypatch.setattr(charts, "_bundling", lambda: None)  # the chart script has a test of its own
    try:
        for cores, expected in ((1, []), (2, ["warm", "svg", "svg", "svg"])):
            charts._warming.cache_clear()
            monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
            charts.prepare_charts()
            if expected:
                assert charts._warming().result(timeout=120) == ""
                charts._drawer().submit(lambda: None).result(timeout=120)  # the warm-up's charts, queued after it
            assert sent == expected, f"{cores} core(s): the engine, then the made-up charts"
        assert charts.chart_drawing.running_pid() is not None
        assert run("svg", trend(44.0).spec, charts.VEGA_LITE_VERSION).startswith("<svg"), "the warm worker draws"
    finally:
        charts._warming.cache_clear()


def test_the_warm_up_draws_charts_shaped_like_a_builds_unless_real_ones_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = charts.warm_up_specs()
    svgs = [charts.chart_drawing.in_worker("svg", spec, charts.VEGA_LITE_VERSION) for spec in specs]
    assert all(svg.startswith("<svg") and "role-axis" in svg for svg in svgs), "each is a chart vl-convert draws"
    trend, _, bars = (json.loads(spec) for spec in specs)
    marks = [layer["mark"]["type"] for layer in trend["layer"]]
    assert marks == ["area", "line", "line", "line", "line", "point", "rule", "rule"], "band, limits, signal, rules"
    assert bars["mark"] == {"type": "bar"} and trend["width"] == bars["width"] == charts.PRINTED_PLOT["width"]
    sent: list[str] = []
    monkeypatch.setattr(charts.chart_drawing, "in_worker", lambda job, text, _version: sent.append(text) or "<svg/>")
    assert charts._warm_up_charts() == 3 and sent == specs
    sent.clear()
    charts._waiting.add(1)  # a real chart is queued
    try:
        assert charts._warm_up_charts() == 0 and sent == [], "the warm-up gives way"
    finally:
        charts._waiting.add(-1)
