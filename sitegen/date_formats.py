"""How a language writes a date or a time in a form: the hint a page shows and how the collector reads it.

Both come from Babel's short pattern for the language (CLDR), with the day
and month two digits wide and the year four, so the hint (`dd.mm.gggg`) and
what the collector accepts are one definition. A native date input posts
ISO 8601 whatever it shows; the local form is what a person types where the
input falls back to text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format

from sitegen.i18n import UiText

TOKEN = re.compile(r"'(?P<quoted>(?:[^']|'')*)'|(?P<letter>[A-Za-z])(?P=letter)*|(?P<literal>[^A-Za-z']+)")
"""A quoted literal, a run of one pattern letter or plain punctuation (CLDR date format patterns)."""
FIELDS = {
    "d": ("day", r"[0-9]{1,2}"),
    "M": ("month", r"[0-9]{1,2}"),
    "L": ("month", r"[0-9]{1,2}"),
    "y": ("year", r"[0-9]{4}"),
    "H": ("hour", r"[0-9]{1,2}"),
    "h": ("hour", r"[0-9]{1,2}"),
    "m": ("minute", r"[0-9]{2}"),
    "a": ("period", None),
}
"""Pattern letters a short date or time uses -> the part it is and what a person types for it."""


@dataclass(frozen=True)
class LocalFormat:
    """One language's way of writing a date or a date and time: a hint to show and a pattern to read."""

    hint: str
    pattern: re.Pattern[str]
    periods: dict[str, str]

    def read(self, text: str) -> str | None:
        """`31.12.2026` -> `2026-12-31` (`...T14:30` with a time), or None if it is not written this way."""
        found = self.pattern.fullmatch(text.strip())
        if found is None:
            return None
        parts = found.groupdict()
        try:
            day = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            return None
        if "hour" not in parts:
            return day.isoformat()
        hour, minute = int(parts["hour"]), int(parts["minute"])
        if parts.get("period") is not None:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if self.periods[parts["period"].casefold()] == "pm" else 0)
        if hour > 23 or minute > 59:
            return None
        return dt.datetime.combine(day, dt.time(hour, minute)).isoformat(timespec="minutes")


def _format(lang: str, pattern: str) -> LocalFormat:
    ui = UiText(lang)
    names = {"day": ui.gettext("dd"), "month": ui.gettext("mm"), "year": ui.gettext("yyyy")}
    names |= {"hour": ui.gettext("hh"), "minute": ui.gettext("mm")}
    day_periods = Locale.parse(lang).day_periods["format"]["abbreviated"]
    periods = {str(day_periods[key]).casefold(): key for key in ("am", "pm")}
    hint: list[str] = []
    expression: list[str] = []
    for token in TOKEN.finditer(pattern):
        letter = token.group("letter")
        if letter is None:
            literal = token.group("literal") or (token.group("quoted") or "").replace("''", "'")
            hint.append(literal)
            expression.append(r"\s*" if literal.isspace() else re.escape(literal).replace(r"\ ", r"\s*"))
            continue
        if letter not in FIELDS:
            raise ValueError(f"pattern letter {letter!r} of {pattern!r} is not one a form asks for")
        part, typed = FIELDS[letter]
        if typed is None:
            hint.append("/".join(str(day_periods[key]) for key in ("am", "pm")))
            typed = "|".join(re.escape(name) for name in periods)
        else:
            hint.append(names[part])
        expression.append(f"(?P<{part}>{typed})")
    return LocalFormat("".join(hint), re.compile("".join(expression), re.IGNORECASE), periods)


@cache
def date_format(lang: str) -> LocalFormat:
    """A date as `lang` writes it in short (lv `dd.mm.gggg`, ru `дд.мм.гггг`, en `mm/dd/yyyy`)."""
    return _format(lang, get_date_format("short", locale=lang).pattern)


@cache
def datetime_format(lang: str) -> LocalFormat:
    """A date and time as `lang` writes it in short (lv `dd.mm.gggg hh:mm`, en `mm/dd/yyyy, hh:mm AM/PM`)."""
    date = get_date_format("short", locale=lang).pattern
    time = get_time_format("short", locale=lang).pattern
    return _format(lang, str(get_datetime_format("short", locale=lang)).replace("{1}", date).replace("{0}", time))
