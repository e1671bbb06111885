"""The staff pages of cases: the inbox of one's locations, a case worked from open to resolved, a complaint entry
completed later, and every refusal (another location, no CSRF token, signed out, a step out of order)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from test_staff import PASSWORD, START, Clock, add_account

from sitegen.collector.app import create_app
from sitegen.store import ResponseStore

FIXTURE = Path(__file__).parent / "fixtures" / "minimal"
LOG = """\
id: complaint-log
title: {lv: Sūdzību žurnāls, en: Complaint log}
audience: employee
anonymous: false
hidden: {location: [riga-centre, jelgava]}
follow_up: {due: 2 working days}
questions:
  - id: opened_at
    type: datetime
    required: true
    label: {lv: Kad saņemta, en: When was it received}
  - id: what_happened
    type: textarea
    required: true
    label: {lv: Kas notika, en: What happened}
  - id: root_cause
    type: single
    label: {lv: Cēlonis, en: Root cause}
    choices:
      - {id: wait-time, label: {lv: Ilga gaidīšana, en: Long wait}}
      - {id: order-error, label: {lv: Kļūda pasūtījumā, en: Wrong order}}
  - id: resolved_at
    type: datetime
    not_before: opened_at
    label: {lv: Kad atrisināta, en: When was it resolved}
  - id: prevention
    type: textarea
    label: {lv: Kas novērsīs, en: What prevents it next time}
"""
FOLLOW_UP = """\
  - id: email
    type: email
    label: {lv: E-pasts atbildei, en: E-mail for a reply}
follow_up:
  when: {question: recommend, le: 6}
  contact: email
  due: 48 hours
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The minimal site with a detractor follow-up on its survey and a complaint log that opens a case per entry."""
    root = tmp_path / "minimal"
    shutil.copytree(FIXTURE, root)
    survey = root / "surveys" / "after-visit.yaml"
    survey.write_text(survey.read_text(encoding="utf-8") + FOLLOW_UP, encoding="utf-8")
    (root / "surveys" / "complaint-log.yaml").write_text(LOG, encoding="utf-8")
    return root


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store_url(project: Path) -> str:
    url = f"sqlite:///{project / 'responses.sqlite3'}"
    add_account(url, project, "anna@saulite.example", "owner")
    add_account(url, project, "juris@saulite.example", "manager", ("jelgava",))
    return url


@pytest.fixture
def client(project: Path, store_url: str, clock: Clock) -> Iterator[TestClient]:
    with TestClient(
        create_app(project, store_url, clock=clock), follow_redirects=False, headers={"accept-language": "en"}
    ) as test_client:
        yield test_client


def token_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, email: str) -> None:
    client.cookies.clear()
    token = token_of(client.get("/staff/login"))
    answer = client.post("/staff/login", data={"csrf": token, "email": email, "password": PASSWORD})
    assert answer.status_code == 303


def detractor(client: TestClient, location: str, score: str = "3", comment: str = "Cold coffee") -> None:
    fields = {"recommend": score, "improve": comment, "email": "guest@example.org", "location": location}
    assert client.post("/s/after-visit", data={**fields, "lang": "en"}).status_code == 303


def case_ids(page: httpx.Response) -> list[str]:
    return re.findall(r'href="/staff/cases/([0-9a-f]{32})\?', page.text)


def test_a_manager_sees_only_the_cases_of_their_locations(client: TestClient) -> None:
    detractor(client, "riga-centre", comment="Rude at the till")
    detractor(client, "jelgava", comment="Cold coffee")
    detractor(client, "jelgava", score="10")  # a promoter opens no case
    sign_in(client, "juris@saulite.example")
    inbox = client.get("/staff/cases/")
    assert inbox.status_code == 200 and "Cold coffee" in inbox.text and "Rude at the till" not in inbox.text
    [jelgava] = case_ids(inbox)
    sign_in(client, "anna@saulite.example")
    owners = case_ids(client.get("/staff/cases/"))
    assert len(owners) == 2 and jelgava in owners
    [riga] = [case_id for case_id in owners if case_id != jelgava]
    sign_in(client, "juris@saulite.example")
    unseen, missing = client.get(f"/staff/cases/{riga}"), client.get("/staff/cases/" + "0" * 32)
    assert unseen.status_code == missing.status_code == 404
    assert unseen.text.replace(riga, "0" * 32) == missing.text  # nothing but the address tells them apart
    assert "<h1>Case not found</h1>" in unseen.text and "Rude at the till" not in unseen.text
    assert case_ids(client.get("/staff/cases/?location=riga-centre")) == [jelgava]  # a filter cannot widen


def test_a_case_is_worked_from_open_to_resolved_and_its_contact_goes_once_closed(client: TestClient) -> None:
    detractor(client, "jelgava")
    sign_in(client, "juris@saulite.example")
    [case_id] = case_ids(client.get("/staff/cases/"))
    page = client.get(f"/staff/cases/{case_id}")
    assert "mailto:guest@example.org" in page.text and "Cold coffee" in page.text
    assert 'value="resolved"' not in page.text  # not before the guest was contacted
    step = {"csrf": token_of(page), "step": "contacted", "note": "Called, apologised, a voucher sent"}
    answer = client.post(f"/staff/cases/{case_id}/steps", data=step)
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"/staff/cases/{case_id}?")
    answer = client.post(f"/staff/cases/{case_id}/steps", data={**step, "step": "resolved", "note": "Happy again"})
    assert answer.status_code == 303
    page = client.get(f"/staff/cases/{case_id}")
    history = page.text[page.text.index('class="case-history"') :]
    assert re.findall(r"<strong>(\w[\w ]*)</strong> · ([^ ]+) ·", history) == [
        ("Opened", "collector"),
        ("Contacted", "juris@saulite.example"),
        ("Resolved", "juris@saulite.example"),
    ]
    assert "Called, apologised, a voucher sent" in history and "guest@example.org" not in page.text
    assert case_ids(client.get("/staff/cases/")) == [] and case_ids(client.get("/staff/cases/?show=closed")) == [
        case_id
    ]
    again = client.post(f"/staff/cases/{case_id}/steps", data={**step, "step": "dismissed"})
    assert again.status_code == 409 and "The case has changed since the page was opened" in again.text


def test_a_step_without_its_token_or_after_signing_out_changes_nothing(
    client: TestClient, project: Path, store_url: str
) -> None:
    detractor(client, "jelgava")
    sign_in(client, "anna@saulite.example")
    [case_id] = case_ids(client.get("/staff/cases/"))
    token = token_of(client.get(f"/staff/cases/{case_id}"))
    forged = client.post(f"/staff/cases/{case_id}/steps", data={"step": "contacted", "note": "x"})
    assert forged.status_code == 403 and "This form has expired" in forged.text
    wrong = client.post(f"/staff/cases/{case_id}/steps", data={"csrf": token[::-1], "step": "contacted"})
    assert wrong.status_code == 403
    assert client.post("/staff/logout", data={"csrf": token}).status_code == 303
    late = client.post(f"/staff/cases/{case_id}/steps", data={"csrf": token, "step": "contacted"})
    assert late.status_code == 401
    assert client.get("/staff/cases/").headers["location"] == "/staff/login?next=/staff/cases/"
    with ResponseStore.open(store_url, project) as store:
        assert [event.step for event in store.cases.get(case_id).events] == ["opened"]


def test_a_note_needs_text_and_a_step_must_be_one_staff_take(client: TestClient) -> None:
    detractor(client, "jelgava")
    sign_in(client, "anna@saulite.example")
    [case_id] = case_ids(client.get("/staff/cases/"))
    token = token_of(client.get(f"/staff/cases/{case_id}"))
    empty = client.post(f"/staff/cases/{case_id}/steps", data={"csrf": token, "step": "noted", "note": "  "})
    assert empty.status_code == 422 and "Write the note first." in empty.text
    opened = client.post(f"/staff/cases/{case_id}/steps", data={"csrf": token, "step": "opened"})
    assert opened.status_code == 422 and "Choose what was done." in opened.text
    long = client.post(f"/staff/cases/{case_id}/steps", data={"csrf": token, "step": "noted", "note": "x" * 2001})
    assert long.status_code == 422 and "at most 2000 characters" in long.text


def test_overdue_cases_come_first_and_are_marked(client: TestClient, clock: Clock) -> None:
    detractor(client, "jelgava", comment="First, now overdue")
    clock.now = START + dt.timedelta(hours=47)
    detractor(client, "jelgava", comment="Second, in time")
    clock.now = START + dt.timedelta(hours=49)
    sign_in(client, "anna@saulite.example")
    inbox = client.get("/staff/cases/").text
    assert "2 cases, 1 overdue." in inbox
    assert inbox.index("First, now overdue") < inbox.index("Second, in time")
    assert inbox.count("badge-overdue") == 1


def test_a_complaint_entry_is_opened_by_its_author_and_completed_later(
    client: TestClient, project: Path, store_url: str, clock: Clock
) -> None:
    sign_in(client, "juris@saulite.example")
    entry = {"opened_at": "2026-06-01T11:30", "what_happened": "Wrong cake", "location": "jelgava", "lang": "en"}
    assert client.post("/s/complaint-log", data=entry).status_code == 303
    [case_id] = case_ids(client.get("/staff/cases/?survey=complaint-log"))
    page = client.get(f"/staff/cases/{case_id}")
    assert re.search(r"<strong>Opened</strong> · juris@saulite\.example", page.text)
    assert 'name="root_cause"' in page.text and 'name="what_happened"' not in page.text  # only what was left empty
    token = token_of(page)
    early = {"csrf": token, "root_cause": "order-error", "resolved_at": "2026-06-01T10:00", "action": "resolve"}
    refused = client.post(f"/staff/cases/{case_id}/entry", data=early)
    assert refused.status_code == 422 and "When was it resolved" in refused.text
    clock.now = START + dt.timedelta(hours=3)
    done = {**early, "resolved_at": "2026-06-01T12:15", "prevention": "Read the order back"}
    assert client.post(f"/staff/cases/{case_id}/entry", data=done).status_code == 303
    with ResponseStore.open(store_url, project) as store:
        case = store.cases.get(case_id)
        answers = store.cases.answers_of(case)
    assert case.status == "resolved" and case.resolved_at == START + dt.timedelta(hours=3)
    assert (case.events[-1].step, case.events[-1].who) == ("resolved", "juris@saulite.example")
    assert answers == {
        "opened_at": "2026-06-01T11:30",
        "what_happened": "Wrong cake",
        "root_cause": "order-error",
        "resolved_at": "2026-06-01T12:15",
        "prevention": "Read the order back",
    }
    page = client.get(f"/staff/cases/{case_id}")
    assert "Wrong order" in page.text and "Complete the entry" not in page.text  # closed: nothing left to do
    assert "<dd>Jun 1, 2026, 12:15\u202fPM</dd>" in page.text  # a datetime answer as the language writes it


def test_the_pages_speak_the_chosen_language(client: TestClient) -> None:
    detractor(client, "jelgava")
    sign_in(client, "anna@saulite.example")
    inbox = client.get("/staff/cases/?lang=lv&show=all")
    assert '<html lang="lv">' in inbox.text and "<h1>Gadījumi</h1>" in inbox.text
    assert 'href="/staff/cases/?show=all&amp;lang=en"' in inbox.text  # the language links keep the filters
    assert 'aria-current="page">Gadījumi</a>' in inbox.text


def test_a_customers_answers_are_never_completed_by_staff(client: TestClient, project: Path, store_url: str) -> None:
    detractor(client, "jelgava")
    sign_in(client, "anna@saulite.example")
    [case_id] = case_ids(client.get("/staff/cases/"))
    page = client.get(f"/staff/cases/{case_id}")
    assert "Complete the entry" not in page.text
    answer = client.post(f"/staff/cases/{case_id}/entry", data={"csrf": token_of(page), "satisfaction": "5"})
    assert answer.status_code == 409
    with ResponseStore.open(store_url, project) as store:
        assert "satisfaction" not in store.cases.answers_of(store.cases.get(case_id))
