"""Invitations end to end: `sitegen invite` e-mails personal links (aiosmtpd receives them), the collector takes one
answer per link, reminders go to those who have not answered, opt-outs get nothing, and the response rate counts
answers per invitation; an anonymous survey's store keeps nothing of a token."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from alert_fixtures import Inbox, configure_alerts
from babel.dates import format_date
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from scorecard_schema import assert_valid
from sqlalchemy import inspect, select
from starlette.testclient import TestClient

from sitegen import intervals
from sitegen.cli import main
from sitegen.collector.app import create_app
from sitegen.invitations.tokens import InvitationKey, token_lookup
from sitegen.scorecards import compute_scorecards, scorecard_json
from sitegen.site import load_site
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.invitations import Invitation
from sitegen.store.schema import metadata

SECRET = "a-test-secret-that-is-long-enough-for-hmac-0123"
KEY = InvitationKey(SECRET.encode())
STORE = "sqlite:///responses.sqlite3"
CLOSES = dt.date(2030, 12, 31)
TEAM_SURVEY = """\
id: team-pulse
title: {lv: Komandas pulss, en: Team pulse}
audience: employee
closes: 2030-12-31
invitation_only: true
hidden: {location: [riga-centre, jelgava], team: [kitchen, hall]}
questions:
  - id: mood
    type: rating
    points: 5
    required: true
    label: {lv: "Kā jūtaties darbā?", en: "How do you feel at work?"}
"""
INVITEES = """\
email,language,location,team
Anna@Saulite.example,lv,riga-centre,kitchen
juris@saulite.example,en,jelgava,hall
"""
LINK = re.compile(r"https://collect\.saulite\.example/i/([A-Za-z0-9_-]{22})")


@pytest.fixture
def project(minimal_project: Path, smtp_inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITEGEN_SECRET", SECRET)
    smtp = (
        f"alerts:\n  smtp: {{host: 127.0.0.1, port: {smtp_inbox.port}, security: none, sender: hr@saulite.example}}\n"
    )
    configure_alerts(minimal_project, f"store: {STORE}\n{smtp}")
    (minimal_project / "surveys/team-pulse.yaml").write_text(TEAM_SURVEY, encoding="utf-8")
    (minimal_project / "invitees.csv").write_text(INVITEES, encoding="utf-8")
    return minimal_project


def invite(project: Path, *arguments: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(project), "invite", *arguments])


@pytest.fixture
def client(project: Path) -> Iterator[TestClient]:
    app = create_app(project, clock=lambda: dt.datetime.now(dt.UTC))
    with TestClient(app, follow_redirects=False, headers={"accept-language": "en"}) as test_client:
        yield test_client


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def answer(client: TestClient, token: str | None, survey: str = "team-pulse", lang: str = "en") -> httpx.Response:
    pairs = [("mood", "4"), ("lang", lang), *([("_invitation", token)] if token else [])]
    return client.post(
        f"/s/{survey}", content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def test_invitations_arrive_in_each_language_with_the_link_the_deadline_and_an_unsubscribe(
    project: Path, smtp_inbox: Inbox
) -> None:
    result = invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    assert result.exit_code == 0, result.output
    assert "Sent 2 invitations for team-pulse." in result.output
    by_address = {str(message["To"]): message for message in smtp_inbox.wait_for(2)}
    latvian, english = by_address["anna@saulite.example"], by_address["juris@saulite.example"]
    assert str(latvian["Subject"]) == "Lūdzu, atbildiet: Komandas pulss"
    assert str(english["Subject"]) == "Please answer: Team pulse"
    assert "Please answer by December 31, 2030." in plain(english)
    assert f"Lūdzu, atbildiet līdz {format_date(CLOSES, format='long', locale='lv')}." in plain(latvian)
    assert "The survey is anonymous" in plain(english)
    for address, message in by_address.items():
        token = KEY.token("team-pulse", address)
        assert LINK.findall(plain(message)) == [token]
        assert f"https://collect.saulite.example/i/{token}" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert message["List-Unsubscribe"] == f"<https://collect.saulite.example/u/{token}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    again = invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    assert "Sent 0 invitations" in again.output and len(smtp_inbox.messages) == 2  # no one is invited twice


def test_the_personal_link_opens_the_form_and_a_token_used_twice_is_refused(
    project: Path, client: TestClient, smtp_inbox: Inbox
) -> None:
    invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    token = KEY.token("team-pulse", "juris@saulite.example")
    page = client.get(f"/i/{token}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    assert f'<input type="hidden" name="_invitation" value="{token}">' in page.text
    assert 'lang="en"' in page.text and "How do you feel at work?" in page.text
    thanks = answer(client, token)
    assert thanks.status_code == 200 and thanks.headers["cache-control"] == "no-store" and "Thank you!" in thanks.text
    second = answer(client, token)
    assert second.status_code == 409 and "You have already answered this survey." in second.text
    assert client.get(f"/i/{token}").status_code == 409
    latvian = answer(client, KEY.token("team-pulse", "anna@saulite.example"), lang="lv")
    assert latvian.status_code == 200
    again_in_latvian = answer(client, KEY.token("team-pulse", "anna@saulite.example"), lang="lv")
    assert again_in_latvian.status_code == 409 and "Jūs jau esat atbildējuši uz šo aptauju." in again_in_latvian.text


def test_an_invitation_only_survey_refuses_posts_without_a_valid_token(project: Path, client: TestClient) -> None:
    invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    without = answer(client, None)
    assert without.status_code == 403 and "This survey is answered by invitation." in without.text
    forged = answer(client, "A" * 22)
    assert forged.status_code == 403 and "This invitation link is not valid." in forged.text
    pairs = [("recommend", "9"), ("lang", "en"), ("_invitation", KEY.token("team-pulse", "juris@saulite.example"))]
    other_survey = client.post(
        "/s/after-visit", content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert other_survey.status_code == 403, other_survey.text  # a token opens only its own survey
    assert client.get("/i/not-a-token").status_code == 404
    json_answer = client.post("/s/team-pulse", json={"lang": "en", "answers": {"mood": 3}})
    assert json_answer.status_code == 403, json_answer.text


def test_no_stored_row_of_an_anonymous_survey_holds_the_token_or_its_hashes(project: Path, store_url: str) -> None:
    """On SQLite and PostgreSQL: the answer row has nothing of the invitation, and no row anywhere has the token."""
    config = project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(f"store: {STORE}", f"store: {store_url}"))
    assert invite(project, "team-pulse", "--to", str(project / "invitees.csv")).exit_code == 0
    token = KEY.token("team-pulse", "juris@saulite.example")
    with TestClient(create_app(project, clock=lambda: dt.datetime.now(dt.UTC)), follow_redirects=False) as client:
        assert answer(client, token).status_code == 200
    raw = base64.urlsafe_b64decode(token + "==")
    forms = {
        token,
        token_lookup(token),
        raw.hex(),
        hashlib.sha256(token.encode()).hexdigest(),
        hashlib.sha256(raw).hexdigest(),
    }
    with ResponseStore.open(store_url, project) as store, store.engine.connect() as connection:
        assert set(metadata.tables) <= set(inspect(connection).get_table_names())
        everything = {
            name: [repr(tuple(row)) for row in connection.execute(select(metadata.tables[name]))]
            for name in metadata.tables
        }
        [kept] = list(store.responses("team-pulse"))
    assert kept.meta == {} and kept.answers == {"mood": 4}  # no segment of the invitation reaches the answer
    for name, rows in everything.items():
        for row in rows:
            assert token not in row, (name, row)
            if name != "invitations":  # the invitation's own key is its lookup: nowhere else is any form of it
                assert not any(form in row for form in forms), (name, row)
            if name == "anonymous_responses":
                assert "juris" not in row and "jelgava" not in row and "hall" not in row
    invitation_rows = [row for row in everything["invitations"] if "juris" in row]
    assert len(invitation_rows) == 1 and "True" in invitation_rows[0]  # who answered, not what or when


def test_on_a_survey_that_is_not_anonymous_the_invitation_tags_the_answer_with_its_segment(
    project: Path, client: TestClient
) -> None:
    (project / "customers.csv").write_text("email,language,location\nguest@example.com,en,jelgava\n")
    assert invite(project, "after-visit", "--to", str(project / "customers.csv")).exit_code == 0
    token = KEY.token("after-visit", "guest@example.com")
    pairs = [("recommend", "9"), ("lang", "en"), ("_invitation", token)]
    posted = client.post(
        "/s/after-visit", content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert posted.status_code == 200
    with ResponseStore.open(STORE, project) as store:
        [kept] = list(store.responses("after-visit"))
    assert kept.meta["location"] == "jelgava"
    assert token not in repr(kept) and token_lookup(token) not in repr(kept)


def test_a_reminder_goes_only_to_those_who_have_not_answered_once_a_day(
    project: Path, client: TestClient, smtp_inbox: Inbox
) -> None:
    invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    assert answer(client, KEY.token("team-pulse", "anna@saulite.example"), lang="lv").status_code == 200
    result = invite(project, "team-pulse", "--remind")
    assert result.exit_code == 0 and "Sent 1 reminder for team-pulse." in result.output, result.output
    reminder = smtp_inbox.wait_for(3)[2]
    assert str(reminder["To"]) == "juris@saulite.example" and str(reminder["Subject"]) == "Reminder: Team pulse"
    assert "We have not received your answers yet." in plain(reminder)
    assert LINK.findall(plain(reminder)) == [KEY.token("team-pulse", "juris@saulite.example")]
    assert "Please answer by December 31, 2030." in plain(reminder)
    assert "Sent 0 reminders" in invite(project, "team-pulse", "--remind").output  # the same day: no second one
    assert len(smtp_inbox.messages) == 3


def test_bounced_and_unsubscribed_addresses_receive_nothing_from_any_survey(
    project: Path, client: TestClient, smtp_inbox: Inbox
) -> None:
    invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    token = KEY.token("team-pulse", "juris@saulite.example")
    confirm = client.get(f"/u/{token}")
    assert confirm.status_code == 200 and f'action="/u/{token}"' in confirm.text
    one_click = client.post(
        f"/u/{token}",
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "You are unsubscribed." in one_click.text
    (project / "bounced.txt").write_text("\nANNA@saulite.example\n", encoding="utf-8")
    marked = invite(project, "--bounced", str(project / "bounced.txt"))
    assert marked.exit_code == 0 and "Marked 1 new bounced address;" in marked.output, marked.output
    assert "Sent 0 reminders" in invite(project, "team-pulse", "--remind").output
    (project / "customers.csv").write_text(INVITEES.replace(",team", "").replace(",kitchen", "").replace(",hall", ""))
    assert "Sent 0 invitations" in invite(project, "after-visit", "--to", str(project / "customers.csv")).output
    assert len(smtp_inbox.messages) == 2  # the first invitations only


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        ("email,language,shift\na@example.com,lv,early\n", "invitees.csv:1:1: shift: 'shift' is no hidden field"),
        ("email,language\na@example.com,lv\nnot-an-address,lv\n", "invitees.csv:3:1: email: 'not-an-address'"),
        ("email,language\na@example.com,de\n", "invitees.csv:2:1: language: 'de' is not a language of the site"),
        ("email,language,location\na@example.com,lv,ogre\n", "invitees.csv:2:1: location: 'ogre' is not one of"),
        ("email,language\na@example.com,lv\n\nA@example.com,en\n", "invitees.csv:4:1: email: a@example.com is invited"),
        ("language\n", "invitees.csv:1:1: email: no column 'email'"),
    ],
)
def test_a_bad_invitee_list_is_refused_with_its_file_and_line(
    project: Path, smtp_inbox: Inbox, contents: str, expected: str
) -> None:
    (project / "invitees.csv").write_text(contents, encoding="utf-8")
    result = invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    assert result.exit_code == 1 and expected in result.output, result.output
    assert "Traceback" not in result.output and smtp_inbox.messages == []


def test_a_list_that_is_not_utf_8_is_refused_at_its_line(project: Path, smtp_inbox: Inbox) -> None:
    (project / "invitees.csv").write_bytes(b"email,language\na@example.com,lv\nb\xe9@example.com,lv\n")
    result = invite(project, "team-pulse", "--to", str(project / "invitees.csv"))
    assert result.exit_code == 1 and "invitees.csv:3:1: not UTF-8 text" in result.output, result.output


def test_invite_needs_the_site_secret(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITEGEN_SECRET")
    result = invite(project, "team-pulse", "--remind")
    assert result.exit_code == 1 and "SITEGEN_SECRET is not set" in result.output and "Traceback" not in result.output


def test_invite_needs_a_survey_that_exists_and_one_thing_to_do(project: Path) -> None:
    assert "no survey 'staff'" in invite(project, "staff", "--remind").output
    assert invite(project, "team-pulse").exit_code == 2


RATE_SCORECARD = """\
id: customer-experience
title: {lv: Pieredze, en: Experience}
metrics:
  - {id: nps, kind: nps, survey: after-visit, question: recommend}
  - {id: rate, kind: response_rate, survey: team-pulse, segments: [location]}
"""


def rate_figures(project: Path) -> Any:
    """Worked example: 20 invited at riga-centre and 8 at jelgava on 1 April; 12 and 6 answered in April. As of
    31 May, April is a complete period (a running one of an anonymous survey is not shown yet)."""
    (project / "content/scorecards/customer-experience.yaml").write_text(RATE_SCORECARD, encoding="utf-8")
    places = ["riga-centre"] * 20 + ["jelgava"] * 8
    emails = [f"p{n}@example.com" for n in range(len(places))]
    rows = [
        Invitation(token_lookup(KEY.token("team-pulse", email)), "team-pulse", email, "lv", {"location": place})
        for email, place in zip(emails, places, strict=True)
    ]
    day = dt.datetime(2026, 4, 15, tzinfo=dt.UTC)
    answers = [
        StoredResponse(f"r{n}", "team-pulse", "v", day, "lv", {"location": place}, {"mood": 4}, is_anonymous=True)
        for n, place in enumerate(["riga-centre"] * 12 + ["jelgava"] * 6)
    ]
    with ResponseStore.open(STORE, project) as store:
        store.invitations.record(rows)
        for row in rows:
            store.invitations.mark_sent(row.lookup, dt.date(2026, 4, 1))
        store.add(answers)
    return compute_scorecards(load_site(project), dt.date(2026, 5, 31))["customer-experience"]


def test_the_response_rate_divides_answers_by_invitations_sent_per_segment(project: Path) -> None:
    """Overall 18 / 28 = 64.3 %; riga-centre 12 / 20 = 60 % with the Wilson interval of 12 of 20, jelgava 6 / 8."""
    figures = rate_figures(project)
    document = json.loads(scorecard_json(figures, "Experience"))
    assert_valid(document)
    assert "data" not in document["metrics"][1]
    rate = figures.metric("rate")
    assert rate is not None
    overall = rate.overall
    assert (overall.value, overall.n, overall.extra["responses"]) == (pytest.approx(100 * 18 / 28), 28, 18)
    by_location = {cell.key: cell for cell in rate.segments["location"]}
    riga = by_location["riga-centre"]
    assert (riga.value, riga.n) == (pytest.approx(60.0), 20)
    assert (riga.low, riga.high) == pytest.approx(intervals.share_interval(12, 20))
    assert (by_location["jelgava"].value, by_location["jelgava"].n) == (pytest.approx(75.0), 8)


def test_the_response_rate_of_a_small_group_is_suppressed_with_its_complement(project: Path) -> None:
    """With groups of at least 7, jelgava's 6 answers are too few; riga-centre would give them away (18 - 12)."""
    config = project / "sitegen.yaml"
    config.write_text(config.read_text().replace("min_group_size: 5", "min_group_size: 7"), encoding="utf-8")
    rate = rate_figures(project).metric("rate")
    assert rate is not None and rate.overall.value == pytest.approx(100 * 18 / 28)
    by_location = {cell.key: cell for cell in rate.segments["location"]}
    assert by_location["jelgava"].suppressed and by_location["riga-centre"].suppressed
    assert by_location["jelgava"].value is None and by_location["riga-centre"].value is None


def test_the_live_preview_opens_a_personal_link_too(project: Path) -> None:
    from sitegen.serve import create_preview_app

    email = "juris@saulite.example"
    invitation = Invitation(token_lookup(KEY.token("team-pulse", email)), "team-pulse", email, "en", {})
    with ResponseStore.open(STORE, project) as store:
        store.invitations.record([invitation])
    token = KEY.token("team-pulse", email)
    app = create_preview_app(project, report=lambda _: None, host="127.0.0.1")
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as preview:
        page = preview.get(f"/i/{token}")
    assert page.status_code == 200 and f'name="_invitation" value="{token}"' in page.text


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_an_invitee_list_gives_invitees_or_errors_with_lines(contents: str) -> None:
    from sitegen.errors import ProjectInvalid
    from sitegen.invitations.roster import read_invitees
    from sitegen.models.survey import Survey

    survey = Survey.model_validate(yaml.safe_load(TEAM_SURVEY))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invitees.csv"
        path.write_text("email,language,location\n" + contents, encoding="utf-8")
        try:
            invitees = read_invitees(path, "invitees.csv", survey, ["lv", "en"])
        except ProjectInvalid as invalid:
            assert invalid.errors and all(error.line >= 1 for error in invalid.errors)
        else:
            assert all(invitee.lang in ("lv", "en") and "@" in invitee.email for invitee in invitees)
