"""Survey pages in a real Chromium: what the form posts, follow-ups, checks, keyboard, accessibility, phone layout.

Every survey of the example site is built once per module and served by a
small recording endpoint that stands in for the collector: it serves the
built tree and records each `POST /s/<id>` exactly as the form contract
(docs/DESIGN.md section 5) says it arrives, then answers like the collector
does, with `303` to the thank-you page.
"""

from __future__ import annotations

import functools
import http.server
import importlib.resources
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from sitegen.build import build_project
from sitegen.site import load_site
from sitegen.versions import survey_version

REPOSITORY = Path(__file__).resolve().parent.parent
SURVEYS = {
    survey["id"]: survey
    for survey in (
        yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((REPOSITORY / "surveys").glob("*.yaml"))
    )
}
LANGUAGES: list[str] = yaml.safe_load((REPOSITORY / "sitegen.yaml").read_text(encoding="utf-8"))["languages"]
AXE_JS = Path(str(importlib.resources.files("axe_playwright_python") / "axe.min.js"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = [360, 1280]
RESPONSE_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
# The browser's clock for every page: a day inside employee-annual's window
# (1 November to 15 December 2026), so the tests do not depend on today's date.
A_DAY_WHEN_ALL_SURVEYS_ARE_OPEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.browser

Answers = tuple[tuple[str, str], ...]


def tree_of(survey_id: str) -> str:
    """Customer surveys are on the public site, employee surveys on the intranet."""
    return "public" if SURVEYS[survey_id]["audience"] == "customer" else "intranet"


@functools.cache
def survey_versions() -> dict[str, str]:
    """The version each survey's page states in its hidden `v`: the one the collector stores its answers under."""
    return {source.model.id: survey_version(source.model) for source in load_site(REPOSITORY).surveys}


def follow_ups_of(survey_id: str) -> list[dict[str, Any]]:
    """The questions of a survey that have a show_if condition."""
    return [question for question in SURVEYS[survey_id]["questions"] if "show_if" in question]


# ---- the recording endpoint ----


@dataclass(frozen=True)
class Post:
    """One form post as it reached the endpoint."""

    path: str
    headers: dict[str, str]
    fields: list[tuple[str, str]]


class RecordingServer(http.server.ThreadingHTTPServer):
    """Serves one built tree and keeps every survey post; while `answering` is clear, answers to posts wait."""

    posts: list[Post]
    answering: threading.Event


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    server: RecordingServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
        survey = re.fullmatch(r"/s/([a-z0-9][a-z0-9_-]*)", urlsplit(self.path).path)
        if survey is None:
            self.send_error(404)
            return
        fields = parse_qsl(body, keep_blank_values=True)
        self.server.posts.append(Post(self.path, {name.lower(): value for name, value in self.headers.items()}, fields))
        self.server.answering.wait(timeout=10)
        lang = dict(fields).get("lang")
        if lang not in LANGUAGES:
            self.send_error(422, "The post names no language of the site")
            return
        self.send_response(303)
        self.send_header("Location", f"/{lang}/surveys/{survey[1]}/thanks/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class ServedTree:
    """A built tree being served: its base URL (ending in '/') and what was posted to it."""

    url: str
    server: RecordingServer

    @property
    def posts(self) -> list[Post]:
        return self.server.posts


@pytest.fixture(scope="module")
def served_trees(example_output: Path) -> Iterator[dict[str, ServedTree]]:
    """Both trees served on 127.0.0.1 (free ports), each recording the survey posts it receives."""
    served: dict[str, ServedTree] = {}
    for tree in ("public", "intranet"):
        handler = functools.partial(_RecordingHandler, directory=str(example_output / tree))
        server = RecordingServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        served[tree] = ServedTree(f"http://127.0.0.1:{server.server_address[1]}/", server)
    yield served
    for site in served.values():
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture
def sites(served_trees: dict[str, ServedTree]) -> dict[str, ServedTree]:
    """The served trees, with nothing posted yet and posts answered at once."""
    for site in served_trees.values():
        site.server.posts, site.server.answering = [], threading.Event()
        site.server.answering.set()
    return served_trees


@pytest.fixture
def open_page(browser: Browser, requested_urls: list[str]) -> Iterator[Callable[..., Page]]:
    """Open a URL in a fresh context (JavaScript on or off, survey.js kept out, a viewport width).

    Afterwards, no request may have left 127.0.0.1.
    """
    contexts = []

    def open_(url: str, *, javascript: bool = True, survey_script: bool = True, width: int = 1280) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=javascript)
        context.on("request", lambda request: requested_urls.append(request.url))
        if not survey_script:
            context.route("**/survey.js", lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.clock.set_fixed_time(A_DAY_WHEN_ALL_SURVEYS_ARE_OPEN)
        response = page.goto(url)
        assert response is not None and response.ok, url
        return page

    yield open_
    for context in contexts:
        context.close()
    assert requested_urls
    outside = [
        url
        for url in requested_urls
        if urlsplit(url).hostname != "127.0.0.1" and urlsplit(url).scheme not in ("data", "about", "blob")
    ]
    assert outside == [], f"requests left the local server: {outside}"


def survey_url(sites: dict[str, ServedTree], survey: str, lang: str, query: str = "") -> str:
    return f"{sites[tree_of(survey)].url}{lang}/surveys/{survey}/{query}"


# ---- answering like a respondent ----


def answer(page: Page, answers: Answers) -> None:
    """Give each answer: tick the radio button or checkbox with that value, choose the option, or type the text.

    A name given again chooses in its next select (a ranking's places, first to last).
    """
    given: Counter[str] = Counter()
    for name, value in answers:
        control = page.locator(f'[name="{name}"]').nth(given[name])
        given[name] += 1
        kind = control.evaluate("control => control.type")
        if kind in ("radio", "checkbox"):
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "select-one":
            control.select_option(value)
        else:
            control.fill(value)


def submit_and_land_on_thanks(page: Page, survey: str, lang: str) -> None:
    with page.expect_navigation(url=f"**/{lang}/surveys/{survey}/thanks/"):
        page.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(SURVEYS[survey]["thank_you"][lang])


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def posted_fields(site: ServedTree, survey: str) -> list[tuple[str, str]]:
    """The one post the site received, checked for its address and encoding."""
    assert len(site.posts) == 1, site.posts
    post = site.posts[0]
    assert post.path == f"/s/{survey}"
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    return post.fields


def without_response_id(fields: list[tuple[str, str]]) -> tuple[Counter[tuple[str, str]], list[str]]:
    """The posted fields other than `rid` (as a multiset), and the `rid` values."""
    return Counter(pair for pair in fields if pair[0] != "rid"), [value for name, value in fields if name == "rid"]


# ---- what respondents send ----

AFTER_VISIT_ASPECTS: Answers = (
    ("aspects.coffee", "5"),
    ("aspects.food", "4"),
    ("aspects.cleanliness", "5"),
    ("aspects.speed", "2"),
    ("aspects.friendliness", "5"),
)
EMPLOYEE_LIKERTS: Answers = (
    ("standards_clear", "4"),
    ("standards_possible", "2"),
    ("training", "5"),
    ("tools", "3"),
    ("management_feedback", "4"),
    ("management_listens", "1"),
)

FULL_RANKING: Answers = (
    ("help_most", "schedule"),
    ("help_most", "staffing"),
    ("help_most", "equipment"),
    ("help_most", "training"),
)
CONSENT = ("consent", "2026-11")


@dataclass(frozen=True)
class Respondent:
    """A survey page opened with `query`, the answers given, the follow-ups that stay hidden, the location the post
    must carry, and (without JavaScript) the required question to leave out to see the browser refuse to send."""

    survey: str
    lang: str
    query: str
    answers: Answers
    hidden_follow_ups: tuple[str, ...] = ()
    location: str | None = None
    required_left_out: str = ""


WITH_SCRIPT = [
    Respondent(
        "after-visit",
        "en",
        "?location=riga-centre",
        (
            ("recommend", "6"),
            ("improve", "Faster service at lunchtime."),
            ("satisfaction", "4"),
            ("greeted", "yes"),
            *AFTER_VISIT_ASPECTS,
            ("expectations", "exceeded"),
            ("stood_out", "The cardamom bun."),
            ("effort", "6"),
            ("visit_reason", "lunch"),
            ("liked", "coffee"),
            ("liked", "atmosphere"),
            ("liked", "staff"),
            ("email", "anna@example.com"),
        ),
        location="riga-centre",
    ),
    Respondent(
        "after-visit",
        "lv",
        "?location=evil",
        (
            ("recommend", "10"),
            ("satisfaction", "5"),
            ("greeted", "no"),
            *AFTER_VISIT_ASPECTS,
            ("expectations", "met"),
            ("effort", "7"),
            ("visit_reason", "coffee-to-go"),
            ("liked", "coffee"),
            ("email", ""),
        ),
        hidden_follow_ups=("improve", "stood_out"),
    ),
    Respondent(
        "after-visit",
        "ru",
        "?location=riga-mall",
        (
            ("recommend", "8"),
            ("improve", "Больше мест у окна."),
            ("satisfaction", "3"),
            ("greeted", "yes"),
            *AFTER_VISIT_ASPECTS,
            ("expectations", "below"),
            ("stood_out", "Долго ждали заказ — 15 минут."),
            ("effort", "3"),
            ("visit_reason", "meeting"),
            ("liked", "pastries"),
            ("liked", "prices"),
            ("email", "ivan@example.lv"),
        ),
        location="riga-mall",
    ),
    Respondent(
        "journey-order",
        "en",
        "?location=jelgava",
        (
            ("order_date", "2026-11-18"),
            ("ease", "6"),
            ("order_ok", "no"),
            ("problem", "The cake was an hour late."),
            ("suggestion", "Send a text when it is ready."),
        ),
        location="jelgava",
    ),
    Respondent(
        "journey-order",
        "lv",
        "",
        (("order_date", "2026-11-02"), ("ease", "7"), ("order_ok", "yes"), ("suggestion", "")),
        hidden_follow_ups=("problem",),
    ),
    Respondent(
        "employee-annual",
        "ru",
        "?location=riga-mall",
        (
            ("role", "barista"),
            ("years", "3"),
            *EMPLOYEE_LIKERTS,
            *FULL_RANKING,
            ("recommend_workplace", "no"),
            ("recommend_why_not", "Предсказуемый график смен."),
            ("ideas", "Меню на английском у кассы."),
            CONSENT,
        ),
        location="riga-mall",
    ),
    Respondent(
        "employee-annual",
        "en",
        "?location=evil",
        (
            ("role", "kitchen"),
            ("years", "0"),
            *EMPLOYEE_LIKERTS,
            ("help_most", "equipment"),
            ("help_most", "training"),
            ("help_most", ""),
            ("help_most", ""),
            ("recommend_workplace", "yes"),
            ("ideas", ""),
            CONSENT,
        ),
        hidden_follow_ups=("recommend_why_not",),
    ),
    Respondent(
        "complaint-log",
        "lv",
        "?location=riga-centre",
        (
            ("opened_at", "2026-11-20T09:15"),
            ("channel", "phone"),
            ("what_happened", "Viesis saņēma aukstu kapučīno."),
            ("severity", "2"),
            ("affected_customers", "1"),
            ("root_cause", "product-quality"),
            ("action_taken", "Jauns dzēriens."),
            ("customer_contacted", "yes"),
            ("resolved_at", "2026-11-20T09:30"),
            ("prevention", "Pārbaudīt piena temperatūru."),
            ("logged_by", "Ilze"),
        ),
        location="riga-centre",
    ),
]

# Without JavaScript every follow-up is visible and optional: some are answered, some left empty.
WITHOUT_SCRIPT = [
    Respondent(
        "after-visit",
        "en",
        "?location=riga-centre",
        (
            ("recommend", "10"),
            ("improve", ""),
            ("satisfaction", "2"),
            ("greeted", "yes"),
            *AFTER_VISIT_ASPECTS,
            ("expectations", "met"),
            ("stood_out", "The music was too loud."),
            ("effort", "4"),
            ("visit_reason", "work-study"),
            ("liked", "speed"),
            ("email", ""),
        ),
        required_left_out="recommend",
    ),
    Respondent(
        "journey-order",
        "lv",
        "?location=jelgava",
        (
            ("order_date", ""),
            ("ease", "2"),
            ("order_ok", "yes"),
            ("problem", ""),
            ("suggestion", "Ātrāka apstiprināšana."),
        ),
        required_left_out="ease",
    ),
    Respondent(
        "employee-annual",
        "ru",
        "",
        (
            ("role", "shift-lead"),
            ("years", "7"),
            *EMPLOYEE_LIKERTS,
            *FULL_RANKING,
            ("recommend_workplace", "yes"),
            ("recommend_why_not", ""),
            ("ideas", "Больше обучения."),
            CONSENT,
        ),
        required_left_out="training",
    ),
    Respondent(
        "complaint-log",
        "en",
        "?location=riga-mall",
        (
            ("opened_at", "2026-11-19T17:40"),
            ("channel", "social-media"),
            ("what_happened", "A guest waited 20 minutes for a cake order."),
            ("severity", "3"),
            ("affected_customers", ""),
            ("root_cause", "wait-time"),
            ("action_taken", ""),
            ("customer_contacted", "no"),
            ("resolved_at", ""),
            ("prevention", ""),
            ("logged_by", ""),
        ),
        required_left_out="what_happened",
    ),
]


def respondent_id(respondent: Respondent) -> str:
    return f"{respondent.survey}-{respondent.lang}{respondent.query.replace('?location=', '-at-')}"


def field_names(survey_id: str) -> set[str]:
    """The form fields of a survey's questions: the question id, or `<question>.<item>` for each matrix item."""
    names = set()
    for question in SURVEYS[survey_id]["questions"]:
        items = question.get("items") if question["type"] == "matrix" else None
        names |= {f"{question['id']}.{item['id']}" for item in items} if items else {question["id"]}
    return names


def test_every_example_survey_is_answered_in_full_with_and_without_javascript() -> None:
    assert {respondent.survey for respondent in WITH_SCRIPT} == set(SURVEYS)
    assert {respondent.survey for respondent in WITHOUT_SCRIPT} == set(SURVEYS)
    assert {respondent.lang for respondent in WITH_SCRIPT if respondent.survey == "after-visit"} == set(LANGUAGES)
    for respondent in WITH_SCRIPT:
        assert {name for name, _ in respondent.answers} | set(respondent.hidden_follow_ups) == field_names(
            respondent.survey
        ), respondent_id(respondent)
    for respondent in WITHOUT_SCRIPT:
        assert {name for name, _ in respondent.answers} == field_names(respondent.survey), respondent_id(respondent)


@pytest.mark.parametrize("respondent", WITH_SCRIPT, ids=respondent_id)
def test_with_javascript_the_form_posts_exactly_the_answers_lang_version_rid_and_a_declared_location(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], respondent: Respondent
) -> None:
    page = open_page(survey_url(sites, respondent.survey, respondent.lang, respondent.query))
    answer(page, respondent.answers)
    for follow_up in respondent.hidden_follow_ups:
        expect(page.locator(f"#q-{follow_up}")).to_be_hidden()
    submit_and_land_on_thanks(page, respondent.survey, respondent.lang)

    fields, response_ids = without_response_id(posted_fields(sites[tree_of(respondent.survey)], respondent.survey))
    location = [("location", respondent.location)] if respondent.location else []
    form_fields = [("lang", respondent.lang), ("v", survey_versions()[respondent.survey]), ("_website", "")]
    assert fields == Counter([*respondent.answers, *form_fields, *location])
    assert len(response_ids) == 1 and RESPONSE_ID.fullmatch(response_ids[0]), response_ids


@pytest.mark.parametrize("respondent", WITHOUT_SCRIPT, ids=respondent_id)
def test_without_javascript_the_form_posts_the_answers_lang_and_version_only_and_follow_ups_are_optional(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], respondent: Respondent
) -> None:
    page = open_page(survey_url(sites, respondent.survey, respondent.lang, respondent.query), javascript=False)
    expect(page.locator(".question[data-show-if]")).to_have_count(len(follow_ups_of(respondent.survey)))
    numbers = {
        question["id"]: number for number, question in enumerate(SURVEYS[respondent.survey]["questions"], start=1)
    }
    for question in follow_ups_of(respondent.survey):
        note = page.locator(f"#q-{question['id']} .follow-up-note")
        expect(page.locator(f"#q-{question['id']}")).to_be_visible()
        expect(page.locator(f'[name="{question["id"]}"]')).to_be_enabled()
        expect(page.locator(f'[name="{question["id"]}"]')).not_to_have_attribute("required", "")
        expect(note).to_be_visible()
        expect(note).to_contain_text(str(numbers[question["show_if"]["question"]]))
        if respondent.lang == "en":
            asked_after = numbers[question["show_if"]["question"]]
            expect(note).to_have_text(f"Optional follow-up to question {asked_after}: answer it if it applies to you.")
    answer(page, respondent.answers)
    submit_and_land_on_thanks(page, respondent.survey, respondent.lang)

    fields = posted_fields(sites[tree_of(respondent.survey)], respondent.survey)
    form_fields = [("lang", respondent.lang), ("v", survey_versions()[respondent.survey]), ("_website", "")]
    assert Counter(fields) == Counter([*respondent.answers, *form_fields])


@pytest.mark.parametrize("respondent", WITHOUT_SCRIPT, ids=respondent_id)
def test_without_javascript_the_browser_refuses_to_send_a_missing_required_answer(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], respondent: Respondent
) -> None:
    url = survey_url(sites, respondent.survey, respondent.lang, respondent.query)
    page = open_page(url, javascript=False)
    answer(page, tuple(pair for pair in respondent.answers if pair[0] != respondent.required_left_out))
    page.locator("button[type=submit]").click()
    page.wait_for_timeout(300)

    assert sites[tree_of(respondent.survey)].posts == []
    assert page.url == url
    assert page.locator(f'[name="{respondent.required_left_out}"]').first.evaluate(
        "control => control.validity.valueMissing"
    )


# ---- follow-ups (show_if) ----


@pytest.mark.parametrize(
    ("survey", "question", "follow_up", "steps"),
    [
        pytest.param(
            "after-visit", "recommend", "improve", [("10", False), ("6", True), ("9", False), ("8", True)], id="lt"
        ),
        pytest.param(
            "after-visit",
            "expectations",
            "stood_out",
            [("met", False), ("below", True), ("exceeded", True), ("met", False)],
            id="in",
        ),
        pytest.param("journey-order", "order_ok", "problem", [("yes", False), ("no", True), ("yes", False)], id="eq"),
        pytest.param(
            "employee-annual",
            "recommend_workplace",
            "recommend_why_not",
            [("no", True), ("yes", False)],
            id="eq-employee",
        ),
    ],
)
def test_a_follow_up_appears_only_while_its_condition_holds(
    open_page: Callable[..., Page],
    sites: dict[str, ServedTree],
    survey: str,
    question: str,
    follow_up: str,
    steps: list[tuple[str, bool]],
) -> None:
    page = open_page(survey_url(sites, survey, "en"))
    box, control = page.locator(f"#q-{follow_up}"), page.locator(f'[name="{follow_up}"]')
    expect(box).to_be_hidden()
    expect(control).to_be_disabled()
    for value, shown in steps:
        page.locator(f'[name="{question}"][value="{value}"]').check()
        if shown:
            expect(box).to_be_visible()
            expect(control).to_be_enabled()
        else:
            expect(box).to_be_hidden()
            expect(control).to_be_disabled()


def test_questions_on_screen_are_numbered_without_gaps_as_follow_ups_come_and_go(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))

    def shown_numbers() -> list[str]:
        return page.locator(".question:visible > legend .question-number").all_inner_texts()

    expected = [f"{number}." for number in range(1, len(shown_numbers()) + 1)]
    assert shown_numbers() == expected
    page.locator('[name="recommend"][value="5"]').check()
    assert page.locator("#q-improve .question-number").inner_text() == "2."
    assert shown_numbers() == [f"{number}." for number in range(1, len(expected) + 2)]


def test_an_answer_typed_into_a_follow_up_is_not_posted_once_the_follow_up_hides_again(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    answer(page, (("recommend", "6"), ("improve", "Warmer milk."), ("recommend", "10")))
    submit_and_land_on_thanks(page, "after-visit", "en")

    fields, response_ids = without_response_id(posted_fields(sites["public"], "after-visit"))
    version = survey_versions()["after-visit"]
    assert fields == Counter([("recommend", "10"), ("email", ""), ("lang", "en"), ("v", version), ("_website", "")])
    assert len(response_ids) == 1


# ---- checks before sending ----


def test_an_unanswered_required_question_is_announced_and_tied_to_its_question(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    page.locator("button[type=submit]").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_count(1)
    expect(summary.locator("a")).to_have_attribute("href", "#q-recommend")
    expect(summary.locator("a")).to_contain_text("Please answer this question.")
    message = page.locator("#error-recommend")
    expect(message).to_be_visible()
    expect(message).to_have_text("Please answer this question.")
    radios = page.locator('[name="recommend"]')
    assert radios.count() == 11
    for index in range(radios.count()):
        expect(radios.nth(index)).to_have_attribute("aria-invalid", "true")
        assert "error-recommend" in (radios.nth(index).get_attribute("aria-describedby") or "").split()
    assert sites["public"].posts == []

    summary.locator("a").click()
    expect(radios.first).to_be_focused()
    answer(page, (("recommend", "9"),))
    expect(message).to_be_hidden()
    expect(radios.first).not_to_have_attribute("aria-invalid", "true")
    submit_and_land_on_thanks(page, "after-visit", "en")


def test_more_picks_than_allowed_are_refused_with_a_message(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    answer(
        page, (("recommend", "9"), ("liked", "coffee"), ("liked", "pastries"), ("liked", "lunch"), ("liked", "staff"))
    )
    page.locator("button[type=submit]").click()

    expect(page.locator("#error-liked")).to_have_text("Choose at most 3.")
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.locator('[name="liked"]').first.get_attribute("aria-invalid") == "true"
    assert sites["public"].posts == []

    page.locator('[name="liked"][value="lunch"]').uncheck()
    expect(page.locator("#error-liked")).to_be_hidden()
    submit_and_land_on_thanks(page, "after-visit", "en")
    fields = posted_fields(sites["public"], "after-visit")
    assert sorted(value for name, value in fields if name == "liked") == ["coffee", "pastries", "staff"]


# Just the required answers of each survey.
REQUIRED_ANSWERS: dict[str, Answers] = {
    "after-visit": (("recommend", "9"),),
    "journey-order": (("ease", "5"),),
    "employee-annual": (*EMPLOYEE_LIKERTS, CONSENT),
    "complaint-log": (
        ("opened_at", "2026-11-20T09:15"),
        ("channel", "in-person"),
        ("what_happened", "A dropped tray."),
        ("severity", "1"),
    ),
}


@pytest.mark.parametrize(
    ("survey", "name", "refused", "message", "accepted"),
    [
        pytest.param(
            "complaint-log", "affected_customers", "501", "Enter a number from 1 to 500.", "500", id="number-above-max"
        ),
        pytest.param(
            "complaint-log", "affected_customers", "0", "Enter a number from 1 to 500.", "1", id="number-below-min"
        ),
        pytest.param("employee-annual", "years", "51", "Enter a number from 0 to 50.", "0", id="years-above-max"),
        pytest.param(
            "complaint-log",
            "resolved_at",
            "2026-11-20T09:00",
            "This is earlier than the time it must follow; check both times.",
            "2026-11-20T09:15",
            id="resolved-before-opened",
        ),
        pytest.param(
            "after-visit",
            "email",
            "anna(at)example.com",
            "Enter an e-mail address like name@example.com.",
            "anna@example.com",
            id="email",
        ),
    ],
)
def test_an_answer_outside_its_rules_is_refused_before_sending(
    open_page: Callable[..., Page],
    sites: dict[str, ServedTree],
    survey: str,
    name: str,
    refused: str,
    message: str,
    accepted: str,
) -> None:
    page = open_page(survey_url(sites, survey, "en"))
    answer(page, (*REQUIRED_ANSWERS[survey], (name, refused)))
    page.locator("button[type=submit]").click()

    expect(page.locator(f"#error-{name}")).to_have_text(message)
    expect(page.locator(f'[name="{name}"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary li")).to_have_count(1)
    assert sites[tree_of(survey)].posts == []

    answer(page, ((name, accepted),))
    submit_and_land_on_thanks(page, survey, "en")
    assert (name, accepted) in posted_fields(sites[tree_of(survey)], survey)


def test_a_ranking_with_one_choice_in_two_places_is_refused_before_sending_and_posts_in_order_once_fixed(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "employee-annual", "en"))
    answer(page, (*REQUIRED_ANSWERS["employee-annual"], ("help_most", "training"), ("help_most", "training")))
    page.locator("button[type=submit]").click()

    expect(page.locator("#error-help_most")).to_have_text("Choose each answer only once.")
    expect(page.locator(".error-summary li")).to_have_count(1)
    places = page.locator('[name="help_most"]')
    for index in range(places.count()):
        expect(places.nth(index)).to_have_attribute("aria-invalid", "true")
    assert sites["intranet"].posts == []

    answer(page, (("help_most", "training"), ("help_most", "staffing")))
    expect(page.locator("#error-help_most")).to_be_hidden()
    submit_and_land_on_thanks(page, "employee-annual", "en")
    posted = [value for name, value in posted_fields(sites["intranet"], "employee-annual") if name == "help_most"]
    assert posted == ["training", "staffing", "", ""]


def test_a_consent_left_unticked_is_refused_before_sending(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "employee-annual", "en"))
    answer(page, EMPLOYEE_LIKERTS)
    page.locator("button[type=submit]").click()

    expect(page.locator("#error-consent")).to_have_text("Please answer this question.")
    expect(page.locator('[name="consent"]')).to_have_attribute("aria-invalid", "true")
    assert sites["intranet"].posts == []
    link = page.locator("#q-consent a")
    expect(link).to_have_text("Read the text (version 2026-11)")
    expect(link).to_have_attribute("href", "../../pages/about/")  # `/en/pages/about/`: a page of the survey's tree

    page.get_by_label("I agree").check()
    expect(page.locator("#error-consent")).to_be_hidden()
    submit_and_land_on_thanks(page, "employee-annual", "en")
    assert CONSENT in posted_fields(sites["intranet"], "employee-annual")


def test_without_javascript_a_ranking_posts_its_places_in_order_and_an_unticked_consent_is_not_sent(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    url = survey_url(sites, "employee-annual", "lv")
    page = open_page(url, javascript=False)
    answer(page, (*EMPLOYEE_LIKERTS, ("help_most", "staffing"), ("help_most", "schedule")))
    page.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert sites["intranet"].posts == [] and page.url == url
    assert page.locator('[name="consent"]').evaluate("control => control.validity.valueMissing")

    answer(page, (CONSENT,))
    submit_and_land_on_thanks(page, "employee-annual", "lv")
    posted = posted_fields(sites["intranet"], "employee-annual")
    assert [value for name, value in posted if name == "help_most"] == ["staffing", "schedule", "", ""]
    assert CONSENT in posted


def test_clicking_send_again_while_the_answers_are_on_their_way_posts_once(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    answer(page, (("recommend", "9"),))
    # The button as the respondent sees it once the answers are sent, kept where the next page can read it.
    page.evaluate("""() => document.querySelector('form.survey-form').addEventListener('submit', () => {
        const button = document.querySelector('button[type=submit]');
        sessionStorage.setItem('test-sending',
            JSON.stringify([button.disabled, button.getAttribute('aria-busy'), button.textContent]));
    })""")
    button = page.locator("button[type=submit]")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    sites["public"].server.answering.clear()
    with page.expect_navigation(url="**/en/surveys/after-visit/thanks/"):
        page.mouse.dblclick(x, y)
        # Chromium folds a quick double click into one submission by itself; the click that needs
        # the page's guard comes once the first post has arrived and its answer is still awaited.
        wait_for(lambda: len(sites["public"].posts) == 1)
        page.mouse.click(x, y)
        page.wait_for_timeout(300)
        sites["public"].server.answering.set()
    assert len(sites["public"].posts) == 1
    assert json.loads(page.evaluate("sessionStorage.getItem('test-sending')")) == [True, "true", "Sending…"]


def test_the_response_id_survives_a_reload_and_is_new_after_the_thank_you_page(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    first = page.locator('[name="rid"]').input_value()
    assert RESPONSE_ID.fullmatch(first), first
    page.reload()
    assert page.locator('[name="rid"]').input_value() == first
    answer(page, (("recommend", "9"),))
    submit_and_land_on_thanks(page, "after-visit", "en")
    assert ("rid", first) in posted_fields(sites["public"], "after-visit")

    page.goto(survey_url(sites, "after-visit", "en"))
    second = page.locator('[name="rid"]').input_value()
    assert RESPONSE_ID.fullmatch(second) and second != first


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-10-31T12:00:00+00:00", False),
        ("2026-10-31T22:30:00+00:00", True),  # 1 November, 00:30 in Riga: the site's day decides
        ("2026-11-01T12:00:00+00:00", True),
        ("2026-12-15T12:00:00+00:00", True),
        ("2026-12-15T22:30:00+00:00", False),  # 16 December in Riga
        ("2026-12-16T12:00:00+00:00", False),
    ],
)
def test_a_survey_outside_its_dates_shows_that_it_is_closed_instead_of_the_form(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], moment: str, is_open: bool
) -> None:
    page = open_page(survey_url(sites, "employee-annual", "en"))
    page.clock.set_fixed_time(datetime.fromisoformat(moment))
    page.reload()
    if is_open:
        expect(page.locator(".survey-form")).to_be_visible()
        expect(page.locator(".notice-closed")).to_be_hidden()
    else:
        expect(page.locator(".survey-form")).to_be_hidden()
        expect(page.locator(".notice-closed")).to_be_visible()
        expect(page.locator(".notice-closed")).to_contain_text("This survey is closed.")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_page_built_before_the_survey_opened_says_closed_without_javascript_and_opens_with_it(
    browser: Browser, minimal_project: Path, serve_directory: Callable[[Path], str], javascript: bool
) -> None:
    build_project(minimal_project, as_of=date(2025, 12, 31))  # after-visit opens on 1 January 2026
    base = serve_directory(minimal_project / "output/public")
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.clock.set_fixed_time(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    page.goto(f"{base}en/surveys/after-visit/")
    expect(page.locator(".survey-form")).to_be_visible(visible=javascript)
    expect(page.locator(".notice-closed")).to_be_visible(visible=not javascript)
    context.close()


def test_back_after_the_thank_you_page_says_already_answered_and_answering_again_gets_a_new_rid(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    first = page.locator('[name="rid"]').input_value()
    answer(page, (("recommend", "9"),))
    submit_and_land_on_thanks(page, "after-visit", "en")
    page.go_back()
    notice = page.locator(".notice-answered")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("You have already answered this survey.")
    expect(page.locator(".survey-form")).to_be_hidden()
    page.get_by_role("button", name="Answer again").click()
    expect(page.locator(".survey-form")).to_be_visible()
    expect(notice).to_be_hidden()
    expect(page.locator('[name="recommend"]:checked')).to_have_count(0)
    second = page.locator('[name="rid"]').input_value()
    assert RESPONSE_ID.fullmatch(second) and second != first
    answer(page, (("recommend", "7"),))
    submit_and_land_on_thanks(page, "after-visit", "en")
    assert [dict(post.fields)["rid"] for post in sites["public"].posts] == [first, second]


def test_an_employee_survey_answered_in_this_tab_offers_no_second_answer(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "employee-annual", "lv"))
    page.evaluate("sessionStorage.setItem('sitegen-answered-employee-annual', 'true')")
    page.reload()
    expect(page.locator(".notice-answered")).to_be_visible()
    expect(page.locator(".notice-answered")).to_contain_text("Jūs jau esat atbildējuši uz šo aptauju.")
    expect(page.locator(".answer-again")).to_have_count(0)
    expect(page.locator(".survey-form")).to_be_hidden()


# ---- keyboard ----


def test_the_nps_scale_and_text_fields_work_from_the_keyboard_with_visible_focus(
    open_page: Callable[..., Page], sites: dict[str, ServedTree]
) -> None:
    page = open_page(survey_url(sites, "after-visit", "en"))
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('form.survey-form') !== null"):  # past the search field
            break
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert focused == ["recommend", "0"], "the first stop in the form is the first NPS answer"
    outline_of_box = "getComputedStyle(document.activeElement.nextElementSibling).outlineStyle"
    assert page.evaluate(outline_of_box) != "none"

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    expect(page.locator('[name="recommend"]:checked')).to_have_value("1")
    expect(page.locator('[name="recommend"][value="1"]')).to_be_focused()
    assert page.evaluate(outline_of_box) != "none"

    page.keyboard.press("Tab")
    expect(page.locator('[name="improve"]')).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type("Too slow at noon")
    expect(page.locator('[name="improve"]')).to_have_value("Too slow at noon")
    expect(page.locator("#counter-improve")).to_have_text("1984 characters left.")

    page.keyboard.press("Tab")
    expect(page.locator('[name="satisfaction"][value="1"]')).to_be_focused()
    assert page.evaluate(outline_of_box) != "none"
    page.keyboard.press("Space")
    expect(page.locator('[name="satisfaction"][value="1"]')).to_be_checked()


# ---- accessibility and layout ----


def pages_to_check() -> Iterator[tuple[str, str]]:
    """Every survey page, thank-you page, surveys index and QR poster (A4, A6) of the example site, as (tree, path)."""
    for lang in LANGUAGES:
        yield "public", f"{lang}/surveys/"
        yield "intranet", f"{lang}/surveys/"
        for survey_id, survey in SURVEYS.items():
            yield tree_of(survey_id), f"{lang}/surveys/{survey_id}/"
            yield tree_of(survey_id), f"{lang}/surveys/{survey_id}/thanks/"
            # The example sets no intranet_url, so only public surveys have QR codes.
            if tree_of(survey_id) == "public":
                locations = survey.get("hidden", {}).get("location", [])  # a list of ids, or {label, values}
                for location in locations["values"] if isinstance(locations, dict) else locations:
                    yield "intranet", f"{lang}/surveys/{survey_id}/qr/{location}/"
                    yield "intranet", f"{lang}/surveys/{survey_id}/qr/{location}/a6/"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now (axe comes from the installed package, not a CDN)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")  # a <script> tag would break the page's policy
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)", options
    )
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        (
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            f"{[node['target'] for node in violation['nodes']]}"
        )
        for violation in violations
    )


def save_screenshot(page: Page, name: str) -> None:
    """Keep a full-page screenshot for a person to look at, where SITEGEN_SCREENSHOTS names a directory."""
    directory = os.environ.get("SITEGEN_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


# Controls smaller than 24 x 24 CSS px (WCAG 2.2, 2.5.8), counting a control's label as part of its
# target; links inside a line of text are exempt, and so are controls that are not on screen.
SMALL_CONTROLS = """() => {
  const small = [];
  for (const control of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')) {
    const box = control.getBoundingClientRect();
    if (!control.checkVisibility() || box.width <= 1 || box.height <= 1 || box.right <= 0 || box.bottom <= 0) continue;
    if (control.tagName === 'A' && getComputedStyle(control).display === 'inline') continue;
    const label = control.closest('label');
    const target = label ? label.getBoundingClientRect() : box;
    const width = Math.max(box.width, target.width), height = Math.max(box.height, target.height);
    if (width < 24 || height < 24)
      small.push(`${control.outerHTML.slice(0, 100)}: ${width.toFixed(1)} x ${height.toFixed(1)}`);
  }
  return small;
}"""


@pytest.mark.parametrize(("tree", "path"), list(pages_to_check()), ids=lambda value: value.strip("/").replace("/", "-"))
def test_a_survey_page_has_no_axe_violations_and_fits_a_phone_and_a_desktop(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], tree: str, path: str
) -> None:
    page = open_page(sites[tree].url + path, width=WIDTHS[0])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        if re.fullmatch(r"[a-z]{2}/surveys/[a-z0-9_-]+/", path):
            save_screenshot(page, f"{path.split('/')[2]}-{path.split('/')[0]}-{width}")
        violations = axe_violations(page)
        assert violations == [], f"at {width} px:\n{describe(violations)}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(SMALL_CONTROLS) == [], f"at {width} px"


# Answers that show every follow-up and break a rule, so that errors are on screen.
ANSWERS_THAT_SHOW_ERRORS: dict[str, Answers] = {
    "after-visit": (
        ("recommend", "5"),
        ("expectations", "below"),
        ("liked", "coffee"),
        ("liked", "pastries"),
        ("liked", "lunch"),
        ("liked", "staff"),
    ),
    "journey-order": (("order_ok", "no"),),
    "employee-annual": (
        ("years", "99"),
        ("help_most", "staffing"),
        ("help_most", "staffing"),
        ("recommend_workplace", "no"),
    ),
    "complaint-log": (("affected_customers", "0"),),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("survey", list(SURVEYS))
def test_a_survey_showing_errors_and_follow_ups_has_no_axe_violations_on_a_phone(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], survey: str, lang: str
) -> None:
    page = open_page(survey_url(sites, survey, lang), width=360)
    answer(page, ANSWERS_THAT_SHOW_ERRORS[survey])
    page.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".question:not([hidden])[data-show-if]")).to_have_count(len(follow_ups_of(survey)))
    save_screenshot(page, f"{survey}-{lang}-errors-360")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(SMALL_CONTROLS) == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("survey", list(SURVEYS))
def test_a_survey_without_its_script_has_no_axe_violations_on_a_phone(
    open_page: Callable[..., Page], sites: dict[str, ServedTree], survey: str, lang: str
) -> None:
    # axe needs JavaScript, so the page runs without survey.js instead: the form as it looks without script.
    page = open_page(survey_url(sites, survey, lang), width=360, survey_script=False)
    expect(page.locator(".follow-up-note")).to_have_count(len(follow_ups_of(survey)))
    for index in range(len(follow_ups_of(survey))):
        expect(page.locator(".follow-up-note").nth(index)).to_be_visible()
    save_screenshot(page, f"{survey}-{lang}-noscript-360")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
