"""Why an answer is refused: the message codes every check shares, and the characters text may not hold.

One set of codes serves the collector (`answers`), the question types'
readers and the survey page's script (`render.surveys.form_messages`), so a
message is written once and translated once.
"""

from __future__ import annotations

import re
from typing import Any


def refused_characters(also: str) -> re.Pattern[str]:
    """A pattern of the characters `also` (a regex class body), lone surrogates and noncharacters, for
    `first_refused_character`. Lone surrogates cannot be encoded as UTF-8; RFC 7493 (I-JSON) section 2.1 forbids both.

    The class holds the whole astral range rather than its 32 noncharacters: listed one by one they make every
    search about eight times slower; `first_refused_character` tests an astral character it finds.
    """
    return re.compile(f"[{also}\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\U00010000-\U0010ffff]")


def first_refused_character(characters: re.Pattern[str], text: str) -> str | None:
    """The first character of `text` that a `refused_characters` pattern refuses, if any."""
    position = 0
    while (found := characters.search(text, position)) is not None:
        character = found.group()
        if character < "\U00010000" or ord(character) & 0xFFFE == 0xFFFE:
            return character
        position = found.end()
    return None


NON_TEXT = refused_characters("")
"""Code points that are not text at all."""
CONTROL_CHARACTERS = refused_characters("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f")
"""Invisible characters no keyboard types: C0 and C1 controls (NUL cannot even be stored in PostgreSQL), and code
points that are not characters at all. Tab and line breaks are fine."""
LINE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})
"""Unicode's line and paragraph separators (pasted from word processors) become the plain line break they mean."""


def N_(message: str) -> str:
    """Mark a message for the catalogs; it is translated where it is shown."""
    return message


MESSAGES = {
    "required": N_("Please answer this question."),
    "one_value": N_("Give one answer only."),
    "not_a_number": N_("Enter a number."),
    "not_a_whole_number": N_("Choose one of the points of the scale."),
    "out_of_range": N_("Enter a number from %(min)s to %(max)s."),
    "too_small": N_("Enter a number of at least %(min)s."),
    "too_large": N_("Enter a number of at most %(max)s."),
    "not_a_choice": N_("Choose one of the answers offered."),
    "repeated_choice": N_("Choose each answer only once."),
    "too_few_picks": N_("Choose at least %(num)s."),
    "too_many_picks": N_("Choose at most %(num)s."),
    "incomplete_ranking": N_("Put all %(num)s answers in order."),
    "changed_consent": N_("The text you agreed to has changed: reload the page and read it again."),
    "too_long": N_("Use at most %(num)s characters."),
    "not_text": N_("Write your answer as text."),
    "control_characters": N_("Remove the invisible control characters from your answer."),
    "not_an_email": N_("Enter an e-mail address like name@example.com."),
    "not_a_date": N_("Enter a valid date."),
    "not_a_datetime": N_("Enter a valid date and time."),
    "before_other": N_("This is earlier than the time it must follow; check both times."),
    "unknown_item": N_("This row is not part of the question."),
    "not_a_table": N_("Answer each row of the table."),
    "unknown_field": N_("This is not a field of this survey."),
    "not_allowed": N_("This value is not allowed here."),
    "bad_response_id": N_("The response id is not valid."),
    "bad_language": N_("This language is not offered."),
    "not_an_object": N_('Send a JSON object with "answers".'),
}


class Refused(Exception):
    """One answer that cannot be read: a message code and its values; becomes a Problem for its question."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
