"""Scorecard pages in Chromium: charts drawn offline with JavaScript, SVG without it, one printed A4 page."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest
from conftest import copy_example_project

from sitegen.build import build_project
from sitegen.interchange import import_responses
from sitegen.site import load_site
from sitegen.store import ResponseStore

SCORECARDS = ["customer-experience", "complaints", "employee-survey"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def intranet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site with its synthetic sample imported, built."""
    project = tmp_path_factory.mktemp("scorecards") / "site"
    copy_example_project(project)
    site = load_site(project)
    with ResponseStore.open(site.config.model.store, project) as store:
        report = import_responses(site, store, [project / "data/sample-responses.jsonl"])
    assert not report.problems
    build_project(project)
    return project / "output/intranet"


@pytest.fixture
def served(intranet: Path, serve_directory) -> str:  # type: ignore[no-untyped-def]
    return serve_directory(intranet)


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
