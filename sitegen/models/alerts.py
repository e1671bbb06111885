"""`sitegen.yaml`'s `alerts:`: the SMTP server, the rules that say who hears of what, and the weekly digest.

Secrets are never in the file: it names the environment variables that hold them (`password_env`,
`secret_env`), read only when something is sent.
"""

from __future__ import annotations

from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from sitegen.models.common import Slug, StrictModel


def _address(address: str) -> str:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PydanticCustomError(
            "email",
            "'{address}' is not an e-mail address such as anna@saulite.example: {reason}",
            {"address": address, "reason": str(error)},
        ) from None


EmailAddress = Annotated[str, AfterValidator(_address)]
"""An e-mail address as RFC 5322 and email-validator accept it (no DNS look-up), normalised."""
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
"""The name of an environment variable that holds a secret."""
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")]
AlertEvent = Literal["case_opened", "signal"]


class Smtp(StrictModel):
    """The server alerts and digests are sent through; its password from the environment."""

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # default: 465 with ssl, 587 with starttls, 25 without
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: EmailAddress
    sender_name: str | None = None
    username: str | None = None
    password_env: EnvName | None = None
    timeout_s: int = Field(default=30, ge=1, le=600)

    @property
    def port_used(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]

    @model_validator(mode="after")
    def _password_with_username(self) -> Smtp:
        if (self.username is None) != (self.password_env is None):
            raise PydanticCustomError("smtp", "give username and password_env together, or neither")
        return self


class Recipient(StrictModel):
    """Someone who gets e-mails, in their language (default: the site's first)."""

    address: EmailAddress
    lang: str | None = None


def _recipient(value: object) -> object:
    return {"address": value} if isinstance(value, str) else value


class Webhook(StrictModel):
    """An HTTP endpoint that gets a signed JSON POST (Standard Webhooks), or Slack's `{"text": ...}` body."""

    url: HttpUrl
    secret_env: EnvName
    format: Literal["standard", "slack"] = "standard"


class AlertRule(StrictModel):
    """Who hears when a case opens on a survey (`case_opened`) or a scorecard's control chart signals (`signal`)."""

    on: AlertEvent
    survey: Slug | None = None  # case_opened: this survey's cases only (default: every survey's)
    scorecard: Slug | None = None  # signal: this scorecard's metrics only (default: every scorecard's)
    email: list[Recipient] = Field(default_factory=list)
    webhook: Webhook | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_addresses(cls, value: object) -> object:
        if isinstance(value, dict) and isinstance(value.get("email"), list | str):
            listed = value["email"] if isinstance(value["email"], list) else [value["email"]]
            return {**value, "email": [_recipient(entry) for entry in listed]}
        return value

    @model_validator(mode="after")
    def _someone_hears(self) -> AlertRule:
        if not self.email and self.webhook is None:
            raise PydanticCustomError("rule", "give email, webhook or both: nobody would hear of it")
        if self.on == "case_opened" and self.scorecard is not None:
            raise PydanticCustomError("rule", "a case_opened rule names a survey, not a scorecard")
        if self.on == "signal" and self.survey is not None:
            raise PydanticCustomError("rule", "a signal rule names a scorecard, not a survey")
        return self


class Digest(StrictModel):
    """The weekly e-mail of the scorecards' figures (`sitegen digest`)."""

    to: list[Recipient] = Field(min_length=1)
    scorecards: list[Slug] | None = None  # default: every scorecard

    @model_validator(mode="before")
    @classmethod
    def _plain_addresses(cls, value: object) -> object:
        if isinstance(value, dict) and isinstance(value.get("to"), list):
            return {**value, "to": [_recipient(entry) for entry in value["to"]]}
        return value


class Alerts(StrictModel):
    """Alerts (sent from the store's outbox by `sitegen collect` and `sitegen alerts send`) and the digest."""

    smtp: Smtp | None = None
    rules: list[AlertRule] = Field(default_factory=list)
    digest: Digest | None = None
    attempts: int = Field(default=8, ge=1, le=50)  # tries per recipient before it is given up
    backoff_s: float = Field(default=30.0, gt=0, le=3600)  # the first wait after a failure; doubled each time
    poll_s: float = Field(default=10.0, gt=0, le=3600)  # how often `sitegen collect` looks for alerts to send
    expire_hours: int = Field(default=48, ge=1, le=24 * 30)  # an alert not sent by then is dropped, not sent late

    def hears_cases_of(self, survey_id: str) -> bool:
        """Whether a rule listens for the cases this survey opens: only then is an opening queued in the outbox."""
        return any(rule.on == "case_opened" and rule.survey in (None, survey_id) for rule in self.rules)
