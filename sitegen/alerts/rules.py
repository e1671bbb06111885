"""Which recipients an event is for, by the site's `alerts.rules`, and the checks that tie the rules to the site.

Pure: the sender asks `recipients_for` of each queued event; `check_alerts` (called by `sitegen check` and every
build) finds rules naming a survey or scorecard the site does not have, a language it does not speak, or e-mail
with no SMTP server; `secret` reads a named environment variable only when something is sent.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sitegen.errors import ProjectInvalid, SiteError, did_you_mean
from sitegen.models.alerts import Alerts, Recipient, Webhook
from sitegen.models.site import SiteConfig
from sitegen.validation import Source


@dataclass(frozen=True)
class EmailRecipient:
    """An address to e-mail, in its language."""

    address: str
    lang: str

    @property
    def key(self) -> str:
        return f"email:{self.address}"


@dataclass(frozen=True)
class WebhookRecipient:
    """An endpoint to POST to, and where in sitegen.yaml it was given (to point at a missing secret)."""

    webhook: Webhook
    loc: tuple[Any, ...]

    @property
    def key(self) -> str:
        return f"webhook:{self.webhook.url}"


AlertRecipient = EmailRecipient | WebhookRecipient


def recipients_for(alerts: Alerts, event: str, subject: str, default_lang: str) -> list[AlertRecipient]:
    """Everyone the rules send this event to, each once (the first rule naming them decides the language)."""
    found: dict[str, AlertRecipient] = {}
    for index, rule in enumerate(alerts.rules):
        named = rule.survey if event == "case_opened" else rule.scorecard
        if rule.on != event or (named is not None and named != subject):
            continue
        for person in rule.email:
            recipient = EmailRecipient(person.address, person.lang or default_lang)
            found.setdefault(recipient.key, recipient)
        if rule.webhook is not None:
            hook = WebhookRecipient(rule.webhook, ("alerts", "rules", index, "webhook"))
            found.setdefault(hook.key, hook)
    return list(found.values())


def digest_recipients(alerts: Alerts, default_lang: str) -> list[EmailRecipient]:
    """The digest's recipients, each in their language."""
    people = alerts.digest.to if alerts.digest is not None else []
    return [EmailRecipient(person.address, person.lang or default_lang) for person in people]


def check_alerts(
    source: Source[SiteConfig], surveys: Collection[str], scorecards: Collection[str]
) -> Iterator[SiteError]:
    """The rules name surveys and scorecards the site has, in languages it speaks, with a server for e-mail."""
    config = source.model
    alerts = config.alerts
    for index, rule in enumerate(alerts.rules):
        loc = ("alerts", "rules", index)
        if rule.survey is not None and rule.survey not in surveys:
            yield source.error((*loc, "survey"), f"no survey '{rule.survey}'{did_you_mean(rule.survey, surveys)}")
        if rule.scorecard is not None and rule.scorecard not in scorecards:
            message = f"no scorecard '{rule.scorecard}'{did_you_mean(rule.scorecard, scorecards)}"
            yield source.error((*loc, "scorecard"), message)
        yield from _check_people(source, rule.email, (*loc, "email"))
        if rule.email and alerts.smtp is None:
            yield source.error((*loc, "email"), "e-mail alerts need alerts.smtp: the server to send them through")
    if alerts.digest is not None:
        yield from _check_people(source, alerts.digest.to, ("alerts", "digest", "to"))
        for index, scorecard in enumerate(alerts.digest.scorecards or []):
            if scorecard not in scorecards:
                message = f"no scorecard '{scorecard}'{did_you_mean(scorecard, scorecards)}"
                yield source.error(("alerts", "digest", "scorecards", index), message)
        if alerts.smtp is None:
            yield source.error(("alerts", "digest"), "the digest needs alerts.smtp: the server to send it through")


def _check_people(source: Source[SiteConfig], people: list[Recipient], loc: tuple[Any, ...]) -> Iterator[SiteError]:
    languages = source.model.languages
    for index, person in enumerate(people):
        if person.lang is not None and person.lang not in languages:
            message = f"'{person.lang}' is not one of the site's languages ({', '.join(languages)})"
            yield source.error((*loc, index, "lang"), message)


def secret(source: Source[SiteConfig], loc: tuple[Any, ...], variable: str) -> str:
    """The value of the environment variable sitegen.yaml names at `loc`; ProjectInvalid, pointing there, if unset."""
    value = os.environ.get(variable)
    if not value:
        raise ProjectInvalid([source.error(loc, f"the environment variable {variable} is not set (or is empty)")])
    return value
