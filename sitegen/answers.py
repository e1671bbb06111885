"""A respondent's answers -> typed values checked against the survey, or problems to show them.

This is the one place the answer rules live (types, ranges, choices,
required, `show_if`, lengths, hidden-field values, unknown fields). The
collector runs it on every POST and `responses import` on every line; the
form's HTML5 attributes come from the same survey model attributes.

Form bodies and JSON bodies are first brought to one shape: each answer is a
list of raw values (a matrix: a mapping item -> list), then read by type.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sitegen.date_formats import LocalFormat, date_format, datetime_format
from sitegen.models.survey import BaseQuestion, Condition, Survey, choice_ids, scale_bounds

HONEYPOT_FIELD = "_website"
"""A field hidden from people; a bot that fills it is refused (see collector)."""
VERSION_FIELD = "v"
"""The survey version the form was built from: the collector checks the answers against that version."""
RESPONSE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""The whole id (`fullmatch`: `$` would let a trailing line break through)."""
EMAIL = re.compile(  # the HTML Standard's definition of a valid e-mail address, as browsers check it
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""The HTML Standard's valid floating-point number (what `<input type=number>` sends): ASCII digits, no spaces."""
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?")
"""What `<input type=date>` / `datetime-local` send; `fromisoformat` alone would also take `2026-W01-1`."""


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
RECORDED_META = ("user_agent",)
"""Meta the collector records itself (never on anonymous surveys), not sent by the form."""
MAX_EMAIL_LENGTH = 254
MAX_JSON_DEPTH = 16
"""How deep JSON may nest, in a body and in a stored value: a body's matrix answer is 3 deep. Python's parser itself
fails with RecursionError somewhere near 1,000, depending on how deep the stack already is."""
MAX_NUMBER = 10**15


def N_(message: str) -> str:
    """Mark a message for the catalogs; it is translated where it is shown."""
    return message


MESSAGES = {
    "required": N_("Please answer this question."),
    "one_value": N_("Give one answer only."),
    "not_a_number": N_("Enter a number."),
    "not_a_whole_number": N_("Choose one of the points of the scale."),
    "out_of_range": N_("Enter a number from %(min)s to %(max)s."),
    "not_a_choice": N_("Choose one of the answers offered."),
    "repeated_choice": N_("Choose each answer only once."),
    "too_few_picks": N_("Choose at least %(num)s."),
    "too_many_picks": N_("Choose at most %(num)s."),
    "too_long": N_("Use at most %(num)s characters."),
    "not_text": N_("Write your answer as text."),
    "control_characters": N_("Remove the invisible control characters from your answer."),
    "not_an_email": N_("Enter an e-mail address like name@example.com."),
    "not_a_date": N_("Enter a valid date."),
    "not_a_datetime": N_("Enter a valid date and time."),
    "unknown_item": N_("This row is not part of the question."),
    "not_a_table": N_("Answer each row of the table."),
    "unknown_field": N_("This is not a field of this survey."),
    "not_allowed": N_("This value is not allowed here."),
    "bad_response_id": N_("The response id is not valid."),
    "bad_language": N_("This language is not offered."),
    "not_an_object": N_('Send a JSON object with "answers".'),
}


class MalformedJson(ValueError):
    """A body that is not JSON as RFC 8259 and I-JSON (RFC 7493) define it; says why, in English."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission: which field, and a message code with values."""

    field: str
    code: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    @property
    def message(self) -> str:
        """The English message (the collector shows it translated)."""
        return MESSAGES[self.code] % self.params if self.params else MESSAGES[self.code]


class InvalidSubmission(Exception):
    """A submission with problems; carries all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


class _Refused(Exception):
    """One answer that cannot be read; becomes a Problem for its question."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Submission:
    """Answers that passed every rule, ready to store."""

    survey_id: str
    response_id: str
    lang: str
    meta: dict[str, str]
    answers: dict[str, Any]
    has_client_id: bool = True
    """False: the post carried no `rid` (a page without JavaScript), so `response_id` was made up here."""


# ---- reading one answer, by question type -------------------------------------------


def _single(values: list[Any]) -> Any:
    if len(values) != 1:
        raise _Refused("one_value")
    return values[0]


def _as_number(raw: Any) -> int | float:
    """A number from a form string or a JSON number; never a bool, NaN or a 400-digit integer."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise _Refused("not_a_number")
    if isinstance(raw, int):
        number: float = raw if abs(raw) <= MAX_NUMBER else math.inf
    elif isinstance(raw, float):
        number = raw
    elif len(raw) <= 40 and NUMBER.fullmatch(raw):
        number = float(raw)  # Python's float() would also take "1_0", " 7 " and Arabic-Indic digits
    else:
        raise _Refused("not_a_number")
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise _Refused("not_a_number")
    return int(number) if float(number).is_integer() else float(number)


def _read_scale(question: BaseQuestion, values: list[Any]) -> int:
    number = _as_number(_single(values))
    if not isinstance(number, int):
        raise _Refused("not_a_whole_number")
    low, high = scale_bounds(question)  # type: ignore[misc]
    if not low <= number <= high:
        raise _Refused("out_of_range", min=f"{low:g}", max=f"{high:g}")
    return number


def _read_number(question: BaseQuestion, values: list[Any]) -> int | float:
    number = _as_number(_single(values))
    low, high = question.min, question.max  # type: ignore[attr-defined]
    if (low is not None and number < low) or (high is not None and number > high):
        raise _Refused(
            "out_of_range", min=f"{low:g}" if low is not None else "…", max=f"{high:g}" if high is not None else "…"
        )
    return number


def _read_choice(question: BaseQuestion, values: list[Any]) -> str:
    choice = _single(values)
    if not isinstance(choice, str) or choice not in choice_ids(question):
        raise _Refused("not_a_choice")
    return choice


def _read_choices(question: BaseQuestion, values: list[Any]) -> list[str]:
    allowed = choice_ids(question)
    if any(not isinstance(choice, str) or choice not in allowed for choice in values):
        raise _Refused("not_a_choice")
    if len(set(values)) != len(values):
        raise _Refused("repeated_choice")
    fewest, most = question.min_picks, question.max_picks  # type: ignore[attr-defined]
    if fewest is not None and len(values) < fewest:
        raise _Refused("too_few_picks", num=fewest)
    if most is not None and len(values) > most:
        raise _Refused("too_many_picks", num=most)
    return [choice for choice in allowed if choice in values]


def _text(values: list[Any]) -> str:
    text = _single(values)
    if not isinstance(text, str):
        raise _Refused("not_text")
    if first_refused_character(CONTROL_CHARACTERS, text) is not None:
        raise _Refused("control_characters")
    # Browsers send line breaks as CRLF but count them as one character for maxlength.
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(LINE_BREAKS)


def _read_text(question: BaseQuestion, values: list[Any]) -> str:
    text = _text(values)
    if len(text) > question.max_length:  # type: ignore[attr-defined]
        raise _Refused("too_long", num=question.max_length)  # type: ignore[attr-defined]
    return text


def _read_email(question: BaseQuestion, values: list[Any]) -> str:
    email = _text(values).strip()
    if len(email) > MAX_EMAIL_LENGTH:
        raise _Refused("too_long", num=MAX_EMAIL_LENGTH)
    if not EMAIL.fullmatch(email):
        raise _Refused("not_an_email")
    return email


def _read_date(question: BaseQuestion, values: list[Any]) -> str:
    text = _text(values)
    try:
        if not DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise _Refused("not_a_date") from None


def _read_datetime(question: BaseQuestion, values: list[Any]) -> str:
    """`datetime-local` sends `2026-05-01T10:00` (seconds optional); kept as given, in ISO 8601."""
    text = _text(values)
    try:
        if not DATETIME.fullmatch(text):
            raise ValueError(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Refused("not_a_datetime") from None
    return moment.isoformat(timespec="minutes" if len(text) == 16 else "seconds")


READERS: dict[str, Callable[[BaseQuestion, list[Any]], Any]] = {
    "nps": _read_scale,
    "rating": _read_scale,
    "likert": _read_scale,
    "number": _read_number,
    "expectations": _read_choice,
    "single": _read_choice,
    "dropdown": _read_choice,
    "yes_no": _read_choice,
    "multiple": _read_choices,
    "text": _read_text,
    "textarea": _read_text,
    "email": _read_email,
    "date": _read_date,
    "datetime": _read_datetime,
}


LOCAL_FORMATS: dict[str, Callable[[str], LocalFormat]] = {"date": date_format, "datetime": datetime_format}
"""Types a person may also type as the page's hint shows (`31.12.2026`), where a browser gives a text box."""


def _local_as_iso(survey: Survey, raw: dict[str, Any], lang: str) -> dict[str, Any]:
    """Dates and times written in the page language's short form, as the ISO 8601 a native input sends."""
    converted = dict(raw)
    for question in survey.questions:
        local = LOCAL_FORMATS.get(question.type)
        values = raw.get(question.id)
        if local is not None and isinstance(values, list):
            converted[question.id] = [
                (local(lang).read(value) or value) if isinstance(value, str) else value for value in values
            ]
    return converted


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _read_matrix(question: BaseQuestion, rows: dict[str, list[Any]], problems: list[Problem]) -> dict[str, int]:
    """Each row is a scale of 1..points; a required matrix needs every row."""
    items = [item.id for item in question.items]  # type: ignore[attr-defined]
    answer: dict[str, int] = {}
    for item, values in rows.items():
        name = f"{question.id}.{item}"
        if item not in items:
            problems.append(Problem(name, "unknown_item"))
            continue
        try:
            number = _as_number(_single(values))
            if not isinstance(number, int) or not 1 <= number <= question.points:  # type: ignore[attr-defined]
                raise _Refused("out_of_range", min="1", max=str(question.points))  # type: ignore[attr-defined]
            answer[item] = number
        except _Refused as refused:
            problems.append(Problem(name, refused.code, refused.params))
    if question.required and answer and len(answer) < len(items):
        problems += [
            Problem(f"{question.id}.{item}", "required") for item in items if item not in answer and item not in rows
        ]
    return {item: answer[item] for item in items if item in answer}


def kept_moment(survey: Survey, moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """When a response is recorded as submitted: for an anonymous survey only the day (local midnight, in UTC)."""
    if not survey.is_anonymous:
        return moment.astimezone(dt.UTC)
    local_day = moment.astimezone(zone).date()
    return dt.datetime.combine(local_day, dt.time(), zone).astimezone(dt.UTC)


# ---- the whole survey ----------------------------------------------------------------


def condition_holds(condition: Condition, answer: Any) -> bool:
    """Whether an earlier answer passes a `show_if` test (an unanswered one never does)."""
    if answer is None:
        return False
    answers = answer if isinstance(answer, list) else [answer]
    op, expected = condition.operator, condition.value
    for value in answers:
        if op == "eq" and str(value) == str(expected):
            return True
        if op == "ne" and str(value) != str(expected):
            return True
        if op == "in" and str(value) in {str(item) for item in expected}:  # type: ignore[union-attr]
            return True
        if (
            op in ("lt", "le", "gt", "ge")
            and isinstance(value, (int, float))
            and {"lt": value < expected, "le": value <= expected, "gt": value > expected, "ge": value >= expected}[op]  # type: ignore[operator]
        ):
            return True
    return False


def validate_answers(survey: Survey, raw: dict[str, Any]) -> dict[str, Any]:
    """Read every answer of `raw` (question id -> list of values, matrix -> item -> list).

    Raises InvalidSubmission with every problem: wrong types and values,
    required questions unanswered, and answers to questions the survey does
    not have. An answer to a follow-up whose `show_if` does not hold is checked
    like any other, then left out: without JavaScript every follow-up is on
    the page, and a respondent who answers one that does not apply has done
    nothing wrong.
    """
    problems: list[Problem] = []
    answers: dict[str, Any] = {}
    for name in raw:
        if survey.question(name) is None:
            problems.append(Problem(name, "unknown_field"))
    for question in survey.questions:
        given = raw.get(question.id)
        is_asked = question.show_if is None or condition_holds(question.show_if, answers.get(question.show_if.question))
        is_matrix = question.type == "matrix"
        if given is not None and isinstance(given, dict) != is_matrix:
            problems.append(Problem(question.id, "not_a_table" if is_matrix else "one_value"))
            continue
        if is_matrix:
            rows = {item: values for item, values in (given or {}).items() if not all(_is_empty(v) for v in values)}
            if rows:
                table = _read_matrix(question, rows, problems)
                if is_asked:
                    answers[question.id] = table
            elif question.required and is_asked:
                problems.append(Problem(question.id, "required"))
            continue
        values = [value for value in (given or []) if not _is_empty(value)]
        if not values:
            if question.required and is_asked:
                problems.append(Problem(question.id, "required"))
            continue
        try:
            answer = READERS[question.type](question, values)
            if is_asked:
                answers[question.id] = answer
        except _Refused as refused:
            problems.append(Problem(question.id, refused.code, refused.params))
    if problems:
        raise InvalidSubmission(problems)
    return answers


def _response_id(given: Any, problems: list[Problem]) -> str:
    if _is_empty(given):
        return uuid.uuid4().hex
    if not isinstance(given, str) or not RESPONSE_ID.fullmatch(given):
        problems.append(Problem("rid", "bad_response_id"))
        return ""
    return given


def _language(given: Any, languages: list[str], problems: list[Problem]) -> str:
    if _is_empty(given):
        return languages[0]
    if given not in languages:
        problems.append(Problem("lang", "bad_language"))
        return languages[0]
    return str(given)


def _meta(survey: Survey, given: dict[str, Any], problems: list[Problem]) -> dict[str, str]:
    """Hidden fields (location, ...) with declared values only; the survey's stage is added."""
    meta: dict[str, str] = {}
    for name, value in given.items():
        if name == "stage" and name not in survey.hidden and value == survey.stage:
            continue  # an exported response carries the survey's own stage
        if name not in survey.hidden:
            problems.append(Problem(name, "unknown_field"))
        elif not _is_empty(value):
            if not isinstance(value, str) or value not in survey.hidden[name].values:
                problems.append(Problem(name, "not_allowed"))
            else:
                meta[name] = value
    if survey.stage is not None:
        meta.setdefault("stage", survey.stage)
    return meta


def _submission(
    survey: Survey, languages: list[str], rid: Any, lang: Any, hidden: dict[str, Any], raw: dict[str, Any]
) -> Submission:
    problems: list[Problem] = []
    response_id = _response_id(rid, problems)
    language = _language(lang, languages, problems)
    meta = _meta(survey, hidden, problems)
    try:
        answers = validate_answers(survey, _local_as_iso(survey, raw, language))
    except InvalidSubmission as invalid:
        problems += invalid.problems
    if problems:
        raise InvalidSubmission(problems)
    return Submission(survey.id, response_id, language, meta, answers, has_client_id=not _is_empty(rid))


def read_form(survey: Survey, languages: list[str], pairs: Iterable[tuple[str, str]]) -> Submission:
    """A form post (`name=value` pairs, names repeated for `multiple`, `q.item` for a matrix)."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    problems: list[Problem] = []
    single: dict[str, Any] = {}
    for name in ("rid", "lang", VERSION_FIELD, *survey.hidden):
        values = fields.pop(name, [])
        if len(values) > 1:
            problems.append(Problem(name, "one_value"))
        single[name] = values[0] if values else None
    fields.pop(HONEYPOT_FIELD, None)
    raw: dict[str, Any] = {}
    for name, values in fields.items():
        question_id, dot, item = name.partition(".")
        if dot:
            raw.setdefault(question_id, {})
            if isinstance(raw[question_id], dict):
                raw[question_id][item] = values
            else:
                problems.append(Problem(name, "unknown_field"))
        else:
            raw[name] = values
    hidden = {name: single[name] for name in survey.hidden}
    try:
        submission = _submission(survey, languages, single["rid"], single["lang"], hidden, raw)
    except InvalidSubmission as invalid:
        raise InvalidSubmission(problems + invalid.problems) from None
    if problems:
        raise InvalidSubmission(problems)
    return submission


def read_json(survey: Survey, languages: list[str], document: Any) -> Submission:
    """A JSON body `{"rid", "lang", "v", "meta": {...}, "answers": {...}}`."""
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("answers", {}), dict)
        or not isinstance(document.get("meta", {}), dict)
    ):
        raise InvalidSubmission([Problem("answers", "not_an_object")])
    unknown = [
        Problem(key, "unknown_field")
        for key in document
        if key not in ("rid", "lang", VERSION_FIELD, "meta", "answers")
    ]
    raw: dict[str, Any] = {}
    for name, value in document.get("answers", {}).items():
        if isinstance(value, dict):
            raw[name] = {item: [cell] for item, cell in value.items()}
        else:
            raw[name] = value if isinstance(value, list) else [value]
    try:
        submission = _submission(
            survey, languages, document.get("rid"), document.get("lang"), document.get("meta", {}), raw
        )
    except InvalidSubmission as invalid:
        raise InvalidSubmission(unknown + invalid.problems) from None
    if unknown:
        raise InvalidSubmission(unknown)
    return submission


def parse_json(body: bytes) -> Any:
    """A JSON body, strictly: UTF-8 only (RFC 8259 section 8.1), unique names, no lone surrogates in names and no
    NaN or Infinity (RFC 7493 sections 2.1-2.3), nesting within what the parser can take."""
    try:
        document = json.loads(body.decode("utf-8"), object_pairs_hook=_unique_names, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise MalformedJson("The body is not UTF-8") from None
    except RecursionError:
        raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} deep") from None
    except MalformedJson:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer of more than 4,300 digits
        raise MalformedJson(f"The body is not valid JSON ({error})") from None
    # Counting brackets (in C) spares the walk for every body that cannot be that deep.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and is_nested_deeper(document, MAX_JSON_DEPTH):
        raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} deep")
    return document


def is_nested_deeper(value: Any, limit: int) -> bool:
    """Whether lists and objects in `value` nest more than `limit` deep (walked without recursion)."""
    waiting = [(value, 1)]
    while waiting:
        item, depth = waiting.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            waiting.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose names are each given once (a duplicate would silently replace the first) and are text."""
    members = dict(pairs)
    if len(members) != len(pairs):
        names = [name for name, _ in pairs]
        repeated = next(name for name in members if names.count(name) > 1)
        raise MalformedJson(f"The name {json.dumps(repeated)} is given twice in one object")
    if any(first_refused_character(NON_TEXT, name) is not None for name in members):
        raise MalformedJson("A name holds a lone surrogate or a noncharacter, which are not text")
    return members


def _no_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON number")
