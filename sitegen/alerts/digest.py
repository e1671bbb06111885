"""`sitegen digest`: the weekly e-mail of the scorecards' figures, per recipient in their language.

Made from the built scorecard.json documents (`output/intranet/scorecards/<id>/`), so it shows exactly what the
scorecards publish (an anonymous survey's figures only once published) and needs no store. The same documents and
`--as-of` day give the same bytes; `--send` sends each through the site's SMTP server.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.dates import format_date

from sitegen.alerts.mail import email_message, send_email
from sitegen.alerts.messages import Message, intranet_base, metric_title, render_message, template_environment
from sitegen.alerts.rules import EmailRecipient, digest_recipients, secret
from sitegen.errors import SitegenError
from sitegen.i18n import UiText
from sitegen.render import INTRANET
from sitegen.site import Site


class DigestUnavailable(SitegenError):
    """The digest cannot be made: no recipients, or no built scorecard to read."""


@dataclass(frozen=True)
class DigestMail:
    """One recipient's digest."""

    recipient: EmailRecipient
    message: Message


def digest_mails(site: Site, as_of: dt.date) -> list[DigestMail]:
    """Every recipient's digest for the week that ends on `as_of`."""
    alerts = site.config.model.alerts
    recipients = digest_recipients(alerts, site.default_language)
    if not recipients:
        raise DigestUnavailable("sitegen.yaml has no alerts.digest.to: nobody to send the digest to")
    wanted = alerts.digest.scorecards if alerts.digest is not None else None
    scorecard_ids = wanted or [source.model.id for source in site.scorecards]
    documents = [_document(site, scorecard_id) for scorecard_id in scorecard_ids]
    environment = template_environment(site)
    mails = []
    for person in recipients:
        values = _values(site, documents, as_of, person.lang)
        mails.append(DigestMail(person, render_message(environment, "digest", values, person.lang)))
    return mails


def _document(site: Site, scorecard_id: str) -> Mapping[str, Any]:
    path = site.files.output / INTRANET / "scorecards" / scorecard_id / "scorecard.json"
    if not path.is_file():
        raise DigestUnavailable(f"no {path}: run 'sitegen build' first")
    document: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _values(site: Site, documents: list[Mapping[str, Any]], as_of: dt.date, lang: str) -> dict[str, Any]:
    from sitegen.render.scorecard_view import ASSESSMENT_NAMES, STATUS_NAMES, format_value

    ui = UiText(lang)
    fallback = site.default_language
    models = {source.model.id: source.model for source in site.scorecards}
    scorecards = []
    for document in documents:
        model = models.get(document["id"])
        titles = {metric.id: metric_title(metric, lang, fallback) for metric in model.metrics} if model else {}
        rows = []
        for metric in document["metrics"]:
            latest: Mapping[str, Any] = next(
                (cell for cell in metric["periods"] if cell["period"] == document["latest_complete"]), {}
            )
            status = (metric.get("target") or {}).get("status")
            assessment = (metric.get("control") or {}).get("assessment")
            rows.append(
                {
                    "title": titles.get(metric["id"], metric["id"]),
                    "value": format_value(latest.get("value"), metric["kind"], lang),
                    "n": latest.get("n"),
                    "overall": format_value(metric["overall"].get("value"), metric["kind"], lang),
                    "target": ui.gettext(STATUS_NAMES[status]) if status else "",
                    "assessment": ui.gettext(ASSESSMENT_NAMES[assessment]) if assessment else "",
                }
            )
        heading = model.title.get(lang, fallback) if model is not None else document["title"]
        link = f"{intranet_base(site)}/{lang}/scorecards/{document['id']}/"
        scorecards.append({"title": heading, "period": document["latest_complete"], "metrics": rows, "link": link})
    site_title = site.config.model.title.get(lang, fallback)
    day = format_date(as_of, format="long", locale=lang)
    return {
        "subject": ui.gettext("%(site)s: the figures of the week to %(day)s", site=site_title, day=day),
        "site": site_title,
        "day": day,
        "scorecards": scorecards,
    }


def write_digests(mails: list[DigestMail], folder: Path) -> list[Path]:
    """Each digest as `<address>.txt` and `<address>.html` in `folder` (any `/` of the address as `_`); the files
    written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for mail in mails:
        for suffix, body in ((".txt", mail.message.text), (".html", mail.message.html)):
            path = folder / f"{mail.recipient.address.replace('/', '_')}{suffix}"  # '/' may be in a local part
            path.write_text(body, encoding="utf-8")
            written.append(path)
    return written


def send_digests(site: Site, mails: list[DigestMail], now: dt.datetime) -> int:
    """Send each digest through the site's SMTP server (a failure stops with its reason); how many were sent."""
    smtp = site.config.model.alerts.smtp
    if smtp is None:
        raise DigestUnavailable("sitegen.yaml has no alerts.smtp: the server to send the digest through")
    password = secret(site.config, ("alerts", "smtp", "password_env"), smtp.password_env) if smtp.password_env else None
    for mail in mails:
        send_email(smtp, password, email_message(smtp, mail.recipient.address, mail.message, now))
    return len(mails)
