"""What the store can keep: every limit of its schema and back ends, checked before a response is written.

The collector batches many people's responses into one transaction, so a
response the database would refuse must be found before it joins a batch
(one bad row would fail everyone's). `storable_problems` is that check, for
the collector and for `responses import`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import String

from sitegen.answers import MAX_JSON_DEPTH
from sitegen.refusals import first_refused_character, refused_characters
from sitegen.store.schema import responses

if TYPE_CHECKING:
    from sitegen.store.responses import StoredResponse

TEXT_LENGTHS: dict[str, int] = {
    column.name: column.type.length
    for column in responses.columns
    if isinstance(column.type, String) and column.type.length is not None
}
"""Each length-limited text column and its limit, read from the schema once (PostgreSQL enforces them)."""
MAX_JSON_INTEGER = 2**53 - 1
"""RFC 7493 (I-JSON) section 2.2: integers beyond IEEE 754 double precision are not interoperable."""
UNSTORABLE_CHARACTERS = refused_characters("\x00")
"""NUL (PostgreSQL text and jsonb cannot hold it), lone surrogates (not encodable as UTF-8) and noncharacters
(RFC 7493 section 2.1 forbids both in I-JSON)."""


def storable_problems(response: StoredResponse) -> list[str]:
    """Everything in `response` that a back end would refuse or mangle; empty when it can be stored.

    It runs on every submission, so it is one pass of plain loops (about 4 µs for a typical response).
    """
    problems: list[str] = []
    if response.submitted_at.tzinfo is None or response.submitted_at.utcoffset() is None:
        problems.append("submitted_at has no time zone")
    for name, limit in TEXT_LENGTHS.items():
        value = getattr(response, name)
        if not isinstance(value, str):
            problems.append(f"{name} is not text")
        elif len(value) > limit:
            problems.append(f"{name} is longer than {limit} characters")
        elif (reason := _text_problem(value)) is not None:
            problems.append(f"{name} holds {reason}")
    for name, document in (("meta", response.meta), ("answers", response.answers)):
        if not isinstance(document, dict):
            problems.append(f"{name} is not a JSON object")
        elif (reason := _json_problem(document, 1)) is not None:
            problems.append(f"{name} holds {reason}")
    return problems


def _text_problem(text: str) -> str | None:
    character = first_refused_character(UNSTORABLE_CHARACTERS, text)
    if character is None:
        return None
    return "a NUL character" if character == "\x00" else f"the character U+{ord(character):04X}"


def _json_problem(container: dict[Any, Any] | list[Any], depth: int) -> str | None:
    """What in `container` (nested `depth` deep) no back end can keep as JSON, if anything.

    The common values (text, whole numbers) are checked inline: a call per value would cost as much as the rest.
    """
    if depth > MAX_JSON_DEPTH:  # checked before going deeper, so the recursion stays shallow
        return f"values nested more than {MAX_JSON_DEPTH} deep"
    values: Iterable[Any] = container
    if isinstance(container, dict):
        for key in container:
            if not isinstance(key, str):
                return "a key that is not text"
            if UNSTORABLE_CHARACTERS.search(key) is not None and (reason := _text_problem(key)) is not None:
                return reason
        values = container.values()
    for value in values:
        kind = type(value)
        if kind is str:
            if UNSTORABLE_CHARACTERS.search(value) is not None and (reason := _text_problem(value)) is not None:
                return reason
        elif kind is int:
            if not -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER:
                return "an integer beyond 2**53"
        elif (reason := _value_problem(value, depth + 1)) is not None:
            return reason
    return None


def _value_problem(value: Any, depth: int) -> str | None:
    """What in one value that is not plain text or a plain int no back end can keep as JSON, if anything."""
    if isinstance(value, (dict, list)):
        return _json_problem(value, depth)
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER else "an integer beyond 2**53"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"the number {value}"
    return f"a {type(value).__name__}, which JSON cannot hold"
