"""Search in Chromium: words typed in the header find the right page, in the page's language, offline and accessibly."""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_example_project

from sitegen.build import build_project

pytestmark = pytest.mark.browser

AXE_JS = Path(str(importlib.resources.files("axe_playwright_python") / "axe.min.js"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_example_project(tmp_path_factory.mktemp("search") / "site")
    build_project(project)
    return project / "output"


def search_for(page: Any, term: str) -> list[tuple[str, str]]:
    """Type `term` in the search field and wait for its results: (title, address) of each, best first."""
    page.locator("form.site-search").wait_for()  # shown once the index's script has loaded
    page.fill("#site-search-term", term)
    page.locator(f'.site-search[data-searched="{term}"]').wait_for(state="attached")
    links = page.locator(".search-list a")
    return [(link.inner_text(), link.get_attribute("href")) for link in links.all()]


def test_an_english_word_finds_its_page_and_leads_there(
    browser_page: Any, csp_violations: Callable[[], list[str]], output: Path, serve_directory: Callable[..., str]
) -> None:
    base = serve_directory(output / "public")
    browser_page.goto(base + "en/")
    results = search_for(browser_page, "receipt")
    assert results[0] == ("About our quality program", "/en/pages/about/")
    assert browser_page.locator(".search-list mark").first.inner_text().lower() == "receipt"
    assert browser_page.locator(".search-status").inner_text() == f"Pages found: {len(results)}"
    browser_page.locator(".search-list a").first.click()
    browser_page.wait_for_url(base + "en/pages/about/")
    assert browser_page.locator("h1").inner_text() == "About our quality program"
    assert csp_violations() == []


def test_a_latvian_word_finds_only_latvian_pages(
    browser_page: Any, csp_violations: Callable[[], list[str]], output: Path, serve_directory: Callable[..., str]
) -> None:
    base = serve_directory(output / "public")
    browser_page.goto(base + "lv/vision/")
    results = search_for(browser_page, "klausāmies")
    assert results[0] == ("Par mūsu kvalitātes programmu", "/lv/pages/about/")
    assert all(address.startswith("/lv/") for _, address in results)
    assert browser_page.locator("#site-search-term").get_attribute("placeholder") == "Meklēt"
    assert csp_violations() == []


def test_without_web_workers_the_page_searches_itself_within_its_policy(
    browser_page: Any, csp_violations: Callable[[], list[str]], output: Path, serve_directory: Callable[..., str]
) -> None:
    """Pagefind searches in a worker where it can, else in the page: 'wasm-unsafe-eval' lets it compile there."""
    browser_page.add_init_script("delete window.Worker;")
    errors: list[str] = []
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    browser_page.goto(serve_directory(output / "public") + "en/")
    assert search_for(browser_page, "receipt")[0] == ("About our quality program", "/en/pages/about/")
    assert csp_violations() == [] and errors == []


def test_the_intranet_finds_its_standards_and_the_public_site_does_not(
    browser_page: Any, output: Path, serve_directory: Callable[..., str]
) -> None:
    intranet = serve_directory(output / "intranet")
    browser_page.goto(intranet + "en/")
    assert search_for(browser_page, "hesitates") == [("Offer help and honest advice", "/en/standards/advice/")]
    public = serve_directory(output / "public")
    browser_page.goto(public + "en/")
    assert search_for(browser_page, "hesitates") == []
    assert browser_page.locator(".search-nothing").inner_text() == "Nothing found."
    assert browser_page.locator(".search-status").inner_text() == "Nothing found."


def test_escape_closes_the_results(browser_page: Any, output: Path, serve_directory: Callable[..., str]) -> None:
    browser_page.goto(serve_directory(output / "public") + "ru/")
    assert search_for(browser_page, "саулите")
    browser_page.keyboard.press("Escape")
    assert browser_page.locator(".search-results").is_hidden()
    assert browser_page.locator("#site-search-term").input_value() == ""


@pytest.mark.parametrize("width", [360, 1280])
def test_open_search_results_have_no_axe_violations_and_fit_the_screen(
    browser_page: Any, output: Path, serve_directory: Callable[..., str], width: int, tmp_path: Path
) -> None:
    browser_page.set_viewport_size({"width": width, "height": 800})
    browser_page.add_init_script(path=str(AXE_JS))  # not a <script> tag, which the page's policy refuses
    browser_page.goto(serve_directory(output / "public") + "en/")
    assert len(search_for(browser_page, "guest")) > 1
    browser_page.screenshot(path=str(tmp_path / f"search-{width}.png"))
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    box = browser_page.locator(".search-results").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    result = browser_page.evaluate(f"axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}}})")
    assert [
        (violation["id"], [node["target"] for node in violation["nodes"]]) for violation in result["violations"]
    ] == []


def test_without_javascript_there_is_no_search_field(
    browser: Any, output: Path, serve_directory: Callable[..., str]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(serve_directory(output / "public") + "en/")
    assert page.locator("form.site-search").count() == 1
    assert page.locator("form.site-search").is_hidden() and page.locator("#site-search-term").is_hidden()
    context.close()


def test_a_copy_opened_from_disk_shows_no_search_field(browser_page: Any, output: Path) -> None:
    """Over file:// Chromium refuses module scripts (they need CORS, which files have not): the script asks for none."""
    requested: list[str] = []
    browser_page.on("request", lambda request: requested.append(request.url))
    browser_page.goto((output / "public" / "en" / "index.html").as_uri())
    browser_page.wait_for_load_state("load")
    assert any(url.endswith("/static/search.js") for url in requested)
    assert [url for url in requested if "pagefind" in url] == []
    assert browser_page.locator("form.site-search").is_hidden()


def test_a_tree_served_under_a_prefix_links_its_results_below_it(
    browser_page: Any, output: Path, serve_directory: Callable[..., str]
) -> None:
    """As `sitegen collect` serves the intranet at /intranet/: results lead to pages under the same prefix."""
    browser_page.goto(serve_directory(output) + "intranet/en/")
    assert search_for(browser_page, "hesitates") == [("Offer help and honest advice", "/intranet/en/standards/advice/")]
    browser_page.locator(".search-list a").first.click()
    browser_page.wait_for_url("**/intranet/en/standards/advice/")
    assert browser_page.locator("h1").inner_text() == "Offer help and honest advice"
