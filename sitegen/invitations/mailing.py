"""Send a survey's invitations and reminders: one personal e-mail per invitee, through the site's SMTP server.

Each e-mail carries the invitee's own link (`/i/<token>` on the collector),
the survey's deadline (`closes`) in the invitee's language, and an unsubscribe
link with RFC 8058's `List-Unsubscribe` and `List-Unsubscribe-Post` headers.
Addresses that bounced or unsubscribed (`InvitationStore.opted_out`) are never
e-mailed, by any survey. An invitation is marked sent once the server took it,
so a run that stops half-way sends the rest when run again, and no one twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import Environment

from sitegen.alerts.mail import DeliveryFailed, email_message, send_email
from sitegen.alerts.messages import Message, render_message, staff_base, template_environment
from sitegen.alerts.rules import secret
from sitegen.errors import SitegenError
from sitegen.i18n import UiText
from sitegen.invitations.roster import Invitee
from sitegen.invitations.tokens import InvitationKey, token_lookup
from sitegen.models.alerts import Smtp
from sitegen.models.survey import Survey
from sitegen.refusals import N_
from sitegen.render.surveys import is_closed_on
from sitegen.site import Site
from sitegen.store.invitations import Invitation, InvitationStore

TEMPLATE = "invitation"
INVITATION_SUBJECT = N_("Please answer: %(survey)s")
REMINDER_SUBJECT = N_("Reminder: %(survey)s")


class InvitationsUnavailable(SitegenError):
    """Invitations cannot be sent as the project stands (no SMTP server, the survey closed)."""


@dataclass
class Mailing:
    """What one run sent, and to whom it could not (with the server's reason)."""

    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Mailer:
    """What every e-mail of a run shares: the site, its SMTP server and password, the templates, the clock."""

    site: Site
    smtp: Smtp
    password: str | None
    environment: Environment
    now: dt.datetime

    @classmethod
    def of(cls, site: Site, now: dt.datetime) -> Mailer:
        smtp = site.config.model.alerts.smtp
        if smtp is None:
            raise InvitationsUnavailable("sitegen.yaml has no alerts.smtp: the server to send invitations through")
        password = (
            secret(site.config, ("alerts", "smtp", "password_env"), smtp.password_env) if smtp.password_env else None
        )
        return cls(site, smtp, password, template_environment(site), now)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(ZoneInfo(self.site.config.model.timezone)).date()


def invitation_message(mailer: Mailer, survey: Survey, token: str, lang: str, is_reminder: bool) -> Message:
    """The e-mail of one invitation (or its reminder) in `lang`."""
    ui = UiText(lang)
    title = survey.title.get(lang, mailer.site.default_language)
    base = staff_base(mailer.site)
    values = {
        "subject": ui.gettext(REMINDER_SUBJECT if is_reminder else INVITATION_SUBJECT, survey=title),
        "survey": title,
        "is_reminder": is_reminder,
        "is_anonymous": survey.is_anonymous,
        "deadline": format_date(survey.closes, format="long", locale=lang) if survey.closes else None,
        "link": f"{base}/i/{token}",
        "unsubscribe": f"{base}/u/{token}",
    }
    return render_message(mailer.environment, TEMPLATE, values, lang)


def invite(
    mailer: Mailer, store: InvitationStore, key: InvitationKey, survey: Survey, invitees: Sequence[Invitee]
) -> Mailing:
    """Keep the invitees' invitations and send every one not sent yet (this list's and an earlier run's)."""
    _check_open(mailer, survey)
    rows = [
        Invitation(
            token_lookup(key.token(survey.id, invitee.email)), survey.id, invitee.email, invitee.lang, invitee.segment
        )
        for invitee in invitees
    ]
    store.record(rows)
    mailing = Mailing()
    for invitation in store.unsent(survey.id):
        if _send(mailer, key, survey, invitation, mailing, is_reminder=False):
            store.mark_sent(invitation.lookup, mailer.today)
    return mailing


def remind(mailer: Mailer, store: InvitationStore, key: InvitationKey, survey: Survey) -> Mailing:
    """Send a reminder to every invitee who has not answered, once a day at most."""
    _check_open(mailer, survey)
    mailing = Mailing()
    for invitation in store.to_remind(survey.id, mailer.today):
        if _send(mailer, key, survey, invitation, mailing, is_reminder=True):
            store.mark_reminded(invitation.lookup, mailer.today)
    return mailing


def _check_open(mailer: Mailer, survey: Survey) -> None:
    if is_closed_on(survey, mailer.today):
        raise InvitationsUnavailable(f"the survey {survey.id} is closed today ({mailer.today}): nobody can answer it")


def _send(
    mailer: Mailer, key: InvitationKey, survey: Survey, invitation: Invitation, mailing: Mailing, is_reminder: bool
) -> bool:
    token = key.token(survey.id, invitation.email)
    message = invitation_message(mailer, survey, token, invitation.lang, is_reminder)
    email = email_message(mailer.smtp, invitation.email, message, mailer.now)
    email["List-Unsubscribe"] = f"<{staff_base(mailer.site)}/u/{token}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    try:
        send_email(mailer.smtp, mailer.password, email)
    except DeliveryFailed as failed:
        mailing.failed.append((invitation.email, str(failed)))
        return False
    mailing.sent += 1
    return True


def survey_named(site: Site, survey_id: str) -> Survey:
    """The site's survey with this id; InvitationsUnavailable naming the surveys there are if none."""
    surveys = {source.model.id: source.model for source in site.surveys}
    if survey_id not in surveys:
        known = ", ".join(sorted(surveys)) or "none"
        raise InvitationsUnavailable(f"no survey '{survey_id}' in this project (it has: {known})")
    return surveys[survey_id]
