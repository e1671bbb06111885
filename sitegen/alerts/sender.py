"""Deliver the outbox: each queued event to each recipient the rules name, with retries and exponential backoff.

A delivery is claimed before it is tried (`Outbox.claim`) and marked delivered as soon as the recipient took it, so
a sender killed mid-way leaves nothing lost (an unmarked claim is due again once its lease ends) and sends nothing
twice that was marked. `sitegen collect` runs one in a background thread (`SenderThread`); `sitegen alerts send`
runs one pass for cron. Secrets are read when the sender is made: a missing one is reported at its line of
sitegen.yaml before anything is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from standardwebhooks import Webhook as Signer

from sitegen.alerts.mail import DeliveryFailed, email_message, send_email
from sitegen.alerts.messages import alert_message, template_environment, webhook_body
from sitegen.alerts.rules import AlertRecipient, EmailRecipient, WebhookRecipient, recipients_for, secret
from sitegen.alerts.webhooks import message_id, post_webhook, signer
from sitegen.errors import ProjectInvalid
from sitegen.site import Site
from sitegen.store.outbox import Delivery, Outbox, QueuedEvent

LEASE = dt.timedelta(minutes=5)
"""How long a claimed delivery is this sender's: past it (the sender died) another may try it."""
LOG = logging.getLogger("sitegen.alerts")
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SendReport:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0
    given_up: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"Delivered {self.delivered} alerts; {self.failed} failed (tried again later), {self.given_up} given up."


class AlertSender:
    """Sends a site's alerts from a store's outbox."""

    def __init__(self, site: Site, outbox: Outbox, clock: Clock = utc_now, client: httpx.Client | None = None) -> None:
        self._site = site
        self._outbox = outbox
        self._clock = clock
        self._client = client or httpx.Client()
        self._environment = template_environment(site)
        self._smtp_password, self._signers = _secrets(site)

    def close(self) -> None:
        self._client.close()

    def send_due(self) -> SendReport:
        """One pass over the pending events: try every delivery that is due, settle every event that is done."""
        report = SendReport()
        alerts = self._site.config.model.alerts
        for event in self._outbox.pending():
            now = self._clock()
            recipients = recipients_for(alerts, event.event, event.subject, self._site.default_language)
            done = self._outbox.deliveries(event.key)
            waiting = [person for person in recipients if person.key not in done or not done[person.key].is_done]
            is_expired = event.created_at + dt.timedelta(hours=alerts.expire_hours) < now
            for person in waiting:
                attempts = self._outbox.claim(event.key, person.key, now, now + LEASE)
                if attempts is None:
                    continue
                if is_expired:
                    self._outbox.failed(event.key, person.key, attempts, "expired before it could be sent", now, True)
                    report.given_up += 1
                    continue
                self._try(event, person, attempts, report)
            after = self._outbox.deliveries(event.key)
            if all(person.key in after and after[person.key].is_done for person in recipients):
                self._outbox.settle(event.key, self._clock())
        return report

    def _try(self, event: QueuedEvent, person: AlertRecipient, attempts: int, report: SendReport) -> None:
        alerts = self._site.config.model.alerts
        tries = attempts + 1
        try:
            CHANNEL_KINDS[type(person)](self, event, person)
        except DeliveryFailed as failure:
            now = self._clock()
            give_up = tries >= alerts.attempts
            retry_at = now + dt.timedelta(seconds=alerts.backoff_s * 2 ** (tries - 1))
            self._outbox.failed(event.key, person.key, tries, str(failure), now if give_up else retry_at, give_up)
            report.given_up += give_up
            report.failed += not give_up
            report.errors.append(f"{event.key} to {person.key}: {failure}")
            LOG.warning("alert %s to %s failed (try %d): %s", event.key, person.key, tries, failure)
            return
        self._outbox.delivered(event.key, person.key, tries, self._clock())
        report.delivered += 1

    def _email(self, event: QueuedEvent, person: AlertRecipient) -> None:
        assert isinstance(person, EmailRecipient)
        smtp = self._site.config.model.alerts.smtp
        assert smtp is not None  # check_alerts refuses e-mail rules without a server
        message = alert_message(self._site, self._environment, event, person.lang)
        send_email(smtp, self._smtp_password, email_message(smtp, person.address, message, self._clock()))

    def _webhook(self, event: QueuedEvent, person: AlertRecipient) -> None:
        assert isinstance(person, WebhookRecipient)
        hook = person.webhook
        body = webhook_body(self._site, event, hook.format)
        sign = self._signers[hook.secret_env]
        # Signed at the real time, whatever the scheduling clock says: receivers refuse a stale timestamp.
        post_webhook(self._client, hook.url, sign, message_id(event.key, hook.url), body, utc_now())


CHANNEL_KINDS: Mapping[type, Callable[[AlertSender, QueuedEvent, AlertRecipient], None]] = {
    EmailRecipient: AlertSender._email,
    WebhookRecipient: AlertSender._webhook,
}
"""How each kind of recipient is reached."""


def _secrets(site: Site) -> tuple[str | None, dict[str, Signer]]:
    """The SMTP password and a signer per webhook secret, from the environment; ProjectInvalid naming each one
    missing or malformed at its place in sitegen.yaml."""
    source = site.config
    alerts = source.model.alerts
    problems = []
    password = None
    if alerts.smtp is not None and alerts.smtp.password_env is not None:
        try:
            password = secret(source, ("alerts", "smtp", "password_env"), alerts.smtp.password_env)
        except ProjectInvalid as missing:
            problems += missing.errors
    signers: dict[str, Signer] = {}
    for index, rule in enumerate(alerts.rules):
        if rule.webhook is None:
            continue
        loc = ("alerts", "rules", index, "webhook", "secret_env")
        try:
            signers[rule.webhook.secret_env] = signer(secret(source, loc, rule.webhook.secret_env))
        except ProjectInvalid as missing:
            problems += missing.errors
        except ValueError as malformed:
            problems.append(source.error(loc, f"{rule.webhook.secret_env} is {malformed}"))
    if problems:
        raise ProjectInvalid(problems)
    return password, signers


class SenderThread:
    """A sender in the background of `sitegen collect`: a pass every `poll_s` seconds until stopped.

    It never touches a request: submissions only queue events in their transaction, and this thread alone talks
    to SMTP servers and webhooks. An error it did not expect is logged, and the next pass tries again.
    """

    def __init__(self, sender: AlertSender, poll_s: float) -> None:
        self._sender = sender
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sitegen-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sender.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sender.send_due()
            except Exception:
                LOG.exception("the alerts sender failed; it tries again in %s s", self._poll_s)
            self._stop.wait(self._poll_s)


def start_sender(site: Site, outbox: Outbox, clock: Clock = utc_now) -> SenderThread | None:
    """The collector's background sender, started; None when no rule sends anything, or (logged) a secret is
    missing: the collector still takes answers, and their alerts wait in the outbox for a sender that can."""
    alerts = site.config.model.alerts
    if not alerts.rules:
        return None
    try:
        thread = SenderThread(AlertSender(site, outbox, clock), alerts.poll_s)
    except ProjectInvalid as invalid:
        for problem in invalid.errors:
            LOG.error("alerts are not sent: %s", problem)
        return None
    thread.start()
    return thread


def delivery_rows(outbox: Outbox) -> list[tuple[str, ...]]:
    """Every kept event and each recipient's progress with it, oldest first, for `sitegen alerts list`."""
    rows: list[tuple[str, ...]] = []
    for event in outbox.events():
        deliveries: list[tuple[str, Delivery | None]] = sorted(outbox.deliveries(event.key).items())
        for channel, delivery in deliveries or [("-", None)]:
            if delivery is None:
                status = "waiting"
            elif delivery.delivered_at is not None:
                status = "delivered"
            else:
                status = "given up" if delivery.given_up_at is not None else "waiting"
            tries = "0" if delivery is None else str(delivery.attempts)
            error = "" if delivery is None else delivery.last_error
            rows.append((event.created_at.isoformat(timespec="seconds"), event.key, channel, status, tries, error))
    return rows
