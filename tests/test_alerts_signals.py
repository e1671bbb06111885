"""Control-chart signals become alerts once: a build queues a new signal, a second build of the same data nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from alert_fixtures import SECRET, SECRET_VARIABLE, Inbox, Receiver, configure_alerts
from test_scorecard_control import AS_OF, scores_by_month, store_scores

from sitegen.alerts.sender import AlertSender
from sitegen.alerts.signals import new_signals
from sitegen.build import build_project
from sitegen.site import load_site
from sitegen.store import ResponseStore
from sitegen.store.outbox import Outbox

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def signal_rules(smtp_port: int, webhook_url: str) -> str:
    return f"""\
alerts:
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, sender: alerts@saulite.example}}
  rules:
    - on: signal
      scorecard: customer-experience
      email: [{{address: owner@saulite.example, lang: en}}]
      webhook: {{url: '{webhook_url}', secret_env: {SECRET_VARIABLE}, format: slack}}
"""


@pytest.fixture
def improved(minimal_project: Path, smtp_inbox: Inbox, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    """16 stable months, then a May far above the limits; alerts on the scorecard's signals."""
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    store_scores(minimal_project, scores_by_month([10] * 40))
    return configure_alerts(minimal_project, signal_rules(smtp_inbox.port, receiver.url))


def test_a_new_signal_is_queued_once_however_often_the_same_data_is_built(improved: Path) -> None:
    assert build_project(improved, as_of=AS_OF).signals_queued == 1
    assert build_project(improved, as_of=AS_OF).signals_queued == 0
    with ResponseStore.open("sqlite:///data/responses.sqlite3", improved) as store:
        [event] = Outbox(store.engine).events()
    assert event.key == "signal:customer-experience:nps:2026-05:up:beyond_limits"
    assert event.payload["value"] == 100.0 and event.payload["n"] == 40
    assert event.payload["upper"] is not None and event.payload["upper"] < 100


def test_a_signal_alert_reaches_slack_style_webhooks_and_e_mail(
    improved: Path, smtp_inbox: Inbox, receiver: Receiver
) -> None:
    build_project(improved, as_of=AS_OF)
    with ResponseStore.open("sqlite:///data/responses.sqlite3", improved) as store:
        sender = AlertSender(load_site(improved), Outbox(store.engine))
        assert sender.send_due().delivered == 2
        sender.close()
    [accepted] = receiver.accepted
    assert list(accepted["body"]) == ["text"]
    assert accepted["body"]["text"] == (
        "Klientu pieredze: Neto ieteikšanas indekss (NPS) signalizē pārmaiņas uz labo pusi periodā 2026-05\n"
        "https://collect.saulite.example/intranet/lv/scorecards/customer-experience/"
    )
    [message] = smtp_inbox.wait_for(1)
    assert str(message["Subject"]) == "Customer experience: Net Promoter Score signals better in 2026-05"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "2026-05 is above the range ordinary variation gives" in text and "Value: 100 (n = 40)" in text


def document(*periods: dict[str, Any]) -> dict[str, bytes]:
    scorecard = {
        "id": "cx",
        "latest_complete": "2026-05",
        "metrics": [{"id": "nps", "kind": "nps", "control": {"chart": "xbar"}, "periods": list(periods)}],
    }
    return {"intranet/scorecards/cx/scorecard.json": json.dumps(scorecard).encode()}


UP = {"direction": "up", "rule": "run_of_8"}


def test_a_run_that_goes_on_is_told_once() -> None:
    started = document(
        {"period": "2026-04", "value": 1, "signal": None}, {"period": "2026-05", "value": 2, "signal": UP}
    )
    going_on = document(
        {"period": "2026-04", "value": 1, "signal": UP}, {"period": "2026-05", "value": 2, "signal": UP}
    )
    assert [event.key for event in new_signals(started, NOW)] == ["signal:cx:nps:2026-05:up:run_of_8"]
    assert list(new_signals(going_on, NOW)) == []


def test_a_hidden_or_pending_period_tells_nothing() -> None:
    hidden = document({"period": "2026-05", "value": None, "suppressed": True})
    pending = document({"period": "2026-05", "value": None, "partial": True, "pending": True})
    assert list(new_signals(hidden, NOW)) == [] and list(new_signals(pending, NOW)) == []
