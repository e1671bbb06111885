"""Alerts: queued in the outbox with the case, delivered by e-mail (aiosmtpd) and signed webhooks, retried with
backoff, never twice once delivered, never in the way of a submission; their rules checked with positions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from alert_fixtures import SECRET, SECRET_VARIABLE, Inbox, Receiver, configure_alerts, free_port
from click.testing import CliRunner
from test_collector import CONTACT, VALID_FORM, client_for, post_form, with_follow_up

from sitegen.alerts.sender import LEASE, AlertSender
from sitegen.alerts.webhooks import message_id
from sitegen.cases.model import CaseOpening
from sitegen.cli import main
from sitegen.errors import ProjectInvalid
from sitegen.site import load_site
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.outbox import Outbox, QueuedEvent

MOMENT = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)  # 10:00 in Riga


def case_rules(smtp_port: int, webhook_url: str, *, backoff_s: float = 60, attempts: int = 8) -> str:
    return f"""\
alerts:
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, sender: alerts@saulite.example, sender_name: Saulīte}}
  backoff_s: {backoff_s}
  attempts: {attempts}
  poll_s: 0.05
  rules:
    - on: case_opened
      survey: after-visit
      email: [owner@saulite.example, {{address: anna@saulite.example, lang: en}}]
      webhook: {{url: '{webhook_url}', secret_env: {SECRET_VARIABLE}}}
"""


@pytest.fixture
def project(minimal_project: Path, smtp_inbox: Inbox, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    return configure_alerts(minimal_project, case_rules(smtp_inbox.port, receiver.url))


def open_case(project: Path, response_id: str = "rid-1", at: dt.datetime = MOMENT) -> str:
    """Store a response that opens a case, as the collector does where a rule listens; the case's id."""
    summary = {"score": 3, "comment": "Cold coffee", "location": "riga-centre", "language": "lv"}
    due = at + dt.timedelta(hours=48)
    opening = CaseOpening("riga-centre", "lv", summary, "guest@example.com", at, due, is_alerted=True)
    response = StoredResponse(
        response_id, "after-visit", "v", at, "lv", {"location": "riga-centre"}, {"recommend": 3}, opens_case=opening
    )
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        store.add([response])
        case = store.cases.for_response(response_id)
    assert case is not None
    return case.id


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def sender_for(project: Path, clock: Clock) -> tuple[AlertSender, ResponseStore]:
    store = ResponseStore.open("sqlite:///data/responses.sqlite3", project)
    return AlertSender(load_site(project), Outbox(store.engine), clock), store


def test_a_case_opening_queues_one_alert_in_its_transaction_without_the_contact(project: Path) -> None:
    case_id = open_case(project)
    open_case(project)  # the same response posted again opens no case and queues nothing
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        [event] = Outbox(store.engine).events()
    assert event.key == f"case:{case_id}" and event.event == "case_opened" and event.subject == "after-visit"
    assert event.payload == {
        "case": case_id,
        "survey": "after-visit",
        "location": "riga-centre",
        "score": 3,
        "opened_at": "2026-05-04T07:00:00+00:00",
        "due_at": "2026-05-06T07:00:00+00:00",
    }


def test_e_mails_go_to_each_recipient_in_their_language_with_both_parts(project: Path, smtp_inbox: Inbox) -> None:
    case_id = open_case(project)
    sender, store = sender_for(project, Clock(MOMENT))
    with store:
        report = sender.send_due()
        sender.close()
    assert report.delivered == 3 and report.failed == 0
    by_address = {str(message["To"]): message for message in smtp_inbox.wait_for(2)}
    assert sorted(by_address) == ["anna@saulite.example", "owner@saulite.example"]
    assert smtp_inbox.recipients == [["owner@saulite.example"], ["anna@saulite.example"]]
    latvian, english = by_address["owner@saulite.example"], by_address["anna@saulite.example"]
    assert str(latvian["Subject"]) == "Jauns gadījums: Kā mums gāja?, riga-centre"
    assert str(english["Subject"]) == "New case: How did we do?, riga-centre"
    assert str(english["From"]) == "Saulīte <alerts@saulite.example>"
    for message in (latvian, english):
        assert message.get_content_type() == "multipart/alternative"
        plain, html = (part.get_content_type() for part in message.iter_parts())
        assert (plain, html) == ("text/plain", "text/html")
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"https://collect.saulite.example/staff/cases/{case_id}" in text
        assert "guest@example.com" not in message.as_string() and "Cold coffee" not in message.as_string()
    assert "Jāatrisina līdz:" in latvian.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html_part = english.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'<a href="https://collect.saulite.example/staff/cases/{case_id}">' in html_part
    assert "Due by:</th><td>May 6, 2026, 10:00\u202fAM<" in html_part  # the site's timezone, Europe/Riga


def test_a_failing_webhook_is_retried_with_doubling_waits_and_delivered_once(
    project: Path, receiver: Receiver, smtp_inbox: Inbox
) -> None:
    receiver.fail_first = 2
    case_id = open_case(project)
    clock = Clock(MOMENT)
    sender, store = sender_for(project, clock)
    with store:
        first = sender.send_due()
        assert (first.delivered, first.failed, len(receiver.attempts)) == (2, 1, 1)  # both e-mails; the hook 503
        assert sender.send_due().failed == 0 and len(receiver.attempts) == 1  # not due again yet
        clock.now = MOMENT + dt.timedelta(seconds=59)
        sender.send_due()
        assert len(receiver.attempts) == 1
        clock.now = MOMENT + dt.timedelta(seconds=60)  # backoff_s
        assert sender.send_due().failed == 1 and len(receiver.attempts) == 2
        clock.now += dt.timedelta(seconds=119)
        sender.send_due()
        assert len(receiver.attempts) == 2
        clock.now += dt.timedelta(seconds=1)  # twice the first wait
        assert sender.send_due().delivered == 1 and len(receiver.attempts) == 3
        clock.now += dt.timedelta(days=1)
        assert sender.send_due() == type(first)()  # settled: nothing more is tried
        assert Outbox(store.engine).pending() == []
        sender.close()
    assert len(smtp_inbox.messages) == 2 and receiver.refused_signatures == 0
    [accepted] = receiver.accepted
    ids = {attempt["webhook-id"] for attempt in receiver.attempts}
    assert ids == {message_id(f"case:{case_id}", receiver.url)}  # one id for every retry: receivers can drop repeats
    body = accepted["body"]
    assert body["type"] == "case.opened" and body["timestamp"] == "2026-05-04T07:00:00+00:00"
    assert body["data"]["link"] == f"https://collect.saulite.example/staff/cases/{case_id}"
    assert body["data"]["score"] == 3 and body["data"]["location"] == "riga-centre"
    assert "guest@example.com" not in str(body) and "Cold coffee" not in str(body)


def test_a_recipient_that_keeps_failing_is_given_up_after_the_attempts(
    minimal_project: Path, smtp_inbox: Inbox, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    project = configure_alerts(minimal_project, case_rules(smtp_inbox.port, receiver.url, backoff_s=1, attempts=3))
    receiver.fail_first = 99
    open_case(project)
    clock = Clock(MOMENT)
    sender, store = sender_for(project, clock)
    with store:
        reports = []
        for _ in range(5):
            reports.append(sender.send_due())
            clock.now += dt.timedelta(seconds=10)
        sender.close()
        [event] = Outbox(store.engine).events()
        delivery = Outbox(store.engine).deliveries(event.key)[f"webhook:{receiver.url}"]
    assert len(receiver.attempts) == 3 and [report.given_up for report in reports] == [0, 0, 1, 0, 0]
    assert delivery.given_up_at is not None and delivery.last_error.endswith("HTTP 503")


def test_a_sender_killed_after_claiming_loses_nothing_and_a_restart_sends_nothing_twice(
    project: Path, smtp_inbox: Inbox, receiver: Receiver
) -> None:
    case_id = open_case(project)
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        # A sender that claimed the webhook delivery and died before it could say how it went.
        assert Outbox(store.engine).claim(f"case:{case_id}", f"webhook:{receiver.url}", MOMENT, MOMENT + LEASE) == 0
    clock = Clock(MOMENT)
    sender, store = sender_for(project, clock)
    with store:
        assert sender.send_due().delivered == 2  # the e-mails; the claimed delivery is the dead sender's for now
        assert receiver.attempts == []
        sender.close()
    clock.now = MOMENT + LEASE  # restarted after the lease ran out
    restarted, store = sender_for(project, clock)
    with store:
        assert restarted.send_due().delivered == 1
        restarted.close()
    again, store = sender_for(project, Clock(MOMENT + dt.timedelta(hours=1)))
    with store:
        assert again.send_due().delivered == 0
        again.close()
    assert len(receiver.accepted) == 1 and len(smtp_inbox.messages) == 2


def test_a_sender_process_killed_in_the_middle_of_a_post_is_resumed_by_the_next(
    project: Path, smtp_inbox: Inbox, receiver: Receiver
) -> None:
    receiver.hold_first = True
    now = dt.datetime.now(dt.UTC)
    open_case(project, at=now)
    command = [sys.executable, "-m", "sitegen", "-C", str(project), "alerts", "send"]
    process = subprocess.Popen(command, env={**os.environ, SECRET_VARIABLE: SECRET}, stdout=subprocess.DEVNULL)
    try:
        assert receiver.arrived.wait(60), "the sender never posted"
    finally:
        process.kill()
        process.wait()
    receiver.release.set()
    assert len(smtp_inbox.messages) == 2  # delivered and marked before the webhook was tried
    restarted, store = sender_for(project, Clock(now + LEASE + dt.timedelta(minutes=1)))
    with store:
        assert restarted.send_due().delivered == 1
        assert Outbox(store.engine).pending() == []
        restarted.close()
    assert len(receiver.accepted) == 1 and len(smtp_inbox.messages) == 2


def test_an_alert_not_sent_before_it_expires_is_given_up_not_sent_late(
    project: Path, smtp_inbox: Inbox, receiver: Receiver
) -> None:
    open_case(project)
    sender, store = sender_for(project, Clock(MOMENT + dt.timedelta(hours=49)))
    with store:
        report = sender.send_due()
        sender.close()
    assert report.given_up == 3 and smtp_inbox.messages == [] and receiver.attempts == []


def test_the_outbox_keeps_an_event_once_and_lets_one_sender_claim_a_delivery(store: ResponseStore) -> None:
    outbox = Outbox(store.engine)
    event = QueuedEvent("signal:x:nps:2026-05:up:beyond_limits", "signal", "x", {"value": 1.5}, MOMENT)
    assert outbox.queue([event, dataclasses.replace(event, payload={"value": 2})]) == 1
    assert outbox.queue([event]) == 0
    assert outbox.pending() == [event]
    until = MOMENT + LEASE
    assert outbox.claim(event.key, "email:a@b.example", MOMENT, until) == 0
    assert outbox.claim(event.key, "email:a@b.example", MOMENT, until) is None  # taken by the first
    outbox.failed(event.key, "email:a@b.example", 1, "HTTP 503", MOMENT + dt.timedelta(seconds=30), give_up=False)
    assert outbox.claim(event.key, "email:a@b.example", MOMENT + dt.timedelta(seconds=29), until) is None
    assert outbox.claim(event.key, "email:a@b.example", MOMENT + dt.timedelta(seconds=30), until) == 1
    outbox.delivered(event.key, "email:a@b.example", 2, MOMENT)
    assert outbox.claim(event.key, "email:a@b.example", MOMENT + dt.timedelta(days=9), until) is None
    outbox.settle(event.key, MOMENT)
    assert outbox.pending() == []


def test_the_collector_sends_a_case_alert_from_its_background_sender(
    project: Path, smtp_inbox: Inbox, receiver: Receiver
) -> None:
    with client_for(with_follow_up(project)) as client:
        assert post_form(client, VALID_FORM + CONTACT).status_code == 303
        messages = smtp_inbox.wait_for(2)
    assert {str(message["To"]) for message in messages} == {"owner@saulite.example", "anna@saulite.example"}
    assert len(receiver.accepted) == 1 and receiver.accepted[0]["body"]["data"]["location"] == "jelgava"


def test_a_submission_is_stored_while_no_alert_can_be_sent(
    minimal_project: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    project = with_follow_up(configure_alerts(minimal_project, case_rules(free_port(), "http://127.0.0.1:9/none")))
    with client_for(project) as client:
        assert post_form(client, VALID_FORM + CONTACT).status_code == 303
    with ResponseStore.open("sqlite:///responses.sqlite3", project) as store:
        [event] = Outbox(store.engine).pending()
        assert event.event == "case_opened"


def test_alerts_send_names_the_missing_secret_at_its_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_VARIABLE)
    result = CliRunner().invoke(main, ["-C", str(project), "alerts", "send"])
    assert result.exit_code == 1
    assert (
        "sitegen.yaml:16:74: alerts.rules[0].webhook.secret_env: the environment variable "
        f"{SECRET_VARIABLE} is not set (or is empty)" in result.output
    )
    with pytest.raises(ProjectInvalid):
        sender_for(project, Clock(MOMENT))


def test_alerts_send_from_the_command_line_reports_what_it_delivered(project: Path, smtp_inbox: Inbox) -> None:
    open_case(project, at=dt.datetime.now(dt.UTC))
    result = CliRunner().invoke(main, ["-C", str(project), "alerts", "send"])
    assert result.exit_code == 0, result.output
    assert "Delivered 3 alerts; 0 failed" in result.output


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "    - {on: case_opened, survey: after-vist, email: [owner@saulite.example]}\n",
            "sitegen.yaml:9:33: alerts.rules[0].survey: no survey 'after-vist'. Did you mean 'after-visit'?",
        ),
        (
            "    - {on: signal, scorecard: nope, email: [owner@saulite.example]}\n",
            "sitegen.yaml:9:31: alerts.rules[0].scorecard: no scorecard 'nope'",
        ),
        (
            "    - {on: case_opened, email: [owner@@saulite]}\n",
            "sitegen.yaml:9:33: alerts.rules[0].email[0].address: 'owner@@saulite' is not an e-mail address",
        ),
        (
            "    - {on: case_opened, email: [{address: a@saulite.example, lang: ru}]}\n",
            "sitegen.yaml:9:68: alerts.rules[0].email[0].lang: 'ru' is not one of the site's languages (lv, en)",
        ),
        (
            "    - {on: case_opened, webhook: {url: 'https://hooks.example/x'}}\n",
            "sitegen.yaml:9:34: alerts.rules[0].webhook.secret_env: missing required key 'secret_env'",
        ),
        (
            "    - {on: case_opened}\n",
            "sitegen.yaml:9:7: alerts.rules[0]: give email, webhook or both: nobody would hear of it",
        ),
    ],
)
def test_alert_rules_are_checked_with_their_position(minimal_project: Path, rule: str, expected: str) -> None:
    config = minimal_project / "sitegen.yaml"
    smtp = "  smtp: {host: smtp.saulite.example, sender: alerts@saulite.example}\n"
    config.write_text(config.read_text(encoding="utf-8") + "alerts:\n" + smtp + "  rules:\n" + rule, encoding="utf-8")
    with pytest.raises(ProjectInvalid) as invalid:
        load_site(minimal_project)
    assert any(str(error).startswith(expected) for error in invalid.value.errors), invalid.value.errors


def test_e_mail_rules_need_an_smtp_server(minimal_project: Path) -> None:
    config = minimal_project / "sitegen.yaml"
    rule = "alerts:\n  rules:\n    - {on: case_opened, email: [owner@saulite.example]}\n"
    config.write_text(config.read_text(encoding="utf-8") + rule, encoding="utf-8")
    with pytest.raises(ProjectInvalid) as invalid:
        load_site(minimal_project)
    assert [str(error) for error in invalid.value.errors] == [
        "sitegen.yaml:8:32: alerts.rules[0].email: e-mail alerts need alerts.smtp: the server to send them through"
    ]


def test_alerts_list_shows_each_recipients_status_and_last_error(project: Path, receiver: Receiver) -> None:
    receiver.fail_first = 1
    case_id = open_case(project)
    sender, store = sender_for(project, Clock(MOMENT))
    with store:
        sender.send_due()
        sender.close()
    result = CliRunner().invoke(main, ["-C", str(project), "alerts", "list"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["queued", "alert", "recipient", "status", "tries", "last", "error"]
    assert lines[1] == ["2026-05-04T07:00:00+00:00", f"case:{case_id}", "email:anna@saulite.example", "delivered", "1"]
    assert lines[3][2:5] == [f"webhook:{receiver.url}", "waiting", "1"] and lines[3][-2:] == ["HTTP", "503"]


def test_e_mail_goes_over_starttls_and_logs_in_with_the_password_from_the_environment(
    minimal_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # the client trusts the test authority only
    monkeypatch.setenv("SITEGEN_TEST_SMTP_PASSWORD", "correct horse")
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth: object) -> AuthResult:
        assert isinstance(auth, LoginPassword)
        logins.append((auth.login, auth.password))
        return AuthResult(success=auth.password == b"correct horse")

    inbox = Inbox(free_port())
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=inbox.port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        config = (
            "alerts:\n"
            f"  smtp: {{host: 127.0.0.1, port: {inbox.port}, sender: alerts@saulite.example,\n"
            "         username: alerts, password_env: SITEGEN_TEST_SMTP_PASSWORD}\n"
            "  rules:\n    - {on: case_opened, email: [owner@saulite.example]}\n"
        )
        project = configure_alerts(minimal_project, config)
        open_case(project)
        sender, store = sender_for(project, Clock(MOMENT))
        with store:
            assert sender.send_due().delivered == 1
            sender.close()
    finally:
        controller.stop()
    assert logins == [(b"alerts", b"correct horse")]
    [message] = inbox.messages
    assert str(message["To"]) == "owner@saulite.example"


def test_only_a_case_that_a_rule_listens_for_is_queued(project: Path) -> None:
    rules = load_site(project).config.model.alerts
    assert rules.hears_cases_of("after-visit") and not rules.hears_cases_of("complaint-log")
    summary = {"score": 3, "location": "riga-centre", "language": "lv"}
    quiet = CaseOpening("riga-centre", "lv", summary, "guest@example.com", MOMENT, MOMENT + dt.timedelta(hours=48))
    response = StoredResponse(
        "rid-quiet", "after-visit", "v", MOMENT, "lv", {"location": "riga-centre"}, {"recommend": 3}, opens_case=quiet
    )
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        store.add([response])
        assert store.cases.for_response("rid-quiet") is not None and Outbox(store.engine).events() == []
