"""Every kind of page works in Chromium under its own Content-Security-Policy, with zero violations."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import REPOSITORY, copy_example_project

from sitegen.build import build_project
from sitegen.interchange import import_responses
from sitegen.render.pages import plan_pages
from sitegen.site import load_site
from sitegen.store import ResponseStore

pytestmark = pytest.mark.browser

COLLECTOR = "http://collector.localhost:8999"
"""A collector on another origin than the pages: the policy must let the forms post there, and only there."""

A_DAY_WHEN_ALL_SURVEYS_ARE_OPEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHECKED_KINDS = {"scorecard.html", "survey.html", "qr.html"}
"""Templates whose every page is visited (in one language); of the others, one page per tree is enough."""
PAGE_KINDS = sorted(
    {
        (plan.tree, plan.template, plan.key if plan.template in CHECKED_KINDS else ""): plan.path
        for plan in reversed(plan_pages(load_site(REPOSITORY), A_DAY_WHEN_ALL_SURVEYS_ARE_OPEN.date()))
        if plan.lang in ("", "en")
    }.items()
)
"""Pages of the example site by `(tree, template, key)`, e.g. `(("intranet", "qr.html", ...), "en/surveys/...")`."""


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site with its sample responses (so scorecards have charts) and a collector elsewhere."""
    project = tmp_path_factory.mktemp("policy") / "site"
    copy_example_project(project)
    config = project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"collector_url: {COLLECTOR}/\n", encoding="utf-8")
    site = load_site(project)
    with ResponseStore.open(site.config.model.store, project) as store:
        assert not import_responses(site, store, [project / "data/sample-responses.jsonl"]).problems
    build_project(project)
    return project / "output"


def charts_are_drawn(page: Any, base: str) -> None:
    charts = page.locator("figure.chart")
    assert charts.count() > 0
    page.locator("figure.chart:not(.is-live)").first.wait_for(state="detached")  # no eval: see browser_fixtures
    assert page.locator("figure.chart .chart-live svg").count() == charts.count()
    bars = page.locator('.chart-live [aria-roledescription="bar"]')
    if bars.count():  # the tooltip, styled by style.css instead of vega-tooltip's inline <style>
        bars.first.hover(force=True)
        page.locator("#vg-tooltip-element.visible").wait_for()


def the_survey_follows_up_and_posts(page: Any, base: str) -> None:
    """survey.js shows a follow-up when its condition holds, and the answers reach the collector."""
    follow_ups = page.locator(".question[data-show-if]")
    if follow_ups.count():
        condition = json.loads(follow_ups.first.get_attribute("data-show-if"))
        assert follow_ups.first.is_hidden()
        for option in page.locator(f'[name="{condition["question"]}"]').all():
            option.check()
            if follow_ups.first.is_visible():
                break
        assert follow_ups.first.is_visible()
    for question in page.locator('.question[data-required="true"]:visible').all():
        answer_somehow(question)
    posted: list[str] = []

    def collect(route: Any) -> None:
        posted.append(route.request.post_data or "")
        # Like the collector: to the survey's thank-you page, also from a location's own page.
        route.fulfill(status=303, headers={"location": re.sub(r"at/[^/]+/$", "", page.url) + "thanks/"})

    page.route(f"{COLLECTOR}/**", collect)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/thanks/")
    assert len(posted) == 1 and "rid=" in posted[0] and "lang=en" in posted[0]


def answer_somehow(question: Any) -> None:
    """Any valid answer to a required question of the example's surveys."""
    radios, menus = question.locator("input[type=radio], input[type=checkbox]"), question.locator("select")
    if radios.count():
        radios.first.check()
    elif menus.count():
        menus.first.select_option(index=1)
    else:
        field = question.locator("input, textarea").first
        field.fill("2026-11-20T10:00" if field.get_attribute("type") == "datetime-local" else "Fine.")


def the_qr_code_shows(page: Any, base: str) -> None:
    code = page.locator("svg.qr-code")
    assert code.is_visible() and code.bounding_box()["width"] > 100


def the_page_shows(page: Any, base: str) -> None:
    assert page.locator("h1").first.is_visible()


CHECKS: dict[str, Callable[[Any, str], None]] = {
    "scorecard.html": charts_are_drawn,
    "survey.html": the_survey_follows_up_and_posts,
    "qr.html": the_qr_code_shows,
}
"""What must still work on a page of a kind, besides showing its heading."""


@pytest.mark.parametrize(("kind", "path"), PAGE_KINDS, ids=[path for _, path in PAGE_KINDS])
def test_every_kind_of_page_works_under_its_policy_without_violations(
    browser_page, csp_violations, output: Path, serve_directory, kind: tuple[str, str], path: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    tree, template, _ = kind
    base = serve_directory(output / tree)
    errors: list[str] = []
    browser_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    missing: list[str] = []
    browser_page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    browser_page.clock.set_fixed_time(A_DAY_WHEN_ALL_SURVEYS_ARE_OPEN)
    browser_page.goto(base + path.removesuffix("index.html"))
    browser_page.wait_for_load_state("networkidle")
    policy = browser_page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert f"form-action 'self' {COLLECTOR}" in policy and "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'wasm-unsafe-eval';" in policy  # search's WebAssembly
    CHECKS.get(template, the_page_shows)(browser_page, base)
    violations = csp_violations()
    browser_page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert violations == []
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []  # the site has none; Chromium asks
    assert [error for error in errors if not error.startswith("Failed to load resource")] == []


def test_the_policy_refuses_an_inline_script_an_inline_style_and_a_remote_image(
    browser_page, csp_violations, output: Path, serve_directory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The check above could pass with a policy that blocks nothing; this shows the policy bites."""
    public = tmp_path / "public"
    shutil.copytree(output / "public", public)
    hostile = (
        '<script>window.ran = true;</script><p style="color: red">x</p><img src="https://elsewhere.example/x.png">'
    )
    page = public / "en/index.html"
    page.write_bytes(page.read_bytes().replace(b"</main>", hostile.encode() + b"</main>"))
    base = serve_directory(public)
    browser_page.goto(base + "en/")
    browser_page.locator('html[data-csp-violations="3"]').wait_for(state="attached")
    directives = sorted(violation.split(" ")[0] for violation in csp_violations())
    assert directives == ["img-src", "script-src-elem", "style-src-attr"]
    assert browser_page.evaluate("window.ran === undefined")
