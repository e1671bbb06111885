"""E-mail out: a message with plain-text and HTML alternatives, sent through the site's SMTP server (smtplib).

The password comes from the environment variable `alerts.smtp.password_env` names; STARTTLS or implicit TLS (ssl)
use the system's certificate store.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sitegen.alerts.messages import Message
from sitegen.errors import SitegenError
from sitegen.models.alerts import Smtp


class DeliveryFailed(SitegenError):
    """A recipient could not be reached this time (the server refused, timed out, answered an error): try later."""


def email_message(
    smtp: Smtp, to: str, message: Message, date: dt.datetime, message_id: str | None = None
) -> EmailMessage:
    """The MIME message: text/plain first, text/html as the preferred alternative."""
    email = EmailMessage()
    email["From"] = Address(smtp.sender_name or "", addr_spec=smtp.sender)
    email["To"] = to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(date)
    email["Message-ID"] = message_id or make_msgid(domain=smtp.sender.rpartition("@")[2])
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def send_email(smtp: Smtp, password: str | None, email: EmailMessage) -> None:
    """Send one message; DeliveryFailed if the server cannot be reached or refuses it."""
    context = ssl.create_default_context()
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port_used, timeout=smtp.timeout_s, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port_used, timeout=smtp.timeout_s)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username is not None and password is not None:
                client.login(smtp.username, password)
            client.send_message(email)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"SMTP {smtp.host}:{smtp.port_used}: {error}") from error
