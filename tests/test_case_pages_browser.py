"""Cases in Chromium: a manager signs in, sees only their location, works a case from open to resolved, logs a
complaint and completes it later; a form without its token and a form after signing out are refused; axe finds
nothing to fix on the inbox and a case page at phone and desktop widths."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browser_fixtures import served_on_loopback
from playwright.sync_api import expect
from test_case_pages import FIXTURE, FOLLOW_UP, LOG
from test_staff import PASSWORD, add_account
from test_staff_browser import AXE, AXE_RUN, behind_proxy

from sitegen.build import build_project
from sitegen.collector.app import create_app

pytestmark = pytest.mark.browser
MANAGER = "juris@saulite.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built minimal site with follow-ups and a complaint log, two detractors' cases, and the collector."""
    project = tmp_path_factory.mktemp("cases") / "minimal"
    shutil.copytree(FIXTURE, project)
    survey = project / "surveys" / "after-visit.yaml"
    survey.write_text(survey.read_text(encoding="utf-8") + FOLLOW_UP, encoding="utf-8")
    (project / "surveys" / "complaint-log.yaml").write_text(LOG, encoding="utf-8")
    build_project(project)
    url = f"sqlite:///{project / 'responses.sqlite3'}"
    add_account(url, project, MANAGER, "manager", ("jelgava",))
    app = behind_proxy(create_app(project, url), project / "output" / "public")
    with served_on_loopback(app) as base:
        for location, comment in (("jelgava", "Cold coffee in Jelgava"), ("riga-centre", "Rude in Riga")):
            fields = {"recommend": "2", "improve": comment, "email": "guest@example.org", "location": location}
            assert httpx.post(f"{base}/s/after-visit", data=fields).status_code == 303
        yield base


def sign_in(page: Any, site: str, path: str = "/staff/cases/?lang=en") -> None:
    page.goto(f"{site}{path}")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.fill("#staff-email", MANAGER)
    page.fill("#staff-password", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("button[type=submit]")


def test_a_manager_works_their_locations_case_from_open_to_resolved(browser_page: Any, site: str) -> None:
    page = browser_page
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Cases")
    expect(page.locator(".case-item")).to_have_count(1)
    expect(page.locator(".case-list")).to_contain_text("Cold coffee in Jelgava")
    expect(page.locator(".case-list")).not_to_contain_text("Rude in Riga")
    page.click("text=How did we do? · jelgava")
    expect(page.locator(".case-facts")).to_contain_text("guest@example.org")
    page.fill("#case-note", "Called back; a voucher sent")
    page.click("button[value=contacted]")
    expect(page.locator(".notice")).to_have_text("Saved.")
    expect(page.locator(".case-history li")).to_have_count(2)
    page.fill("#case-note", "The guest is happy again")
    page.click("button[value=resolved]")
    expect(page.locator(".case-history")).to_contain_text("The guest is happy again")
    expect(page.locator(".case-facts")).to_contain_text("not shown: the case is closed")
    expect(page.locator("button[value=contacted]")).to_have_count(0)


def test_a_complaint_logged_on_the_intranet_is_completed_later(browser_page: Any, site: str) -> None:
    page = browser_page
    sign_in(page, site, "/intranet/en/surveys/complaint-log/at/jelgava/")
    page.fill("#input-opened_at", "2026-06-01T11:30")
    page.fill("#input-what_happened", "A wrong cake was served")
    page.get_by_role("button", name="Send answers").click()
    expect(page).to_have_url(re.compile(r"/intranet/en/surveys/complaint-log/thanks/$"))
    page.goto(f"{site}/staff/cases/?lang=en&survey=complaint-log")
    page.click(".case-link")
    expect(page.locator(".case-history")).to_contain_text(MANAGER)  # opened by the one who logged it
    page.check("input[name=root_cause][value=order-error]")
    page.fill("#input-resolved_at", "2026-06-01T10:00")  # before it was received
    page.click("button[value=resolve]")
    expect(page.locator(".error-summary")).to_contain_text("When was it resolved")
    page.fill("#input-resolved_at", "2026-06-01T12:15")
    page.click("button[value=resolve]")
    expect(page.locator(".case-entry")).to_contain_text("Wrong order")
    expect(page.locator(".case-facts")).to_contain_text("resolved")


def test_a_form_without_its_token_or_after_signing_out_is_refused(browser_page: Any, site: str) -> None:
    page = browser_page
    sign_in(page, site)
    fields = {"recommend": "4", "improve": "Too loud", "email": "other@example.org", "location": "jelgava"}
    assert httpx.post(f"{site}/s/after-visit", data=fields).status_code == 303
    page.reload()
    page.locator(".case-item", has_text="Too loud").locator(".case-link").click()
    case_url = page.url
    page.evaluate("document.querySelector('form.staff-form input[name=csrf]').remove()")
    page.fill("#case-note", "Without a token")
    page.click("button[value=noted]")
    expect(page.locator("h1")).to_have_text("Form expired")
    page.goto(case_url)
    expect(page.locator(".case-history")).not_to_contain_text("Without a token")
    page.goto(f"{site}/staff/?lang=en")
    page.click("text=Sign out")
    page.goto(case_url)
    expect(page).to_have_url(re.compile(r"/staff/login"))


@pytest.mark.parametrize("width", [360, 1280])
def test_the_case_pages_have_no_axe_violations_and_fit_the_screen(browser: Any, site: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.add_init_script(path=str(AXE))
    try:
        sign_in(page, site, "/staff/cases/?lang=en&show=all")
        for lang in ("en", "lv"):
            page.goto(f"{site}/staff/cases/?lang={lang}&show=all")
            urls = [
                f"{site}{href}"
                for href in page.locator(".case-link").evaluate_all("a => a.map(x => x.getAttribute('href'))")
            ]
            for url in [page.url, *urls]:
                page.goto(url)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, url
                result = page.evaluate(AXE_RUN)
                assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == [], url
    finally:
        context.close()
