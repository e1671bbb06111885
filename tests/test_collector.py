"""The collector in-process (Starlette's TestClient runs its lifespan): every answer kept, nothing else let in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from sitegen.collector.app import create_app
from sitegen.collector.guards import RateLimiter
from sitegen.store import ResponseStore

JUNE = dt.datetime(2026, 6, 1, 21, 30, tzinfo=dt.UTC)  # 2 June, 00:30 in Riga
VALID_FORM = [
    ("recommend", "6"),
    ("improve", "Warmer\r\nrolls"),
    ("satisfaction", "4"),
    ("channel", "friends"),
    ("visits", "3"),
    ("extras", "cake"),
    ("extras", "cup"),
    ("visited_at", "2026-06-01T09:15"),
    ("location", "jelgava"),
    ("rid", "rid-0001-abcdef"),
    ("lang", "en"),
]


def post_form(
    client: TestClient,
    pairs: list[tuple[str, str]],
    path: str = "/s/after-visit",
    headers: dict[str, str] | None = None,
) -> Any:
    """A form post exactly as a browser sends it (names may repeat)."""
    return client.post(
        path, content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded", **(headers or {})}
    )


def store_rows(project: Path) -> list[Any]:
    store = ResponseStore.open(f"sqlite:///{project / 'responses.sqlite3'}", project)
    try:
        return list(store.responses())
    finally:
        store.close()


def client_for(project: Path, clock: dt.datetime = JUNE, limiter: RateLimiter | None = None) -> TestClient:
    app = create_app(project, f"sqlite:///{project / 'responses.sqlite3'}", clock=lambda: clock, limiter=limiter)
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def client(minimal_project: Path) -> Iterator[TestClient]:
    with client_for(minimal_project) as test_client:
        yield test_client


def test_a_form_post_is_stored_then_redirected_to_the_thank_you_page(client: TestClient, minimal_project: Path) -> None:
    answer = post_form(client, VALID_FORM)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/en/surveys/after-visit/thanks/"
    [row] = store_rows(minimal_project)
    assert row.id == "rid-0001-abcdef" and row.survey_id == "after-visit" and row.lang == "en"
    assert row.answers == {
        "recommend": 6,
        "improve": "Warmer\nrolls",
        "satisfaction": 4,
        "channel": "friends",
        "extras": ["cake", "cup"],
        "visits": 3,
        "visited_at": "2026-06-01T09:15",
    }
    assert row.meta["location"] == "jelgava" and row.meta["stage"] == "purchase"
    assert row.meta["user_agent"] == "testclient"
    assert row.submitted_at == JUNE
    assert len(row.survey_version) == 16


def test_a_resubmitted_response_id_stores_nothing_new_and_gets_the_same_answer(
    client: TestClient, minimal_project: Path
) -> None:
    first = post_form(client, VALID_FORM)
    changed = [(name, "10" if name == "recommend" else value) for name, value in VALID_FORM if name != "improve"]
    second = post_form(client, changed)
    assert (second.status_code, second.headers["location"]) == (first.status_code, first.headers["location"])
    [row] = store_rows(minimal_project)
    assert row.answers["recommend"] == 6


def test_a_promoter_who_answers_the_follow_up_meant_for_others_is_thanked_and_the_follow_up_left_out(
    client: TestClient, minimal_project: Path
) -> None:
    # Without JavaScript every follow-up is on the page; "what would make it a 9 or 10?" is only asked below 9.
    answer = post_form(client, [("recommend", "10"), ("improve", "Nothing, all good"), ("lang", "en")])
    assert answer.status_code == 303 and answer.headers["location"] == "/en/surveys/after-visit/thanks/"
    [row] = store_rows(minimal_project)
    assert row.answers == {"recommend": 10}


def test_a_json_post_answers_201_with_the_id_and_is_idempotent(client: TestClient, minimal_project: Path) -> None:
    body = {
        "rid": "json-0001-abcdef",
        "lang": "lv",
        "meta": {"location": "riga-centre"},
        "answers": {"recommend": 10, "extras": ["beans"]},
    }
    first = client.post("/s/after-visit", json=body)
    assert first.status_code == 201 and first.json() == {"id": "json-0001-abcdef", "status": "stored"}
    again = client.post("/s/after-visit", json=body)
    assert again.status_code == 201 and again.json()["id"] == "json-0001-abcdef"
    assert len(store_rows(minimal_project)) == 1


def test_posts_without_rid_get_a_new_id_each(client: TestClient, minimal_project: Path) -> None:
    post_form(client, [("recommend", "9")])
    post_form(client, [("recommend", "8")])
    assert len({row.id for row in store_rows(minimal_project)}) == 2


def test_the_same_answers_sent_again_without_rid_are_thanked_and_stored_once(minimal_project: Path) -> None:
    # Without JavaScript: Back from the thank-you page and Send again, or a second click on Send.
    moments = [JUNE]
    app = create_app(minimal_project, f"sqlite:///{minimal_project / 'responses.sqlite3'}", clock=lambda: moments[-1])
    form = [(name, value) for name, value in VALID_FORM if name != "rid"]
    with TestClient(app, follow_redirects=False) as client:
        first = post_form(client, form)
        moments.append(JUNE + dt.timedelta(minutes=9))
        again = post_form(client, form)
        assert (again.status_code, again.headers["location"]) == (first.status_code, first.headers["location"])
        assert len(store_rows(minimal_project)) == 1
        moments.append(JUNE + dt.timedelta(minutes=10, seconds=1))
        post_form(client, form)  # ten minutes after the first: a new answer
        assert len(store_rows(minimal_project)) == 2


def test_the_same_answers_without_rid_from_another_network_or_with_another_hidden_field_are_new(
    minimal_project: Path,
) -> None:
    database = f"sqlite:///{minimal_project / 'responses.sqlite3'}"
    form = [(name, value) for name, value in VALID_FORM if name != "rid"]
    with TestClient(create_app(minimal_project, database, clock=lambda: JUNE), follow_redirects=False) as client:
        post_form(client, form)
        post_form(client, [(name, "riga-centre" if name == "location" else value) for name, value in form])
        post_form(client, [*form, ("effort", "4")])
        assert post_form(client, form).status_code == 303
        assert len(store_rows(minimal_project)) == 3
    app = create_app(minimal_project, database, clock=lambda: JUNE)
    with TestClient(app, follow_redirects=False, client=("192.0.2.7", 50000)) as client:
        post_form(client, form)
    assert len(store_rows(minimal_project)) == 4


def test_a_json_post_without_rid_sent_again_gets_the_first_id(client: TestClient, minimal_project: Path) -> None:
    body = {"lang": "en", "answers": {"recommend": 7}}
    first = client.post("/s/after-visit", json=body)
    again = client.post("/s/after-visit", json=body)
    assert first.json()["status"] == "stored" and again.json() == {"id": first.json()["id"], "status": "already stored"}
    assert len(store_rows(minimal_project)) == 1


def test_invalid_form_answers_get_a_422_page_in_the_respondents_language(
    client: TestClient, minimal_project: Path
) -> None:
    answer = post_form(
        client, [("recommend", "11"), ("extras", "cake"), ("extras", "beans"), ("extras", "cup"), ("lang", "lv")]
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert '<html lang="lv">' in page
    assert "Cik ticams, ka ieteiktu mūs draugam?</strong> — Ievadiet skaitli no 0 līdz 10." in page
    assert "Ko vēl nopirkāt</strong> — Izvēlieties ne vairāk kā 2." in page
    assert store_rows(minimal_project) == []


def test_invalid_json_answers_get_problem_details(client: TestClient) -> None:
    answer = client.post("/s/after-visit", json={"answers": {"recommend": "ten", "nonsense": 1}})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422 and problem["title"] == "Invalid answers"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("recommend", "not_a_number"),
        ("nonsense", "unknown_field"),
    }


@pytest.mark.parametrize(
    ("pairs", "field"),
    [
        ([("recommend", "10"), ("improve", "x" * 2001)], "improve"),  # over max_length, where show_if hid it
        ([("recommend", "8"), ("location", "evil")], "location"),  # an undeclared hidden value
        ([("recommend", "8"), ("colour", "red")], "colour"),  # an unknown field
        ([("recommend", "8"), ("improve", "x" * 2001)], "improve"),  # over max_length
        ([("improve", "x")], "recommend"),  # required
    ],
)
def test_answers_outside_the_rules_are_refused(
    client: TestClient, minimal_project: Path, pairs: list[tuple[str, str]], field: str
) -> None:
    answer = post_form(client, pairs, headers={"accept": "application/json"})
    assert answer.status_code == 422
    assert store_rows(minimal_project) == []


def test_unknown_survey_is_404_and_wrong_method_405(client: TestClient) -> None:
    assert post_form(client, [("recommend", "9")], "/s/no-such-survey").status_code == 404
    answer = client.get("/s/after-visit")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"


def test_a_ten_megabyte_body_is_refused_with_413(client: TestClient, minimal_project: Path) -> None:
    answer = client.post(
        "/s/after-visit",
        content=b"recommend=9&improve=" + b"x" * 10_000_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert store_rows(minimal_project) == []


def test_other_media_types_are_refused_with_415(client: TestClient) -> None:
    answer = client.post("/s/after-visit", content=b"recommend=9", headers={"content-type": "text/plain"})
    assert answer.status_code == 415


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    answer = client.post("/s/after-visit", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json()["title"] == "Malformed JSON"


def test_a_closed_survey_is_refused_with_410_and_a_clear_page(minimal_project: Path) -> None:
    with client_for(minimal_project, clock=dt.datetime(2031, 1, 5, tzinfo=dt.UTC)) as client:
        answer = post_form(client, [("recommend", "9")], headers={"accept-language": "lv"})
    assert answer.status_code == 410
    assert "Šī aptauja ir slēgta." in answer.text and "2030. gada 31. decembris" in answer.text
    assert store_rows(minimal_project) == []


def test_posts_from_other_sites_are_refused_but_the_sites_own_pages_are_welcome(client: TestClient) -> None:
    assert post_form(client, [("recommend", "9")], headers={"origin": "https://evil.example"}).status_code == 403
    assert post_form(client, [("recommend", "9")], headers={"origin": "https://saulite.example"}).status_code == 303
    assert post_form(client, [("recommend", "9")], headers={"origin": "http://testserver"}).status_code == 303


def test_the_rate_limit_answers_429_with_retry_after(minimal_project: Path) -> None:
    with client_for(minimal_project, limiter=RateLimiter(per_hour=60, burst=2)) as client:
        statuses = [post_form(client, [("recommend", str(score))]).status_code for score in (9, 8, 7)]
        refused = post_form(client, [("recommend", "9")])
    assert statuses == [303, 303, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert len(store_rows(minimal_project)) == 2


def test_the_default_rate_limit_lets_a_busy_hour_through_one_address(client: TestClient, minimal_project: Path) -> None:
    statuses = {post_form(client, [("recommend", "9")]).status_code for _ in range(120)}
    assert statuses == {303}


def test_a_filled_honeypot_is_thanked_and_forgotten(client: TestClient, minimal_project: Path) -> None:
    answer = post_form(client, [("recommend", "9"), ("_website", "http://spam.example")])
    assert answer.status_code == 303
    assert store_rows(minimal_project) == []


def test_anonymous_surveys_keep_only_the_day_and_no_user_agent(minimal_project: Path) -> None:
    survey = minimal_project / "surveys/after-visit.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace("audience: customer", "audience: employee"), encoding="utf-8"
    )
    with client_for(minimal_project) as client:
        post_form(client, [("recommend", "9")], headers={"user-agent": "Firefox"})
    [row] = store_rows(minimal_project)
    assert row.is_anonymous  # kept apart, under a hash of its rid (README: Anonymity in the store)
    assert "user_agent" not in row.meta
    assert row.submitted_at == dt.datetime(2026, 6, 1, 21, 0, tzinfo=dt.UTC)  # 2 June 00:00 in Riga


def test_with_a_collector_url_the_thank_you_page_is_on_the_site(minimal_project: Path) -> None:
    config = minimal_project / "sitegen.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "collector_url: https://forms.saulite.example\n", encoding="utf-8"
    )
    with client_for(minimal_project) as client:
        answer = post_form(client, [("recommend", "9"), ("lang", "lv")])
    assert answer.headers["location"] == "https://saulite.example/lv/surveys/after-visit/thanks/"


def test_healthz_names_the_version_of_each_survey_it_checks_answers_against(client: TestClient) -> None:
    answer = client.get("/healthz").json()
    assert answer["status"] == "ok" and list(answer["surveys"]) == ["after-visit"]
    assert len(answer["surveys"]["after-visit"]) == 16


# Cases: a qualifying answer opens one, with its response

FOLLOW_UP = """\
  - {id: email, type: email, label: {lv: E-pasts, en: E-mail}}
  - {id: agree, type: consent, text: {lv: /lv/privacy/, en: /en/privacy/}, version: '2026-01', required: true,
     label: {lv: Piekrītu, en: I agree}}
follow_up:
  when: {question: recommend, le: 6}
  contact: email
  consent: agree
  due: 2 working days
"""
CONTACT = [("email", "guest@example.com"), ("agree", "2026-01")]


def with_follow_up(project: Path) -> Path:
    survey = project / "surveys/after-visit.yaml"
    questions, follow_up = FOLLOW_UP.split("follow_up:")
    text = survey.read_text(encoding="utf-8").replace("  - id: visited_at\n", questions + "  - id: visited_at\n")
    text += "follow_up:" + follow_up
    survey.write_text(text, encoding="utf-8")
    return project


def store_cases(project: Path) -> list[Any]:
    store = ResponseStore.open(f"sqlite:///{project / 'responses.sqlite3'}", project)
    try:
        return store.cases.find(JUNE, statuses=["open", "contacted", "resolved", "dismissed"])
    finally:
        store.close()


def test_a_detractor_who_leaves_a_contact_opens_exactly_one_case_even_when_posting_again(minimal_project: Path) -> None:
    with client_for(with_follow_up(minimal_project)) as client:
        assert post_form(client, VALID_FORM + CONTACT).status_code == 303
        assert post_form(client, VALID_FORM + CONTACT).status_code == 303
    [case] = store_cases(minimal_project)
    assert case.response_id == "rid-0001-abcdef" and case.contact == "guest@example.com" and case.status == "open"
    assert case.location == "jelgava" and case.lang == "en"
    assert case.summary == {
        "score": 6,
        "comment": "Warmer\nrolls",
        "location": "jelgava",
        "language": "en",
        "consent": "2026-01",
    }
    # Monday 00:30 in Riga plus 2 working days: Wednesday 00:30.
    assert case.opened_at == JUNE and case.due_at == dt.datetime(2026, 6, 3, 21, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(
            [(name, "9" if name == "recommend" else value) for name, value in VALID_FORM] + CONTACT, id="promoter"
        ),
        pytest.param([*VALID_FORM, ("agree", "2026-01")], id="no-contact"),
    ],
)
def test_an_answer_that_does_not_qualify_opens_no_case(minimal_project: Path, form: list[tuple[str, str]]) -> None:
    with client_for(with_follow_up(minimal_project)) as client:
        assert post_form(client, form).status_code == 303
    assert len(store_rows(minimal_project)) == 1 and store_cases(minimal_project) == []
