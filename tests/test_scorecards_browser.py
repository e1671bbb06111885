"""Scorecard pages in Chromium: charts drawn offline with JavaScript, SVG without it, one printed A4 page."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_example_project

from sitegen.build import build_project
from sitegen.interchange import import_responses
from sitegen.site import load_site
from sitegen.store import ResponseStore

SCORECARDS = ["customer-experience", "complaints", "employee-survey"]

pytestmark = pytest.mark.browser


def built_example(project: Path, *, copied: bool = False) -> Path:
    """The example site (copied to `project` unless it already is) with its synthetic sample imported, built."""
    if not copied:
        copy_example_project(project)
    site = load_site(project)
    with ResponseStore.open(site.config.model.store, project) as store:
        report = import_responses(site, store, [project / "data/sample-responses.jsonl"])
    assert not report.problems
    build_project(project)
    return project / "output/intranet"


@pytest.fixture(scope="module")
def intranet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site with its synthetic sample imported, built."""
    return built_example(tmp_path_factory.mktemp("scorecards") / "site")


@pytest.fixture(scope="module")
def weekly_intranet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site with its customer-experience scorecard counted per week (two years: 104 periods), built."""
    project = tmp_path_factory.mktemp("weekly") / "site"
    copy_example_project(project)
    scorecard = project / "content/scorecards/customer-experience.yaml"
    scorecard.write_text(
        scorecard.read_text(encoding="utf-8").replace("period: month", "period: week"), encoding="utf-8"
    )
    return built_example(project, copied=True)


@pytest.fixture
def served(intranet: Path, serve_directory) -> str:  # type: ignore[no-untyped-def]
    return serve_directory(intranet)


# Each chart's drawing: its box and every text of it with its box; `drawn` is false for labels that labelOverlap hid.
CHART_TEXTS = """(selector) => Array.from(document.querySelectorAll(selector)).map((svg) => {
  const box = (element) => { const r = element.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    box: box(svg),
    texts: Array.from(svg.querySelectorAll("text")).map((text) => ({
      text: text.textContent,
      box: box(text),
      axis: text.closest("g.role-axis-label") !== null,
      legend: text.closest("g.role-legend-label") !== null,
      drawn: text.getAttribute("opacity") !== "0" && text.textContent !== "",
    })),
  };
})"""


def chart_texts(page: Any, selector: str) -> list[dict[str, Any]]:
    drawings: list[dict[str, Any]] = page.evaluate(CHART_TEXTS, selector)
    assert drawings
    return drawings


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def outside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] < outer[0] - 0.5 or inner[2] > outer[2] + 0.5 or inner[1] < outer[1] - 0.5 or inner[3] > outer[3] + 0.5
    )


@pytest.mark.parametrize("scorecard", SCORECARDS)
def test_with_javascript_every_chart_is_drawn_by_the_shipped_vega_embed(
    browser_page, served: str, requested_urls: list[str], scorecard: str
) -> None:  # type: ignore[no-untyped-def]
    browser_page.goto(f"{served}en/scorecards/{scorecard}/")
    charts = browser_page.locator("figure.chart")
    assert charts.count() > 0
    # A locator, not wait_for_function: the pages' Content-Security-Policy forbids the eval that one needs.
    browser_page.locator("figure.chart:not(.is-live)").first.wait_for(state="detached")
    assert browser_page.locator("figure.chart .chart-live svg").count() == charts.count()
    assert all(url.startswith(served) for url in requested_urls)


def test_without_javascript_the_static_charts_are_shown(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served}lv/scorecards/customer-experience/")
    static = page.locator("figure.chart .chart-static svg")
    assert static.count() > 0 and static.first.is_visible()
    context.close()


@pytest.mark.parametrize("scorecard", SCORECARDS)
def test_a_scorecard_prints_on_one_a4_page(browser_page, served: str, scorecard: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    browser_page.goto(f"{served}en/scorecards/{scorecard}/")
    pdf = browser_page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1


@pytest.mark.parametrize("width", [360, 1280])
def test_a_scorecard_page_has_no_axe_violations_and_fits_the_screen(browser_page, served: str, width: int) -> None:  # type: ignore[no-untyped-def]
    axe = importlib.resources.files("axe_playwright_python") / "axe.min.js"
    browser_page.set_viewport_size({"width": width, "height": 900})
    browser_page.add_init_script(path=str(axe))  # not a <script> tag, which the page's policy refuses
    browser_page.goto(f"{served}ru/scorecards/customer-experience/")
    browser_page.locator("figure.chart.is-live").first.wait_for()
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    result = browser_page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    assert [
        (violation["id"], [node["target"] for node in violation["nodes"]][:3]) for violation in result["violations"]
    ] == []


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize(
    ("period", "scorecard"), [*(("as built", scorecard) for scorecard in SCORECARDS), ("week", SCORECARDS[0])]
)
def test_drawn_charts_show_axis_labels_that_never_overlap_and_cut_no_text(
    browser_page,
    intranet: Path,
    weekly_intranet: Path,
    serve_directory,
    period: str,
    scorecard: str,
    width: int,
    tmp_path: Path,
) -> None:  # type: ignore[no-untyped-def]
    served = serve_directory(weekly_intranet if period == "week" else intranet)
    browser_page.set_viewport_size({"width": width, "height": 900})
    browser_page.goto(f"{served}en/scorecards/{scorecard}/")
    browser_page.locator("figure.chart:not(.is-live)").first.wait_for(state="detached")
    browser_page.screenshot(path=str(tmp_path / f"scorecard-{scorecard}-{period.replace(' ', '-')}-{width}.png"))
    for drawing in chart_texts(browser_page, "figure.chart .chart-live svg"):
        labels = [text for text in drawing["texts"] if text["axis"] and text["drawn"]]
        assert labels
        crowded = [
            (a["text"], b["text"]) for i, a in enumerate(labels) for b in labels[i + 1 :] if overlap(a["box"], b["box"])
        ]
        assert crowded == []
        drawn = [text for text in drawing["texts"] if text["drawn"]]
        assert [text["text"] for text in drawn if outside(text["box"], drawing["box"]) or "…" in text["text"]] == []
        legend = [text["text"] for text in drawn if text["legend"]]
        assert legend in ([], ["Detractors (0–6)", "Passives (7–8)", "Promoters (9–10)"])


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("lang", ["en", "lv", "ru"])
def test_static_charts_cut_no_text_drawn_in_the_readers_font(browser, served: str, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{served}{lang}/scorecards/customer-experience/")
    for drawing in chart_texts(page, "figure.chart .chart-static svg"):
        texts = [text for text in drawing["texts"] if text["text"]]
        assert [text["text"] for text in texts if outside(text["box"], drawing["box"]) or "…" in text["text"]] == []
    context.close()
