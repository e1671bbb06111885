"""`sitegen.yaml`: the site's title, languages, addresses, store and privacy."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, Field, IPvAnyNetwork, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from sitegen.errors import did_you_mean
from sitegen.models.alerts import Alerts
from sitegen.models.common import LANGUAGE_PATTERN, Slug, StrictModel, Text
from sitegen.models.deploy import Deploy
from sitegen.models.retention import Retention

LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")]


def _known_language(lang: str) -> str:
    try:
        if not re.fullmatch(LANGUAGE_PATTERN, lang):
            raise ValueError(lang)
        Locale.parse(lang)
    except (ValueError, UnknownLocaleError):
        raise PydanticCustomError(
            "language", "'{lang}' is not a language code such as lv, ru or en", {"lang": lang}
        ) from None
    return lang


LanguageCode = Annotated[str, AfterValidator(_known_language)]
"""A two- or three-letter language code that Babel knows (`lv`, `ru`, `en`)."""


class Privacy(StrictModel):
    """Below this many responses a group's figures are never published."""

    min_group_size: int = Field(default=5, ge=1)


class Public(StrictModel):
    """What the public (customer-facing) site shows besides surveys."""

    vision: bool = True


class RateLimit(StrictModel):
    """Submissions one address may send: a burst, then so many an hour.

    A shop's QR code puts dozens of customers behind one Wi-Fi address, so the
    defaults allow a very busy hour from one NAT and only stop floods.
    """

    per_hour: int = Field(default=1200, ge=1)
    burst: int = Field(default=120, ge=1)
    max_clients: int = Field(default=50_000, ge=100)  # buckets kept; past it the least recently seen is dropped


class Timeouts(StrictModel):
    """Seconds a client may take, so slow or idle connections cannot hold the collector's sockets.

    `header_s` runs from the connection (or the end of the previous answer) to
    the last header line; `body_s` from the headers to the body's last byte;
    `idle_s` is how long a kept-alive connection may wait for its next request.
    Apache's mod_reqtimeout starts from 20 s for headers and for the body
    (https://httpd.apache.org/docs/2.4/mod/mod_reqtimeout.html); a form's
    headers are small, so 10 s; 20 s for a body of up to 256 KB is 100 kbit/s,
    slower than any phone that loaded the survey page.
    """

    header_s: int = Field(default=10, gt=0, le=300)
    body_s: int = Field(default=20, gt=0, le=600)
    idle_s: int = Field(default=5, gt=0, le=300)


class Collector(StrictModel):
    """Limits of the collector endpoint (`sitegen collect`)."""

    # Besides base_url, intranet_url, collector_url and the collector itself.
    allowed_origins: list[HttpUrl] = Field(default_factory=list)
    max_body_kb: int = Field(default=256, ge=1, le=10_240)
    rate_limit: RateLimit = RateLimit()
    # Proxies whose X-Forwarded-For is believed; with none it is ignored (a client could pick its own address).
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    max_connections: int = Field(default=4096, ge=16)  # past it the longest-idle connection is closed
    timeouts: Timeouts = Timeouts()
    # Days a form built from an earlier version of a survey is still checked against that version.
    version_grace_days: int = Field(default=7, ge=0)


class Staff(StrictModel):
    """How staff sign in to `sitegen collect`'s `/staff/` pages and the intranet it serves."""

    max_failures: int = Field(default=5, ge=1, le=100)  # wrong passwords in a row before the account is locked
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)  # a sign-in lasts this long, then asks again


class SiteConfig(StrictModel):
    """The settings of a whole site project."""

    title: Text
    description: Text | None = None
    # A project file such as assets/logo.svg, shown on the QR posters (checked to exist, copied to static/).
    logo: str | None = None
    base_url: HttpUrl
    languages: list[LanguageCode] = Field(min_length=1)
    intranet_url: HttpUrl | None = None
    collector_url: HttpUrl | None = None
    store: str = "sqlite:///data/responses.sqlite3"
    timezone: str = "UTC"
    # Where drawn charts are kept between builds (`sitegen.chart_cache`), relative to the project; never in output/.
    chart_cache: str = ".sitegen-cache/charts"
    # Where the answer columns figures read are kept between builds (`sitegen.answer_snapshots`); never in output/.
    answer_cache: str = ".sitegen-cache/answers"
    privacy: Privacy = Privacy()
    public: Public = Public()
    collector: Collector = Collector()
    staff: Staff = Staff()
    alerts: Alerts = Alerts()
    theme: Slug = "default"
    """The theme pages are drawn with: `default`, or one a plugin installs (`sitegen.themes`)."""
    deploy: Deploy | None = None  # `sitegen deploy`: where output/public and output/intranet are served from
    retention: Retention | None = None  # each survey's default; a survey's own `retention:` overrides it part by part

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def logo_asset(self) -> str | None:
        """The logo's name under `static/` in the built trees, e.g. `logo.svg`."""
        return f"logo{PurePosixPath(self.logo).suffix.lower()}" if self.logo else None

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, languages: list[str]) -> list[str]:
        duplicates = sorted({lang for lang in languages if languages.count(lang) > 1})
        if duplicates:
            raise PydanticCustomError("language", "'{lang}' is listed twice", {"lang": duplicates[0]})
        return languages

    @field_validator("logo")
    @classmethod
    def _logo_image(cls, logo: str | None) -> str | None:
        if logo is not None and PurePosixPath(logo).suffix.lower() not in LOGO_SUFFIXES:
            raise PydanticCustomError(
                "logo",
                "'{logo}' is not an image a browser shows; use {suffixes}",
                {"logo": logo, "suffixes": ", ".join(LOGO_SUFFIXES)},
            )
        return logo

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            suggestion = did_you_mean(timezone, available_timezones())
            raise PydanticCustomError(
                "timezone",
                "'{zone}' is not a time zone such as Europe/Riga or UTC{suggestion}",
                {"zone": timezone, "suggestion": suggestion},
            ) from None
        return timezone

    @field_validator("store")
    @classmethod
    def _database_url(cls, store: str) -> str:
        if not store.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise PydanticCustomError("store", "must be a sqlite:/// or postgresql:// database URL")
        return store
