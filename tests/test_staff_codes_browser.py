"""Incentive codes in Chromium: answer without JavaScript, see the code, check and use it at the till once; a second
till is refused, a forged code is not valid, a post without its token is 403; axe finds nothing to fix."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import served_on_loopback
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from test_staff_browser import AXE, AXE_RUN, PASSWORD

from sitegen.build import build_project
from sitegen.collector.app import create_app
from sitegen.staff.accounts import StaffAccounts, StaffMember
from sitegen.staff.auth import hash_password
from sitegen.store import ResponseStore

pytestmark = pytest.mark.browser
SECRET = "a-test-secret-that-is-long-enough-for-hmac-0123"
COLLECTOR_PATHS = ("/s/", "/staff", "/intranet", "/healthz", "/i/", "/u/")


def beside_the_site(collector: ASGIApp, public: Path) -> ASGIApp:
    """What the README's proxy does: the collector's paths to the collector, the rest from the built public site."""
    pages = Starlette(routes=[Mount("/", StaticFiles(directory=public, html=True))])  # a 404 is an answer, not an error

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(COLLECTOR_PATHS):
            await pages(scope, receive, send)
        else:
            await collector(scope, receive, send)

    return app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The minimal site with an incentive, built; an owner account; the collector with a secret on a free port."""
    project = tmp_path_factory.mktemp("codes") / "minimal"
    shutil.copytree(Path(__file__).parent / "fixtures" / "minimal", project)
    survey = project / "surveys" / "after-visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace(
            "audience: customer", "audience: customer\nincentive: {lv: Kafija par pusi, en: Half-price coffee}"
        ),
        encoding="utf-8",
    )
    build_project(project)
    url = f"sqlite:///{project / 'responses.sqlite3'}"
    with ResponseStore.open(url, project) as store:
        member = StaffMember("anna@saulite.example", "owner")
        StaffAccounts(store.engine).add(member, hash_password(PASSWORD), dt.datetime.now(dt.UTC))
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("SITEGEN_SECRET", SECRET)
        app = beside_the_site(create_app(project, url), project / "output" / "public")
    with served_on_loopback(app) as base:
        yield base


def answer_without_javascript(browser: Any, site: str, score: int) -> str:
    """Answer the survey at a location's own page with JavaScript off: the code the thank-you page shows.

    The same answers again within minutes are taken for the same post sent again, and show the same code: each
    test answers with its own `score`.
    """
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/en/surveys/after-visit/at/riga-centre/")
    page.locator("#q-recommend label", has_text=str(score)).first.click()
    page.get_by_role("button", name="Send answers").click()
    code = page.locator(".thanks .incentive-code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{5}-[0-9A-Z]{5}$"))
    expect(page.locator(".thanks")).to_contain_text("Half-price coffee")
    shown = str(code.inner_text())
    context.close()
    return shown


def signed_in_page(browser: Any, site: str, width: int = 360) -> tuple[Any, Any]:
    """A phone-sized context signed in at the codes page (through the sign-in it sends the browser to)."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.add_init_script(path=str(AXE))
    page.goto(f"{site}/staff/codes?lang=en")
    assert "/staff/login?next=" in page.url
    page.fill("#staff-email", "anna@saulite.example")
    page.fill("#staff-password", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Incentive codes")
    return context, page


def check(page: Any, typed: str) -> None:
    page.fill("#code-typed", typed)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Check the code").click()


def test_a_code_shown_after_answering_is_checked_used_once_and_refused_at_a_second_till(
    browser: Any, site: str
) -> None:
    code = answer_without_javascript(browser, site, 9)
    till, page = signed_in_page(browser, site)
    other_till, other = signed_in_page(browser, site)
    try:
        check(page, code.lower())
        expect(page.locator(".code-verdict")).to_contain_text("Valid, not used yet.")
        check(other, code)  # a second till has the same customer's code open
        page.get_by_role("button", name="Mark as used").click()
        expect(page.locator(".code-verdict")).to_contain_text("Marked as used. Give the customer the reward.")
        other.get_by_role("button", name="Mark as used").click()
        expect(other.locator(".code-verdict")).to_contain_text("Not marked again: a code works once.")
        expect(other.locator(".code-verdict")).to_contain_text("by anna@saulite.example")
        check(page, code)
        expect(page.locator(".code-verdict")).to_contain_text("Already used on")
        expect(page.get_by_role("button", name="Mark as used")).to_have_count(0)
        check(page, "K7QM4-XPAR2")
        expect(page.locator(".code-verdict")).to_have_text(re.compile(r"\s*K7QM4-XPAR2\s+This code is not valid\.\s*"))
        refused = page.request.post(f"{site}/staff/codes/use", form={"code": code})
        assert refused.status == 403
    finally:
        till.close()
        other_till.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_codes_page_and_the_thank_you_page_have_no_axe_violations_and_fit(
    browser: Any, site: str, width: int
) -> None:
    code = answer_without_javascript(browser, site, {360: 7, 1280: 8}[width])
    context, page = signed_in_page(browser, site, width)
    try:
        check(page, code)
        expect(page.get_by_role("button", name="Mark as used")).to_be_visible()
        pages = [page]
        thanks_context = browser.new_context(viewport={"width": width, "height": 800})
        thanks = thanks_context.new_page()
        thanks.add_init_script(path=str(AXE))
        thanks.goto(f"{site}/en/surveys/after-visit/at/jelgava/")
        thanks.locator("#q-recommend label", has_text="10").first.click()
        thanks.get_by_role("button", name="Send answers").click()
        expect(thanks.locator(".thanks .incentive-code")).to_be_visible()
        pages.append(thanks)
        for shown in pages:
            assert shown.evaluate("document.documentElement.scrollWidth") <= width
            result = shown.evaluate(AXE_RUN)
            assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []
        thanks_context.close()
    finally:
        context.close()
