"""The built site in a real Chromium: phone and desktop layout, language switch, no outside requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def intranet(example_output: Path, serve_directory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield serve_directory(example_output / "intranet")


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", ["lv/", "lv/standards/greeting/", "ru/onboarding/barista/", "en/pages/about/"])
def test_pages_fit_the_screen_without_sideways_scrolling(
    browser_page, intranet: str, width: int, path: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    browser_page.set_viewport_size({"width": width, "height": 800})
    browser_page.goto(intranet + path)
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    assert browser_page.locator("nav.site-nav").is_visible()
    assert browser_page.locator("main h1").first.is_visible()
    browser_page.screenshot(path=str(tmp_path / f"{path.replace('/', '_')}{width}.png"), full_page=True)


def test_the_language_switcher_opens_the_same_page_in_russian(browser_page, intranet: str) -> None:  # type: ignore[no-untyped-def]
    browser_page.goto(intranet + "lv/standards/greeting/")
    browser_page.get_by_role("link", name="Русский").click()
    browser_page.wait_for_url("**/ru/standards/greeting/")
    assert browser_page.locator("html").get_attribute("lang") == "ru"
    assert browser_page.locator("h1").inner_text() == "Правило 30/30"


@pytest.mark.parametrize(
    ("browser_languages", "opened"), [("ru-RU", "ru"), ("en-GB", "en"), ("de-DE", "lv"), ("lv", "lv")]
)
def test_the_site_root_opens_the_language_the_browser_asks_for_if_the_site_has_it(
    browser, intranet: str, browser_languages: str, opened: str
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=browser_languages)
    page = context.new_page()
    page.goto(intranet)
    page.wait_for_url(f"**/{opened}/")
    assert page.locator("html").get_attribute("lang") == opened
    context.close()


def test_a_language_chosen_on_the_site_root_before_wins_over_the_browsers(browser, intranet: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ru-RU")
    context.add_cookies([{"name": "sitegen_lang", "value": "en", "url": intranet}])  # what a click on "English" sets
    page = context.new_page()
    page.goto(intranet)
    page.wait_for_url("**/en/")
    context.close()


def test_without_javascript_the_site_root_links_to_every_language_in_its_own_words(browser, intranet: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ru-RU", java_script_enabled=False)
    page = context.new_page()
    page.goto(intranet)
    assert page.url == intranet
    links = page.locator(".language-choice a")
    assert links.all_inner_texts() == ["Latviešu", "Русский", "English"]
    links.nth(1).click()
    page.wait_for_url("**/ru/")
    context.close()


def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_the_content(browser_page, intranet: str) -> None:  # type: ignore[no-untyped-def]
    browser_page.goto(intranet + "en/standards/greeting/")
    browser_page.keyboard.press("Tab")
    assert browser_page.evaluate("document.activeElement.className") == "skip-link"
    assert browser_page.locator(".skip-link").is_visible()
    browser_page.keyboard.press("Enter")
    assert browser_page.evaluate("document.activeElement.id") == "main"


def test_no_request_leaves_the_local_server(browser_page, intranet: str, requested_urls: list[str]) -> None:  # type: ignore[no-untyped-def]
    for path in ("lv/", "ru/vision/", "en/standards/greeting/", "lv/onboarding/barista/", "en/pages/"):
        browser_page.goto(intranet + path)
        browser_page.wait_for_load_state("networkidle")
    assert requested_urls
    assert all(url.startswith(intranet) for url in requested_urls), [
        u for u in requested_urls if not u.startswith(intranet)
    ]
