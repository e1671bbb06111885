"""The weekly digest: the built scorecards' figures per recipient in their language, the same bytes for the same
inputs and --as-of, sent through SMTP with --send."""

from __future__ import annotations

from pathlib import Path

import pytest
from alert_fixtures import Inbox
from click.testing import CliRunner
from test_scorecard_control import AS_OF, scores_by_month, store_scores

from sitegen.alerts.digest import digest_mails
from sitegen.build import build_project
from sitegen.cli import main
from sitegen.site import load_site


@pytest.fixture
def project(minimal_project: Path, smtp_inbox: Inbox) -> Path:
    store_scores(minimal_project, scores_by_month([10] * 40))
    config = minimal_project / "sitegen.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"""\
intranet_url: https://intranet.saulite.example
alerts:
  smtp: {{host: 127.0.0.1, port: {smtp_inbox.port}, security: none, sender: alerts@saulite.example}}
  digest:
    to: [owner@saulite.example, {{address: anna@saulite.example, lang: en}}]
""",
        encoding="utf-8",
    )
    return minimal_project


def test_each_recipient_gets_the_figures_in_their_language(project: Path) -> None:
    build_project(project, as_of=AS_OF)
    latvian, english = digest_mails(load_site(project), AS_OF)
    assert (latvian.recipient.address, latvian.recipient.lang) == ("owner@saulite.example", "lv")
    assert latvian.message.subject == "Kafejnīca Saulīte: nedēļas rādītāji līdz 2026. gada 1. jūnijs"
    assert english.message.subject == "Café Saulite: the figures of the week to June 1, 2026"
    assert "- Net Promoter Score: 100 (n = 40); Target met; Improving\n" in english.message.text
    assert "https://intranet.saulite.example/en/scorecards/customer-experience/" in english.message.text
    assert "<h2>Klientu pieredze (2026-05)</h2>" in latvian.message.html
    assert '<html lang="lv">' in latvian.message.html


def test_the_digest_is_the_same_bytes_for_the_same_inputs_and_day(project: Path, tmp_path: Path) -> None:
    build_project(project, as_of=AS_OF)
    runner = CliRunner()
    for folder in ("first", "second"):
        result = runner.invoke(
            main, ["-C", str(project), "digest", "--as-of", "2026-06-01", "--output", str(tmp_path / folder)]
        )
        assert result.exit_code == 0, result.output
    names = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert names == [
        "anna@saulite.example.html",
        "anna@saulite.example.txt",
        "owner@saulite.example.html",
        "owner@saulite.example.txt",
    ]
    assert all((tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes() for name in names)


def test_digest_send_e_mails_each_recipient_with_both_parts(project: Path, smtp_inbox: Inbox) -> None:
    build_project(project, as_of=AS_OF)
    result = CliRunner().invoke(main, ["-C", str(project), "digest", "--send", "--as-of", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "Sent the digest to 2 recipients." in result.output
    messages = smtp_inbox.wait_for(2)
    assert [str(message["To"]) for message in messages] == ["owner@saulite.example", "anna@saulite.example"]
    assert str(messages[1]["Subject"]) == "Café Saulite: the figures of the week to June 1, 2026"
    for message in messages:
        assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_a_digest_before_any_build_says_to_build_first(project: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(project), "digest"])
    assert result.exit_code == 1
    assert "scorecard.json: run 'sitegen build' first" in result.output
