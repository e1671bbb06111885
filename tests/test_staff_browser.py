"""The staff side in Chromium: sign in, the home page, an intranet page, sign out; axe finds nothing to fix."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import served_on_loopback
from playwright.sync_api import expect
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from sitegen.build import build_project
from sitegen.collector.app import create_app
from sitegen.staff.accounts import StaffAccounts, StaffMember
from sitegen.staff.auth import hash_password
from sitegen.store import ResponseStore

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
AXE = importlib.resources.files("axe_playwright_python") / "axe.min.js"
AXE_RUN = (
    "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
)


def behind_proxy(collector: ASGIApp, public: Path) -> ASGIApp:
    """What the README's proxy does: the public site's static files from disk, the rest from the collector."""
    static = StaticFiles(directory=public / "static")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/static/"):
            await static({**scope, "path": scope["path"][len("/static") :], "root_path": ""}, receive, send)
        else:
            await collector(scope, receive, send)

    return app


@pytest.fixture(scope="module")
def staff_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A built minimal site, an owner account, and the collector on a free port of 127.0.0.1 behind the proxy."""
    project = tmp_path_factory.mktemp("staff") / "minimal"
    shutil.copytree(Path(__file__).parent / "fixtures" / "minimal", project)
    build_project(project)
    url = f"sqlite:///{project / 'responses.sqlite3'}"
    with ResponseStore.open(url, project) as store:
        member = StaffMember("anna@saulite.example", "owner")
        StaffAccounts(store.engine).add(member, hash_password(PASSWORD), dt.datetime.now(dt.UTC))
    app = behind_proxy(create_app(project, url), project / "output" / "public")
    with served_on_loopback(app) as base:
        yield base


def sign_in(page: Any, site: str) -> None:
    page.goto(f"{site}/intranet/en/")
    assert "/staff/login?next=/intranet/en/" in page.url
    page.fill("#staff-email", "anna@saulite.example")
    page.fill("#staff-password", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("button[type=submit]")


def test_staff_sign_in_open_the_intranet_and_sign_out(browser_page: Any, staff_site: str) -> None:
    sign_in(browser_page, staff_site)
    expect(browser_page).to_have_url(f"{staff_site}/intranet/en/")
    expect(browser_page.locator("body.tree-intranet")).to_have_count(1)
    browser_page.goto(f"{staff_site}/staff/?lang=en")
    expect(browser_page.locator("main")).to_contain_text("anna@saulite.example")
    browser_page.click("text=Sign out")
    expect(browser_page).to_have_url(re.compile(re.escape(f"{staff_site}/staff/login")))
    browser_page.goto(f"{staff_site}/intranet/en/")
    assert "/staff/login" in browser_page.url


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", ["/staff/login", "/staff/"])
def test_the_staff_pages_have_no_axe_violations_and_fit_the_screen(
    browser: Any, staff_site: str, path: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.add_init_script(path=str(AXE))
    try:
        if path == "/staff/":
            sign_in(page, staff_site)
        page.goto(f"{staff_site}{path}?lang=en")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("getComputedStyle(document.querySelector('.button')).borderRadius") != "0px"  # styled
        result = page.evaluate(AXE_RUN)
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []
    finally:
        context.close()
