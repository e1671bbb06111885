"""What survey pages need beyond the survey itself: where to post, dates in words, QR codes, messages.

The rules themselves (required, ranges, lengths, choices) are read from the
survey model by the templates, so the form's HTML5 attributes and the
collector check the same values.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import segno
from babel.dates import format_date
from markupsafe import Markup

from sitegen.date_formats import date_format, datetime_format
from sitegen.i18n import UiText
from sitegen.models.site import SiteConfig
from sitegen.models.survey import BaseQuestion, Survey
from sitegen.refusals import MESSAGES
from sitegen.render import INTRANET, PUBLIC
from sitegen.versions import survey_version


def survey_tree(survey: Survey) -> str:
    """Customer surveys are public; employee surveys live on the intranet."""
    return PUBLIC if survey.audience == "customer" else INTRANET


def tree_url(config: SiteConfig, tree: str) -> str | None:
    """The absolute address a tree is deployed at, where the owner has said so."""
    url = config.base_url if tree == PUBLIC else config.intranet_url
    return url.rstrip("/") if url else None


def form_action(config: SiteConfig, survey: Survey) -> str:
    """Where the form posts: the collector's `/s/<survey-id>`, same origin by default."""
    collector = (config.collector_url or "").rstrip("/")
    return f"{collector}/s/{survey.id}"


def survey_key(survey: Survey, location: str | None = None) -> str:
    """A survey page's address in its language: `surveys/<id>/`, or `surveys/<id>/at/<location>/` for one location.

    A location's own page carries the location in its HTML, so a QR code pointing at it works without JavaScript.
    """
    return f"surveys/{survey.id}/at/{location}/" if location else f"surveys/{survey.id}/"


def survey_link(config: SiteConfig, survey: Survey, lang: str, location: str | None = None) -> str | None:
    """The absolute address of a survey page (a location's own page with `location`), where the tree's is known."""
    base = tree_url(config, survey_tree(survey))
    if base is None:
        return None
    return f"{base}/{lang}/{survey_key(survey, location)}"


def short_link(url: str) -> str:
    """An address as a poster prints it, without the scheme a guest need not type."""
    return url.split("://", 1)[-1]


QR_CODE_CLASS = "qr-code"
"""The class of a QR code's `<svg>`, by which `sitegen check --links` finds the line it is on."""


def qr_code_svg(url: str, title: str) -> Markup:
    """A QR code of `url` as inline SVG, made locally (segno), sized for print."""
    code = segno.make(url, error="m")
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=6,
        border=4,
        xmldecl=False,
        svgclass=QR_CODE_CLASS,
        title=title,
        nl=False,
        omitsize=True,
    )
    return Markup(buffer.getvalue().decode("utf-8"))


def open_period(survey: Survey, lang: str) -> str:
    """`Open from 1 November 2026 to 15 December 2026.`, in the page's language."""
    ui = UiText(lang)
    opens = format_date(survey.opens, format="long", locale=lang) if survey.opens else None
    closes = format_date(survey.closes, format="long", locale=lang) if survey.closes else None
    if opens and closes:
        return ui.gettext("Open from %(opens)s to %(closes)s.", opens=opens, closes=closes)
    if opens:
        return ui.gettext("Open from %(opens)s.", opens=opens)
    if closes:
        return ui.gettext("Open until %(closes)s.", closes=closes)
    return ""


SCRIPT_MESSAGES = (
    "required",
    "too_few_picks",
    "too_many_picks",
    "repeated_choice",
    "incomplete_ranking",
    "out_of_range",
    "too_small",
    "too_large",
    "not_a_number",
    "not_an_email",
    "too_long",
    "not_a_date",
    "before_other",
)
"""The collector's message codes the page's script checks before sending (the rest it leaves to the collector)."""


def form_messages(lang: str) -> dict[str, str]:
    """The messages the page's script shows, in the page's language, under the collector's codes for them."""
    ui = UiText(lang)
    return {code: ui.gettext(MESSAGES[code]) for code in SCRIPT_MESSAGES}


def is_closed_on(survey: Survey, day: dt.date) -> bool:
    """Whether `day` is outside the survey's `opens`/`closes` (the collector refuses answers then)."""
    return bool((survey.opens and day < survey.opens) or (survey.closes and day > survey.closes))


def survey_values(
    config: SiteConfig, survey: Survey, lang: str, build_day: dt.date, location: str | None = None
) -> dict[str, Any]:
    """The values a survey page's template uses besides the survey; `location` for a location's own page.

    `is_closed` is decided by the build's day, so the closed notice is in the HTML; the page's script decides
    again by the reader's day, for a page built before the survey opened or closed.
    """
    return {
        "survey": survey,
        "location": location,
        "is_closed": is_closed_on(survey, build_day),
        "form_action": form_action(config, survey),
        "version": survey_version(survey),
        "open_period": open_period(survey, lang),
        "form_messages": form_messages(lang),
        **question_values(survey.asked, lang),
    }


def question_values(questions: Sequence[BaseQuestion], lang: str) -> dict[str, Any]:
    """What `_question.html` reads besides a question: its number on the form, the date formats' hints."""
    return {
        "format_hints": {"date": date_format(lang).hint, "datetime": datetime_format(lang).hint},
        "question_numbers": {question.id: number for number, question in enumerate(questions, start=1)},
    }
