"""`sitegen build --local` opened from disk (file://) in Chromium: links lead to pages, never to directory listings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_example_project

from sitegen.build import build_project

pytestmark = pytest.mark.browser

STYLED = "getComputedStyle(document.querySelector('.site-nav ul')).display === 'flex'"
"""True only where style.css loaded: the navigation's list is a flex row there, a block without it."""


@pytest.fixture(scope="module")
def local_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built with --local (read, never changed)."""
    project = copy_example_project(tmp_path_factory.mktemp("local") / "site")
    build_project(project, is_local=True)
    return project / "output"


@pytest.fixture
def failed_requests(browser_page: Any) -> Iterator[list[str]]:
    """Every request of the page that failed (a file not found on disk among them)."""
    failed: list[str] = []
    browser_page.on("requestfailed", lambda request: failed.append(request.url))
    yield failed


def follow(page: Any, selector: str) -> None:
    """Click the first link `selector` finds and wait for the page it opens, which must be a page of the site."""
    link = page.locator(selector).first
    target = link.get_attribute("href")
    with page.expect_navigation():
        link.click()
    assert page.url.endswith("/index.html"), f"{target} opened {page.url}"
    assert not page.title().startswith("Index of"), f"{target} opened a directory listing"
    assert page.locator("main").count() == 1, page.url
    assert page.evaluate(STYLED), f"no stylesheet on {page.url}"


@pytest.mark.parametrize("lang", ["lv", "ru"])
def test_a_reader_follows_links_from_disk_to_a_deep_page_and_back(
    browser_page: Any, failed_requests: list[str], local_output: Path, lang: str
) -> None:
    browser_page.goto((local_output / "intranet" / lang / "index.html").as_uri())
    assert browser_page.evaluate(STYLED)
    follow(browser_page, 'nav.site-nav a[href*="standards"]')
    follow(browser_page, "main .card a")
    assert browser_page.url.endswith(f"/intranet/{lang}/standards/greeting/index.html")
    follow(browser_page, "nav.breadcrumbs a")
    follow(browser_page, 'nav.site-nav a[href*="surveys"]')
    follow(browser_page, 'main a[href*="/qr/"]')  # a location's A4 poster, five folders deep
    follow(browser_page, ".poster-tools a")  # its A6 table tent, six deep
    assert "/qr/" in browser_page.url and browser_page.url.endswith("/a6/index.html")
    assert browser_page.locator("svg.qr-code").count() == 1
    follow(browser_page, "a.brand")
    assert browser_page.url == (local_output / "intranet" / lang / "index.html").as_uri()
    assert failed_requests == []


def test_the_language_chosen_from_disk_opens_the_same_page_in_the_other_language(
    browser_page: Any, failed_requests: list[str], local_output: Path
) -> None:
    browser_page.goto((local_output / "public" / "index.html").as_uri())  # the root's script opens a language
    browser_page.wait_for_url("**/public/*/**")
    follow(browser_page, 'nav.site-nav a[href*="surveys"]')
    follow(browser_page, "main h2 a")
    follow(browser_page, '.languages a[hreflang="ru"]')
    assert "/public/ru/surveys/" in browser_page.url
    assert failed_requests == []
