"""A personal link in Chromium without JavaScript: the invitee opens it, answers, and the link then says it was used;
sending the same form again is refused with 409."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import served_on_loopback
from playwright.sync_api import expect
from test_invitations import KEY, SECRET, TEAM_SURVEY
from test_staff_codes_browser import beside_the_site

from sitegen.build import build_project
from sitegen.collector.app import create_app
from sitegen.invitations.tokens import token_lookup
from sitegen.store import ResponseStore
from sitegen.store.invitations import Invitation

pytestmark = pytest.mark.browser
EMAIL = "juris@saulite.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The minimal site with an anonymous, invitation-only survey, built; one invitation sent; the collector."""
    project = tmp_path_factory.mktemp("invitations") / "minimal"
    shutil.copytree(Path(__file__).parent / "fixtures" / "minimal", project)
    (project / "surveys/team-pulse.yaml").write_text(TEAM_SURVEY, encoding="utf-8")
    build_project(project)
    url = f"sqlite:///{project / 'responses.sqlite3'}"
    invitation = Invitation(token_lookup(KEY.token("team-pulse", EMAIL)), "team-pulse", EMAIL, "en", {})
    with ResponseStore.open(url, project) as store:
        store.invitations.record([invitation])
        store.invitations.mark_sent(invitation.lookup, dt.date.today())
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("SITEGEN_SECRET", SECRET)
        app = beside_the_site(create_app(project, url), project / "output" / "public")
    with served_on_loopback(app) as base:
        yield base


def test_without_javascript_the_personal_link_answers_once(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    first, second = context.new_page(), context.new_page()
    token = KEY.token("team-pulse", EMAIL)
    try:
        for page in (first, second):  # the link opened twice, as from the e-mail and again from its reminder
            page.goto(f"{site}/i/{token}")
            expect(page.locator("h1")).to_have_text("Team pulse")
            page.locator("#q-mood label", has_text="4").first.click()
        first.get_by_role("button", name="Send answers").click()
        expect(first.locator("h1")).to_have_text("Thank you!")  # the answer itself: no staff sign-in needed
        second.get_by_role("button", name="Send answers").click()
        expect(second.locator("h1")).to_have_text("You have already answered this survey.")
        reopened = second.goto(f"{site}/i/{token}")
        assert reopened is not None and reopened.status == 409
    finally:
        context.close()
