"""What an alert says: per kind of event, its e-mail (subject, plain text, HTML) in a language, and its webhook body.

A kind of event is one entry of `EVENT_KINDS`: the webhook `type`, and the values its templates
(`alert_<event>.txt` and `.html` in the theme, which a project's `templates/` may override) are given. Messages are
made from the outbox's payload and the site, so a case alert can say only what the payload keeps: survey,
location, score, due time and the link to the case's staff page, never the contact or the comment.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sitegen.i18n import UiText
from sitegen.models.scorecard import BaseMetric
from sitegen.site import Site
from sitegen.store.outbox import QueuedEvent


@dataclass(frozen=True)
class Message:
    """An e-mail's subject and its two alternative bodies."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class EventKind:
    """What the sender needs of one kind of event: its webhook type and its templates' values."""

    webhook_type: str
    values: Callable[[Site, Mapping[str, Any], str], dict[str, Any]]
    """The values its templates read (with `subject` among them), in a language, from the payload."""


def staff_base(site: Site) -> str:
    """Where the collector serves the staff pages: collector_url, else the site's base_url."""
    config = site.config.model
    return (config.collector_url or config.base_url).rstrip("/")


def intranet_base(site: Site) -> str:
    """Where the intranet is read: intranet_url, else the collector's `/intranet`."""
    config = site.config.model
    return (config.intranet_url or f"{staff_base(site)}/intranet").rstrip("/")


def _moment(site: Site, iso: str, lang: str) -> str:
    """A time in the site's timezone as a reader writes it: the day in full and the time to the minute."""
    moment = dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(site.config.model.timezone))
    return f"{format_date(moment, format='long', locale=lang)}, {format_time(moment, format='short', locale=lang)}"


def _case_values(site: Site, payload: Mapping[str, Any], lang: str) -> dict[str, Any]:
    ui = UiText(lang)
    fallback = site.default_language
    surveys = {source.model.id: source.model for source in site.surveys}
    survey = surveys.get(payload["survey"])
    title = survey.title.get(lang, fallback) if survey is not None else payload["survey"]
    location = payload.get("location")
    subject = (
        ui.gettext("New case: %(survey)s, %(location)s", survey=title, location=location)
        if location
        else ui.gettext("New case: %(survey)s", survey=title)
    )
    return {
        "subject": subject,
        "survey": title,
        "location": location,
        "score": payload.get("score"),
        "due": _moment(site, payload["due_at"], lang),
        "opened": _moment(site, payload["opened_at"], lang),
        "link": f"{staff_base(site)}/staff/cases/{payload['case']}",
    }


def metric_title(metric: BaseMetric, lang: str, fallback: str) -> str:
    """A metric's title as its scorecard page shows it: its own, or its kind's name."""
    from sitegen.metric_kinds import kind_of

    return metric.title.get(lang, fallback) if metric.title else UiText(lang).gettext(kind_of(metric).title)


def _signal_values(site: Site, payload: Mapping[str, Any], lang: str) -> dict[str, Any]:
    from sitegen.render.scorecard_view import SIGNAL_TEXTS, format_value  # the view loads the charts: only here

    ui = UiText(lang)
    fallback = site.default_language
    scorecards = {source.model.id: source.model for source in site.scorecards}
    scorecard = scorecards.get(payload["scorecard"])
    metric: BaseMetric | None = next(
        (entry for entry in (scorecard.metrics if scorecard else []) if entry.id == payload["metric"]), None
    )
    scorecard_title = scorecard.title.get(lang, fallback) if scorecard is not None else payload["scorecard"]
    metric_name = metric_title(metric, lang, fallback) if metric is not None else payload["metric"]
    is_better = metric is not None and payload["direction"] == metric.direction
    change = ui.gettext("better") if is_better else ui.gettext("worse")
    subject = ui.gettext(
        "%(scorecard)s: %(metric)s signals %(change)s in %(period)s",
        scorecard=scorecard_title,
        metric=metric_name,
        change=change,
        period=payload["period"],
    )
    limits = {name: format_value(payload.get(name), payload["kind"], lang) for name in ("centre", "lower", "upper")}
    return {
        "subject": subject,
        "scorecard": scorecard_title,
        "metric": metric_name,
        "change": change,
        "period": payload["period"],
        "rule": ui.gettext(SIGNAL_TEXTS[payload["rule"], payload["direction"]], period=payload["period"], **limits),
        "value": format_value(payload.get("value"), payload["kind"], lang),
        "n": payload.get("n"),
        **limits,
        "link": f"{intranet_base(site)}/{lang}/scorecards/{payload['scorecard']}/",
    }


EVENT_KINDS: Mapping[str, EventKind] = {
    "case_opened": EventKind("case.opened", _case_values),
    "signal": EventKind("metric.signal", _signal_values),
}
"""Every kind of event the outbox holds, by its `event` column."""


def template_environment(site: Site) -> Environment:
    """The e-mail templates: the project's `templates/` first, then the theme; HTML escaped, plain text not."""
    folders = site.template_folders
    return Environment(
        loader=FileSystemLoader([str(folder) for folder in folders]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_message(environment: Environment, template: str, values: Mapping[str, Any], lang: str) -> Message:
    """`<template>.txt` and `<template>.html` rendered with `values` and the UI text of `lang`."""
    ui = UiText(lang)
    context = {**values, "lang": lang, "_": ui.gettext, "ngettext": ui.ngettext}
    text = environment.get_template(f"{template}.txt").render(context)
    html = environment.get_template(f"{template}.html").render(context)
    return Message(str(values["subject"]), text, html)


def alert_message(site: Site, environment: Environment, event: QueuedEvent, lang: str) -> Message:
    """An event's e-mail in `lang`."""
    values = EVENT_KINDS[event.event].values(site, event.payload, lang)
    return render_message(environment, f"alert_{event.event}", values, lang)


def webhook_body(site: Site, event: QueuedEvent, style: str) -> bytes:
    """The JSON a webhook gets, in the site's first language: Standard Webhooks' `type`, `timestamp` and `data`
    (the payload, its link and summary), or for `slack` just `{"text": ...}`."""
    kind = EVENT_KINDS[event.event]
    values = kind.values(site, event.payload, site.default_language)
    summary = f"{values['subject']}\n{values['link']}"
    if style == "slack":
        body: dict[str, Any] = {"text": summary}
    else:
        data = {**event.payload, "link": values["link"], "summary": values["subject"]}
        body = {"type": kind.webhook_type, "timestamp": event.created_at.isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
