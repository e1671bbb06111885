"""A respondent's answers -> typed values checked against the survey, or problems to show them.

This is where a submission's rules are applied (required, `show_if`,
hidden-field values, unknown fields); each answer is read by its question
type's reader (`sitegen.question_types`: types, ranges, choices, lengths).
The collector runs it on every POST and `responses import` on every line;
the form's HTML5 attributes come from the same survey model attributes.

Form bodies and JSON bodies are first brought to one shape: each answer is a
list of raw values (a matrix: a mapping item -> list), then read by type.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import msgspec
import orjson

from sitegen.date_formats import LocalFormat
from sitegen.i18n import UiText
from sitegen.models.common import per_model
from sitegen.models.survey import Condition, Question, Survey
from sitegen.question_types import Reader, type_of
from sitegen.refusals import MESSAGES, NON_TEXT, Refused, first_refused_character

HONEYPOT_FIELD = "_website"
"""A field hidden from people; a bot that fills it is refused (see collector)."""
VERSION_FIELD = "v"
"""The survey version the form was built from: the collector checks the answers against that version."""
RESPONSE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""The whole id (`fullmatch`: `$` would let a trailing line break through)."""
RECORDED_META = ("user_agent",)
"""Meta the collector records itself (never on anonymous surveys), not sent by the form."""
MAX_JSON_DEPTH = 16
"""How deep JSON may nest, in a body and in a stored value: a body's matrix answer is 3 deep. Python's parser itself
fails with RecursionError somewhere near 1,000, depending on how deep the stack already is."""


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


def problem_rows(survey: Survey, lang: str, fallback: str, problems: list[Problem]) -> list[dict[str, str]]:
    """Each problem with the question's label and the message in the page's language (`fallback` for labels)."""
    ui = UiText(lang)
    rows = []
    for problem in problems:
        question = survey.question(problem.field.split(".")[0])
        label = question.label.get(lang, fallback) if question and question.label else problem.field
        rows.append(
            {"field": problem.field, "label": label, "message": ui.gettext(MESSAGES[problem.code], **problem.params)}
        )
    return rows


class InvalidSubmission(Exception):
    """A submission with problems; carries all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


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


# ---- the whole survey ----------------------------------------------------------------


@dataclass(frozen=True)
class _Asked:
    """An asked question with what reading its answer looks up, worked out once per survey (`_rules_of`)."""

    question: Question
    read: Reader
    is_table: bool
    items: tuple[str, ...]
    """A table's item ids; empty for any other type."""
    shown_if: tuple[str, str, Any] | None
    """`show_if` as (the earlier question's id, operator, value: `in` as a set of texts)."""
    local: Callable[[str], LocalFormat] | None
    """A date or time question's local format (`_local_as_iso`)."""
    plain: Any
    """The msgspec type of the JSON values its type's reader gives back unchanged (`QuestionType.plain`), or None."""


@dataclass(frozen=True)
class _Rules:
    """What `validate_answers` asks of a survey's model, looked up once per survey rather than once per answer."""

    asked: tuple[_Asked, ...]
    ids: frozenset[str]
    local: tuple[tuple[str, Callable[[str], LocalFormat]], ...]
    """(question id, its type's local format) of each date or time question."""
    ordered: tuple[tuple[str, str], ...]
    """(question id, the id its `not_before` names) of each asked question that has one."""
    plain: type[msgspec.Struct] | None
    """The JSON answers `plain_answers` reads in one call to msgspec; None when a table's type has no plain form."""


@per_model
def _rules_of(survey: Survey) -> _Rules:
    """The survey's `_Rules`, worked out once per survey object (`per_model`): the collector and the import ask for
    them with every answer."""
    asked = []
    for question in survey.asked:
        entry = type_of(question)
        items = tuple(item.id for item in question.items) if entry.is_table else ()  # type: ignore[attr-defined]
        condition = question.show_if
        shown_if = None if condition is None else (condition.question, *_test_of(condition))
        plain = None if entry.plain is None else entry.plain(question)
        local = type_of(question).local_format
        asked.append(_Asked(question, entry.reader, entry.is_table, items, shown_if, local, plain))
    local_formats = tuple(
        (question.id, local_format)
        for question in survey.questions
        if (local_format := type_of(question).local_format) is not None
    )
    ordered = tuple(
        (question.id, other)
        for question in survey.asked
        if "not_before" in type(question).model_fields and (other := getattr(question, "not_before", None))
    )
    ids = frozenset(question.id for question in survey.asked)
    return _Rules(tuple(asked), ids, local_formats, ordered, _plain_struct(survey.id, asked))


def _plain_struct(name: str, asked: list[_Asked]) -> type[msgspec.Struct] | None:
    """The msgspec Struct of a JSON body's `answers` that `plain_answers` reads: each asked question by its id (no
    other name), its plain type or any value; a table as a Struct of its items, each plain. Null or missing: none."""
    fields: list[tuple[str, Any]] = []
    for rule in asked:
        if rule.is_table and rule.plain is None:
            return None
        kind = Any if rule.plain is None else rule.plain
        if rule.is_table:
            kind = _struct(f"{name}.{rule.question.id}", [(item, kind) for item in rule.items])
        fields.append((rule.question.id, kind))
    return _struct(name, fields)


def _struct(name: str, fields: list[tuple[str, Any]]) -> type[msgspec.Struct]:
    """A Struct of these (JSON name, type) fields, each also null and left out when missing or null (the names may
    be any text: the fields are numbered and renamed)."""
    numbered = [(f"f{number}", kind | None, None) for number, (_name, kind) in enumerate(fields)]
    renamed = {f"f{number}": json_name for number, (json_name, _kind) in enumerate(fields)}
    return msgspec.defstruct(
        "Plain", numbered, rename=renamed, forbid_unknown_fields=True, omit_defaults=True, module=__name__
    )


def _local_as_iso(survey: Survey, raw: dict[str, Any], lang: str) -> dict[str, Any]:
    """Dates and times written in the page language's short form, as the ISO 8601 a native input sends."""
    converted = dict(raw)
    for question_id, local in _rules_of(survey).local:
        values = raw.get(question_id)
        if isinstance(values, list):
            converted[question_id] = _as_iso(local, lang, values)
    return converted


def _as_iso(local: Callable[[str], LocalFormat], lang: str, values: list[Any]) -> list[Any]:
    return [(local(lang).read(value) or value) if isinstance(value, str) else value for value in values]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _read_one(rule: _Asked, values: list[Any], problems: list[Problem]) -> Any:
    """The answer its type's reader makes of `values`, or None with the reason among `problems`."""
    try:
        return rule.read(rule.question, values)
    except Refused as refused:
        problems.append(Problem(rule.question.id, refused.code, refused.params))
        return None


def _read_table(rule: _Asked, rows: dict[str, list[Any]], problems: list[Problem]) -> dict[str, Any]:
    """Each row read by the type's reader; a required table needs every row once one is answered."""
    question, items = rule.question, rule.items
    answer: dict[str, Any] = {}
    for item, values in rows.items():
        name = f"{question.id}.{item}"
        if item not in items:
            problems.append(Problem(name, "unknown_item"))
            continue
        try:
            answer[item] = rule.read(question, values)
        except Refused as refused:
            problems.append(Problem(name, refused.code, refused.params))
    if question.required and answer and len(answer) < len(items):
        problems += [Problem(f"{question.id}.{item}", "required") for item in items if item not in rows]
    return {item: answer[item] for item in items if item in answer}


def kept_moment(survey: Survey, moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """When a response is recorded as submitted: for an anonymous survey only the day (local midnight, in UTC)."""
    if not survey.is_anonymous:
        return moment.astimezone(dt.UTC)
    local_day = moment.astimezone(zone).date()
    return dt.datetime.combine(local_day, dt.time(), zone).astimezone(dt.UTC)


def _test_of(condition: Condition) -> tuple[str, Any]:
    """(operator, value) of a `show_if` test; the values of `in` as the set of texts an answer is looked up in."""
    ((op, expected),) = condition.operators.items()
    return op, frozenset(str(item) for item in expected) if op == "in" else expected  # type: ignore[union-attr]


def condition_holds(condition: Condition, answer: Any) -> bool:
    """Whether an earlier answer passes a `show_if` test (an unanswered one never does)."""
    return _test_holds(*_test_of(condition), answer)


def _test_holds(op: str, expected: Any, answer: Any) -> bool:
    """`condition_holds` with the test's operator and value (`_test_of`) looked up already."""
    if answer is None:
        return False
    answers = answer if isinstance(answer, list) else [answer]
    for value in answers:
        if op == "eq" and str(value) == str(expected):
            return True
        if op == "ne" and str(value) != str(expected):
            return True
        if op == "in" and str(value) in expected:
            return True
        if (
            op in ("lt", "le", "gt", "ge")
            and isinstance(value, (int, float))
            and {"lt": value < expected, "le": value <= expected, "gt": value > expected, "ge": value >= expected}[op]
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
    rules = _rules_of(survey)
    problems += [Problem(name, "unknown_field") for name in raw if name not in rules.ids]
    for rule in rules.asked:
        question, shown_if, is_table = rule.question, rule.shown_if, rule.is_table
        given = raw.get(question.id)
        is_asked = shown_if is None or _test_holds(shown_if[1], shown_if[2], answers.get(shown_if[0]))
        if given is not None and isinstance(given, dict) != is_table:
            problems.append(Problem(question.id, "not_a_table" if is_table else "one_value"))
            continue
        given_values: Any = (
            {item: values for item, values in (given or {}).items() if not all(_is_empty(v) for v in values)}
            if is_table
            else [value for value in (given or []) if not _is_empty(value)]
        )
        if not given_values:
            if question.is_required_when(is_asked):
                problems.append(Problem(question.id, "required"))
            continue
        answer = (_read_table if is_table else _read_one)(rule, given_values, problems)
        if answer is not None and is_asked:
            answers[question.id] = answer
    problems += _order_problems(survey, answers)
    if problems:
        raise InvalidSubmission(problems)
    return answers


class _NotPlain(Exception):
    """An answer `plain_answers` leaves to `validate_answers`, which says what is wrong with it."""


def plain_answers(survey: Survey, lang: str, given: dict[str, Any]) -> dict[str, Any] | None:
    """What `validate_answers` gives for a JSON body's `answers` (as `read_json` hands them over, in `lang`), when
    no answer is wrong; None otherwise, for `validate_answers` to read and say why.

    The scales and choices, the answers a response mostly holds, are checked by msgspec in C, in one call for the
    whole body, against the values their readers give back unchanged (`QuestionType.plain`); the other answers by
    their readers. `responses import` reads millions of lines: about 25 µs a response for the readers, about 5 here.
    """
    rules = _rules_of(survey)
    if rules.plain is None:
        return None
    answers: dict[str, Any] = {}
    try:
        decoded = msgspec.to_builtins(msgspec.convert(given, rules.plain))
        for rule in rules.asked:
            question, shown_if = rule.question, rule.shown_if
            is_asked = shown_if is None or _test_holds(shown_if[1], shown_if[2], answers.get(shown_if[0]))
            given_value = decoded.get(question.id)
            answer = (
                given_value if rule.plain is not None or given_value is None else _read_plainly(rule, given_value, lang)
            )
            if answer is None or (rule.is_table and not answer):
                if question.is_required_when(is_asked):
                    raise _NotPlain
                continue
            if rule.is_table and question.required and len(answer) < len(rule.items):
                raise _NotPlain
            if is_asked:
                answers[question.id] = answer
    except (msgspec.ValidationError, Refused, _NotPlain):
        return None
    return None if _order_problems(survey, answers) else answers


def _read_plainly(rule: _Asked, given: Any, lang: str) -> Any:
    """One given answer of a type without a plain form, read as `read_json` and `validate_answers` read it; None if
    it is empty."""
    if isinstance(given, dict):
        raise _NotPlain
    values = given if isinstance(given, list) else [given]
    if rule.local is not None:
        values = _as_iso(rule.local, lang, values)
    values = [value for value in values if not _is_empty(value)]
    return rule.read(rule.question, values) if values else None


def _order_problems(survey: Survey, answers: dict[str, Any]) -> list[Problem]:
    """`not_before`: a datetime answer that precedes the one it names (resolved before opened) is a mistake.

    Both are ISO texts of the same form (`datetime-local`, wall time), so they compare as text.
    """
    return [
        Problem(question_id, "before_other")
        for question_id, other in _rules_of(survey).ordered
        if question_id in answers and other in answers and answers[question_id] < answers[other]
    ]


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
    survey: Survey,
    languages: list[str],
    rid: Any,
    lang: Any,
    hidden: dict[str, Any],
    read_answers: Callable[[str], dict[str, Any]],
) -> Submission:
    """The submission whose answers `read_answers` reads in its language; InvalidSubmission with every problem."""
    problems: list[Problem] = []
    response_id = _response_id(rid, problems)
    language = _language(lang, languages, problems)
    meta = _meta(survey, hidden, problems)
    try:
        answers = read_answers(language)
    except InvalidSubmission as invalid:
        problems += invalid.problems
    if problems:
        raise InvalidSubmission(problems)
    return Submission(survey.id, response_id, language, meta, answers, has_client_id=not _is_empty(rid))


def _form_fields(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def _raw_answers(fields: dict[str, list[str]], problems: list[Problem]) -> dict[str, Any]:
    """Question id -> values, a matrix's `q.item` fields gathered into item -> values."""
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
    return raw


def read_form(survey: Survey, languages: list[str], pairs: Iterable[tuple[str, str]]) -> Submission:
    """A form post (`name=value` pairs, names repeated for `multiple`, `q.item` for a matrix)."""
    fields = _form_fields(pairs)
    problems: list[Problem] = []
    single: dict[str, Any] = {}
    for name in ("rid", "lang", VERSION_FIELD, *survey.hidden):
        values = fields.pop(name, [])
        if len(values) > 1:
            problems.append(Problem(name, "one_value"))
        single[name] = values[0] if values else None
    fields.pop(HONEYPOT_FIELD, None)
    raw = _raw_answers(fields, problems)
    hidden = {name: single[name] for name in survey.hidden}
    try:
        submission = _submission(
            survey, languages, single["rid"], single["lang"], hidden, functools.partial(_validated, survey, raw)
        )
    except InvalidSubmission as invalid:
        raise InvalidSubmission(problems + invalid.problems) from None
    if problems:
        raise InvalidSubmission(problems)
    return submission


def questions_left(survey: Survey, kept: dict[str, Any]) -> list[Question]:
    """The questions a stored entry left empty and may be completed later: asked of it, and not required (a
    required one was answered when it was stored)."""
    return [
        question
        for question in survey.asked
        if question.id not in kept
        and not question.is_required_when(True)
        and (question.show_if is None or condition_holds(question.show_if, kept.get(question.show_if.question)))
    ]


def read_completion(
    survey: Survey, lang: str, kept: dict[str, Any], pairs: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """The answers a later form adds to a stored entry (`questions_left` only), read by the same rules as the
    first post, and ordered against the kept ones (resolved at is not before opened at); InvalidSubmission."""
    problems: list[Problem] = []
    left = survey.model_copy(update={"questions": questions_left(survey, kept)})
    raw = _raw_answers(_form_fields(pairs), problems)
    try:
        added = _validated(left, raw, lang)
    except InvalidSubmission as invalid:
        raise InvalidSubmission(problems + invalid.problems) from None
    problems += [problem for problem in _order_problems(survey, {**kept, **added}) if problem.field in added]
    if problems:
        raise InvalidSubmission(problems)
    return added


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
    read_answers = functools.partial(_json_answers, survey, document.get("answers", {}))
    try:
        submission = _submission(
            survey, languages, document.get("rid"), document.get("lang"), document.get("meta", {}), read_answers
        )
    except InvalidSubmission as invalid:
        raise InvalidSubmission(unknown + invalid.problems) from None
    if unknown:
        raise InvalidSubmission(unknown)
    return submission


def _json_answers(survey: Survey, given: dict[str, Any], lang: str) -> dict[str, Any]:
    """A JSON body's answers: plain ones at once (`plain_answers`), any other brought to the form's shape (each a
    list of values, a table item -> list) and read by `validate_answers`."""
    plain = plain_answers(survey, lang, given)
    if plain is not None:
        return plain
    return _validated(survey, form_shape(given), lang)


def form_shape(given: dict[str, Any]) -> dict[str, Any]:
    """A JSON body's answers as a form's: each a list of values, a table item -> list."""
    raw: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, dict):
            raw[name] = {item: [cell] for item, cell in value.items()}
        else:
            raw[name] = value if isinstance(value, list) else [value]
    return raw


def _validated(survey: Survey, raw: dict[str, Any], lang: str) -> dict[str, Any]:
    """`validate_answers` of answers in the form's shape, their dates as the page language writes them."""
    return validate_answers(survey, _local_as_iso(survey, raw, lang))


def parse_json(body: bytes) -> Any:
    """A JSON body, strictly: UTF-8 only (RFC 8259 section 8.1), unique names, no lone surrogates in names and no
    NaN or Infinity (RFC 7493 sections 2.1-2.3), nesting within what the parser can take.

    orjson reads it first (`responses import` parses millions of lines); whatever it refuses or cannot vouch for
    is read again by the standard library's parser, whose refusal gives the message, so both refuse alike.
    """
    document = _quick_document(body)
    if document is _UNVOUCHED:
        document = _strict_document(body)
        if _is_too_deep(body, document):
            raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} deep")
    return document


def _is_too_deep(body: bytes, document: Any) -> bool:
    """Whether `document` (read from `body`) nests more than MAX_JSON_DEPTH deep.

    Counting brackets (in C) spares the walk for every body that cannot be that deep.
    """
    return body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and is_nested_deeper(document, MAX_JSON_DEPTH)


_UNVOUCHED = object()
"""What `_quick_document` gives for a body it leaves to the strict parser."""
WIDEST_INTEGER = 2**63
"""orjson reads an integer beyond 64 bits as a float (the standard library keeps it exact): a float this large may
have been one."""


def _quick_document(body: bytes) -> Any:
    """`body` read by orjson, if it is what the strict parser gives for it; else _UNVOUCHED.

    orjson refuses what the strict parser refuses but for a name given twice in one object (orjson keeps the
    last), a name holding a noncharacter and an integer beyond 64 bits (a float to orjson), checked here; too
    deep a document is left to the strict parser, which may find another fault first. A name given twice leaves
    fewer ':' in orjson's writing of the document than in the body: each member has one outside its strings, and
    a string keeps its own unless the body escapes one (`\\u003a`, left to the strict parser too).
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _UNVOUCHED
    names: list[str] = []
    waiting = [document]
    while waiting:
        item = waiting.pop()
        kind = type(item)
        if kind is dict:
            names += item
            waiting += item.values()
        elif kind is list:
            waiting += item
        elif kind is float and abs(item) >= WIDEST_INTEGER:
            return _UNVOUCHED
    if (
        _is_too_deep(body, document)  # the strict parser says what else may be wrong with it first
        or b"\\u003" in body
        or body.count(b":") != orjson.dumps(document).count(b":")
        or first_refused_character(NON_TEXT, "".join(names)) is not None
    ):
        return _UNVOUCHED
    return document


def _strict_document(body: bytes) -> Any:
    """`body` read by the standard library's parser, refusing what `parse_json` refuses, with the reason."""
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_unique_names, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise MalformedJson("The body is not UTF-8") from None
    except RecursionError:
        raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} deep") from None
    except MalformedJson:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer of more than 4,300 digits
        raise MalformedJson(f"The body is not valid JSON ({error})") from None


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
