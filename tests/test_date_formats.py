"""Dates and times as each language writes them: the hint from Babel's short pattern, and reading it back."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.date_formats import date_format, datetime_format


@pytest.mark.parametrize(
    ("lang", "date_hint", "datetime_hint"),
    [
        ("lv", "dd.mm.gggg", "dd.mm.gggg hh:mm"),
        ("ru", "дд.мм.гггг", "дд.мм.гггг, чч:мм"),
        ("en", "mm/dd/yyyy", "mm/dd/yyyy, hh:mm\u202fAM/PM"),
    ],
)
def test_the_hint_follows_the_languages_short_pattern_in_its_own_letters(
    lang: str, date_hint: str, datetime_hint: str
) -> None:
    assert date_format(lang).hint == date_hint
    assert datetime_format(lang).hint == datetime_hint


@pytest.mark.parametrize(
    ("lang", "typed", "read"),
    [
        ("lv", "31.12.2026", "2026-12-31"),
        ("lv", "1.2.2026", "2026-02-01"),
        ("ru", " 31.12.2026 ", "2026-12-31"),
        ("en", "12/31/2026", "2026-12-31"),
        ("lv", "31.02.2026", None),
        ("lv", "31.12.26", None),  # the hint asks for four digits of the year
        ("lv", "2026-12-31", None),  # ISO is read by the date reader itself
        ("en", "31.12.2026", None),
    ],
)
def test_a_date_is_read_as_the_hint_shows_it(lang: str, typed: str, read: str | None) -> None:
    assert date_format(lang).read(typed) == read


@pytest.mark.parametrize(
    ("lang", "typed", "read"),
    [
        ("lv", "31.12.2026 14:30", "2026-12-31T14:30"),
        ("ru", "31.12.2026, 9:05", "2026-12-31T09:05"),
        ("en", "12/31/2026, 2:30 PM", "2026-12-31T14:30"),
        ("en", "12/31/2026, 12:05 am", "2026-12-31T00:05"),
        ("en", "12/31/2026, 12:05\u202fPM", "2026-12-31T12:05"),
        ("lv", "31.12.2026 24:00", None),
        ("en", "12/31/2026, 13:00 PM", None),
    ],
)
def test_a_date_and_time_is_read_as_the_hint_shows_it(lang: str, typed: str, read: str | None) -> None:
    assert datetime_format(lang).read(typed) == read


@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_any_moment_written_as_babel_writes_it_with_a_four_digit_year_reads_back(moment: dt.datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    assert date_format("lv").read(moment.strftime("%d.%m.%Y")) == moment.date().isoformat()
    written = moment.strftime("%m/%d/%Y, %I:%M %p")
    assert datetime_format("en").read(written) == moment.isoformat(timespec="minutes")
