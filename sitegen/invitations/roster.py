"""The invitee list: a CSV of e-mail, language and segment columns, read into invitees or errors at file:line.

The header names the columns: `email`, `language` (one of the site's) and any
of the survey's hidden fields (`location`, `team`), whose values must be the
field's declared ones. A column naming no hidden field of the survey is an
error at line 1; an address given twice is one at its second line. Opt-out
lists (`--bounced`) are one address a line, or a CSV with an `email` column.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from sitegen.errors import ProjectInvalid, SiteError
from sitegen.models.survey import Survey

EMAIL_COLUMN = "email"
LANGUAGE_COLUMN = "language"
HEADER_LINE = 1


@dataclass(frozen=True)
class Invitee:
    """One person to invite: the address (normalised, lower-cased), the language, the segment values."""

    email: str
    lang: str
    segment: dict[str, str] = field(default_factory=dict)


def normalised_address(address: str) -> str | None:
    """An address as the store keeps it (email-validator's normal form, lower-cased); None if it is none."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _rows(path: Path, shown: str) -> list[list[str]]:
    """The file's rows; ProjectInvalid if it is not UTF-8 text that reads as CSV."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            return list(csv.reader(file))
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise ProjectInvalid([SiteError(shown, line, 1, "", "not UTF-8 text: save the file as UTF-8 CSV")]) from None
    except csv.Error as error:
        raise ProjectInvalid([SiteError(shown, HEADER_LINE, 1, "", f"not a CSV file: {error}")]) from None


def read_invitees(path: Path, shown: str, survey: Survey, languages: Sequence[str]) -> list[Invitee]:
    """The invitees of a CSV file, or ProjectInvalid with every problem at `shown:line`."""
    rows = _rows(path, shown)
    if not rows:
        raise ProjectInvalid([SiteError(shown, HEADER_LINE, 1, "", "the file is empty; give a header: email,language")])
    header = [name.strip() for name in rows[0]]
    problems = [
        SiteError(shown, HEADER_LINE, 1, name, f"no column '{name}': the file needs email and language")
        for name in (EMAIL_COLUMN, LANGUAGE_COLUMN)
        if name not in header
    ]
    segments = [name for name in header if name not in (EMAIL_COLUMN, LANGUAGE_COLUMN)]
    problems += [
        SiteError(
            shown,
            HEADER_LINE,
            1,
            name,
            f"'{name}' is no hidden field of the survey {survey.id} (it has: {', '.join(survey.hidden) or 'none'})",
        )
        for name in segments
        if name not in survey.hidden
    ]
    if problems:
        raise ProjectInvalid(problems)
    invitees: list[Invitee] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=HEADER_LINE + 1):
        if not any(value.strip() for value in row):
            continue
        if len(row) != len(header):
            problems.append(SiteError(shown, line, 1, "", f"{len(row)} values for {len(header)} columns"))
            continue
        values = dict(zip(header, (value.strip() for value in row), strict=True))
        row_problems = _row_problems(shown, line, values, survey, languages, seen)
        if row_problems:
            problems += row_problems
            continue
        email = normalised_address(values[EMAIL_COLUMN])
        assert email is not None
        seen[email] = line
        segment = {name: values[name] for name in segments if values[name]}
        invitees.append(Invitee(email, values[LANGUAGE_COLUMN], segment))
    if problems:
        raise ProjectInvalid(problems)
    return invitees


def _row_problems(
    shown: str, line: int, values: dict[str, str], survey: Survey, languages: Sequence[str], seen: dict[str, int]
) -> list[SiteError]:
    problems = []
    email = normalised_address(values[EMAIL_COLUMN])
    if email is None:
        problems.append(SiteError(shown, line, 1, EMAIL_COLUMN, f"'{values[EMAIL_COLUMN]}' is not an e-mail address"))
    elif email in seen:
        problems.append(SiteError(shown, line, 1, EMAIL_COLUMN, f"{email} is invited already at line {seen[email]}"))
    if values[LANGUAGE_COLUMN] not in languages:
        problems.append(
            SiteError(
                shown,
                line,
                1,
                LANGUAGE_COLUMN,
                f"'{values[LANGUAGE_COLUMN]}' is not a language of the site ({', '.join(languages)})",
            )
        )
    for name, value in values.items():
        if name in survey.hidden and value and value not in survey.hidden[name].values:
            allowed = ", ".join(survey.hidden[name].ids)
            problems.append(SiteError(shown, line, 1, name, f"'{value}' is not one of the {name} values ({allowed})"))
    return problems


def read_addresses(path: Path, shown: str) -> list[str]:
    """The addresses of an opt-out file: one a line, or a CSV whose header has an `email` column."""
    rows = _rows(path, shown)
    header = [name.strip() for name in rows[0]] if rows else []
    column = header.index(EMAIL_COLUMN) if EMAIL_COLUMN in header else 0
    first = HEADER_LINE + 1 if EMAIL_COLUMN in header else HEADER_LINE
    addresses, problems = [], []
    for line, row in enumerate(rows[first - 1 :], start=first):
        if not any(value.strip() for value in row):
            continue
        address = normalised_address(row[column]) if column < len(row) else None
        if address is None:
            problems.append(SiteError(shown, line, 1, EMAIL_COLUMN, f"'{','.join(row)}' is not an e-mail address"))
        else:
            addresses.append(address)
    if problems:
        raise ProjectInvalid(problems)
    return addresses
