"""The answer rules: one reader per question type, survey-wide rules, form and JSON bodies."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.answers import (
    MAX_JSON_DEPTH,
    InvalidSubmission,
    MalformedJson,
    _strict_document,
    condition_holds,
    is_nested_deeper,
    parse_json,
    read_form,
    read_json,
    validate_answers,
)
from sitegen.loading import parse_yaml
from sitegen.models.survey import Condition, Survey
from sitegen.validation import validate_document

SURVEY_YAML = """\
id: all-types
title: All types
audience: customer
stage: purchase
hidden: {location: [riga-centre, jelgava]}
questions:
  - {id: recommend, type: nps, required: true, label: R}
  - {id: improve, type: textarea, max_length: 10, show_if: {question: recommend, lt: 9}, label: I}
  - {id: stars, type: rating, points: 4, label: S}
  - {id: agree, type: likert, points: 7, label: A}
  - {id: met, type: expectations, label: M}
  - {id: one, type: single, label: O, choices: [{id: a, label: A}, {id: b, label: B}]}
  - {id: why, type: text, show_if: {question: one, in: [b]}, label: W}
  - {id: many, type: multiple, min_picks: 1, max_picks: 2, label: Y,
     choices: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]}
  - {id: pick, type: dropdown, label: P, choices: [{id: a, label: A}, {id: b, label: B}]}
  - {id: ok, type: yes_no, label: K}
  - {id: name, type: text, max_length: 5, label: N}
  - {id: years, type: number, min: 0, max: 50, label: Y}
  - {id: email, type: email, label: E}
  - {id: day, type: date, label: D}
  - {id: opened_at, type: datetime, label: T}
  - {id: closed_at, type: datetime, not_before: opened_at, label: C}
  - {id: grid, type: matrix, points: 5, required: true, label: G, items: [{id: coffee, label: C}, {id: tea, label: T}]}
"""
LANGUAGES = ["lv", "en"]


@pytest.fixture(scope="module")
def survey() -> Survey:
    model, errors = validate_document(parse_yaml(SURVEY_YAML, "all-types.yaml"), Survey)
    assert not errors and model is not None
    return model


def problems(survey: Survey, raw: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(InvalidSubmission) as refused:
        validate_answers(survey, raw)
    return {(problem.field, problem.code) for problem in refused.value.problems}


BASE = {"recommend": ["9"], "grid": {"coffee": ["4"], "tea": ["5"]}}
EXPECTED_BASE = {"recommend": 9, "grid": {"coffee": 4, "tea": 5}}


def test_every_type_is_stored_as_the_design_says(survey: Survey) -> None:
    raw = {
        **BASE,
        "recommend": ["7"],
        "improve": ["a\r\nb"],
        "stars": ["4"],
        "agree": ["7"],
        "met": ["exceeded"],
        "one": ["b"],
        "why": ["x"],
        "many": ["c", "a"],
        "pick": ["b"],
        "ok": ["no"],
        "name": ["Anna"],
        "years": ["2.5"],
        "email": [" a@b.lv "],
        "day": ["2026-05-01"],
        "opened_at": ["2026-05-01T10:00"],
    }
    assert validate_answers(survey, raw) == {
        "recommend": 7,
        "improve": "a\nb",
        "stars": 4,
        "agree": 7,
        "met": "exceeded",
        "one": "b",
        "why": "x",
        "many": ["a", "c"],
        "pick": "b",
        "ok": "no",
        "name": "Anna",
        "years": 2.5,
        "email": "a@b.lv",
        "day": "2026-05-01",
        "opened_at": "2026-05-01T10:00",
        "grid": {"coffee": 4, "tea": 5},
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"recommend": ["11"]}, ("recommend", "out_of_range")),
        ({"recommend": ["-1"]}, ("recommend", "out_of_range")),
        ({"recommend": ["7.5"]}, ("recommend", "not_a_whole_number")),
        ({"recommend": ["seven"]}, ("recommend", "not_a_number")),
        ({"recommend": ["nan"]}, ("recommend", "not_a_number")),
        ({"recommend": ["7", "8"]}, ("recommend", "one_value")),
        ({"stars": ["5"]}, ("stars", "out_of_range")),
        ({"agree": ["0"]}, ("agree", "out_of_range")),
        ({"met": ["great"]}, ("met", "not_a_choice")),
        ({"one": ["c"]}, ("one", "not_a_choice")),
        ({"many": ["a", "b", "c"]}, ("many", "too_many_picks")),
        ({"many": ["a", "a"]}, ("many", "repeated_choice")),
        ({"many": ["z"]}, ("many", "not_a_choice")),
        ({"pick": ["c"]}, ("pick", "not_a_choice")),
        ({"ok": ["maybe"]}, ("ok", "not_a_choice")),
        ({"name": ["Annabel"]}, ("name", "too_long")),
        ({"years": ["51"]}, ("years", "out_of_range")),
        ({"years": ["1e400"]}, ("years", "not_a_number")),
        ({"email": ["not-an-address"]}, ("email", "not_an_email")),
        ({"day": ["2026-02-30"]}, ("day", "not_a_date")),
        ({"day": ["1.5.2026"]}, ("day", "not_a_date")),
        ({"opened_at": ["2026-05-01 10:00"]}, ("opened_at", "not_a_datetime")),
        ({"grid": {"coffee": ["4"]}}, ("grid.tea", "required")),
        ({"grid": {"coffee": ["6"], "tea": ["1"]}}, ("grid.coffee", "out_of_range")),
        ({"grid": {"coffee": ["1"], "tea": ["1"], "milk": ["1"]}}, ("grid.milk", "unknown_item")),
        ({"colour": ["red"]}, ("colour", "unknown_field")),
    ],
)
def test_each_rule_refuses_what_breaks_it(survey: Survey, raw: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in problems(survey, {**BASE, **raw})


def test_a_required_question_must_be_answered(survey: Survey) -> None:
    assert problems(survey, {"grid": BASE["grid"]}) == {("recommend", "required")}
    assert problems(survey, {"recommend": ["9"]}) == {("grid", "required")}


def test_a_textarea_counts_a_line_break_as_one_character_like_the_browser(survey: Survey) -> None:
    assert (
        validate_answers(survey, {**BASE, "recommend": ["5"], "improve": ["12345\r\n789"]})["improve"] == "12345\n789"
    )


def test_an_answer_to_a_follow_up_that_show_if_hid_is_left_out_not_refused(survey: Survey) -> None:
    # Without JavaScript every follow-up is on the page: a promoter may fill in "what would make it a 10?".
    assert validate_answers(survey, {**BASE, "recommend": ["10"], "improve": ["x"]}) == {
        **EXPECTED_BASE,
        "recommend": 10,
    }
    assert validate_answers(survey, {**BASE, "one": ["a"], "why": ["x"]}) == {**EXPECTED_BASE, "one": "a"}


def test_an_answer_to_a_hidden_follow_up_that_breaks_its_rules_is_still_refused(survey: Survey) -> None:
    assert problems(survey, {**BASE, "recommend": ["10"], "improve": ["x" * 11]}) == {("improve", "too_long")}


def test_a_follow_up_is_optional_even_when_shown(survey: Survey) -> None:
    assert "improve" not in validate_answers(survey, {**BASE, "recommend": ["3"]})


@pytest.mark.parametrize(
    ("condition", "answer", "holds"),
    [
        ({"question": "q", "lt": 9}, 8, True),
        ({"question": "q", "lt": 9}, 9, False),
        ({"question": "q", "le": 9}, 9, True),
        ({"question": "q", "gt": 3}, 4, True),
        ({"question": "q", "ge": 3}, 2, False),
        ({"question": "q", "eq": "yes"}, "yes", True),
        ({"question": "q", "ne": "yes"}, "no", True),
        ({"question": "q", "in": ["a", "b"]}, ["c", "b"], True),
        ({"question": "q", "in": ["a", "b"]}, "c", False),
        ({"question": "q", "lt": 9}, None, False),
    ],
)
def test_show_if_operators(condition: dict[str, Any], answer: Any, holds: bool) -> None:
    assert condition_holds(Condition.model_validate(condition), answer) is holds


def test_a_form_post_brings_rid_lang_hidden_fields_and_matrix_items(survey: Survey) -> None:
    pairs = [
        ("recommend", "9"),
        ("grid.coffee", "3"),
        ("grid.tea", "4"),
        ("many", "a"),
        ("many", "b"),
        ("rid", "abcdefgh1234"),
        ("lang", "en"),
        ("location", "jelgava"),
        ("_website", ""),
    ]
    submission = read_form(survey, LANGUAGES, pairs)
    assert submission.response_id == "abcdefgh1234" and submission.lang == "en"
    assert submission.meta == {"location": "jelgava", "stage": "purchase"}
    assert submission.answers == {"recommend": 9, "many": ["a", "b"], "grid": {"coffee": 3, "tea": 4}}


def test_a_form_without_rid_or_lang_gets_a_fresh_id_and_the_default_language(survey: Survey) -> None:
    first = read_form(survey, LANGUAGES, [("recommend", "9"), ("grid.coffee", "3"), ("grid.tea", "4")])
    second = read_form(survey, LANGUAGES, [("recommend", "9"), ("grid.coffee", "3"), ("grid.tea", "4")])
    assert first.lang == "lv" and first.response_id != second.response_id


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ([("location", "evil")], "location", "not_allowed"),
        ([("lang", "de")], "lang", "bad_language"),
        ([("rid", "x y")], "rid", "bad_response_id"),
        ([("rid", "abcdefgh1"), ("rid", "abcdefgh2")], "rid", "one_value"),
    ],
)
def test_form_fields_beside_the_answers_are_checked(
    survey: Survey, extra: list[tuple[str, str]], field: str, code: str
) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        read_form(survey, LANGUAGES, [("recommend", "9"), ("grid.coffee", "3"), ("grid.tea", "4"), *extra])
    assert (field, code) in {(p.field, p.code) for p in refused.value.problems}


LABELLED_HIDDEN = """\
hidden:
  location:
    label: {lv: Kafejnīca, en: Café}
    values: {riga-centre: {lv: Rīgas centrs, en: Riga centre}, jelgava: Jelgava}"""


@pytest.mark.parametrize("labelled", [False, True], ids=["list-of-ids", "labelled"])
def test_a_hidden_field_takes_exactly_its_declared_ids_never_their_labels(labelled: bool) -> None:
    text = (
        SURVEY_YAML.replace("hidden: {location: [riga-centre, jelgava]}", LABELLED_HIDDEN) if labelled else SURVEY_YAML
    )
    survey, errors = validate_document(parse_yaml(text, "all-types.yaml"), Survey)
    assert not errors and survey is not None
    answers = [("recommend", "9"), ("grid.coffee", "3"), ("grid.tea", "4")]
    assert read_form(survey, LANGUAGES, [*answers, ("location", "riga-centre")]).meta["location"] == "riga-centre"
    for value in ("Riga centre", "Rīgas centrs", "Jelgava", "ogre"):
        with pytest.raises(InvalidSubmission) as refused:
            read_form(survey, LANGUAGES, [*answers, ("location", value)])
        assert ("location", "not_allowed") in {(p.field, p.code) for p in refused.value.problems}


def test_a_json_body_uses_typed_values_and_refuses_booleans_for_numbers(survey: Survey) -> None:
    document = {
        "rid": "abcdefgh1234",
        "lang": "lv",
        "meta": {"location": "riga-centre"},
        "answers": {"recommend": 10, "many": ["c"], "grid": {"coffee": 1, "tea": 2}},
    }
    assert read_json(survey, LANGUAGES, document).answers == {
        "recommend": 10,
        "many": ["c"],
        "grid": {"coffee": 1, "tea": 2},
    }
    with pytest.raises(InvalidSubmission) as refused:
        read_json(survey, LANGUAGES, {"answers": {"recommend": True, "grid": [1, 2]}, "extra": 1})
    assert {(p.field, p.code) for p in refused.value.problems} == {
        ("recommend", "not_a_number"),
        ("grid", "not_a_table"),
        ("extra", "unknown_field"),
    }


@pytest.mark.parametrize("document", [[], "x", {"answers": []}, {"answers": {}, "meta": "x"}])
def test_a_json_body_that_is_not_an_object_is_refused(survey: Survey, document: Any) -> None:
    with pytest.raises(InvalidSubmission):
        read_json(survey, LANGUAGES, document)


@given(st.dictionaries(st.text(max_size=10), st.lists(st.text(max_size=12), max_size=3), max_size=8))
def test_any_form_either_passes_every_rule_or_is_refused_without_a_crash(raw: dict[str, list[str]]) -> None:
    model, _ = validate_document(parse_yaml(SURVEY_YAML, "all-types.yaml"), Survey)
    assert model is not None
    try:
        answers = validate_answers(model, raw)
    except InvalidSubmission as refused:
        assert refused.problems
        return
    assert set(answers) <= {question.id for question in model.questions}
    assert 0 <= answers["recommend"] <= 10


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("years", "1_0", "not_a_number"),  # float() reads it as 10
        ("years", "\u0661\u0660", "not_a_number"),  # Arabic-Indic 10
        ("years", " 7 ", "not_a_number"),
        ("years", "7\n", "not_a_number"),
        ("years", "0x10", "not_a_number"),
        ("years", "infinity", "not_a_number"),
        ("stars", "\uff13", "not_a_number"),  # a full-width 3
        ("day", "2026-W01-1", "not_a_date"),  # ISO week date: fromisoformat in 3.11 takes it
        ("day", "20260601", "not_a_date"),
        ("day", "2026-06-01\n", "not_a_date"),
        ("day", "\u0662\u0660\u0662\u0666-06-01", "not_a_date"),
        ("opened_at", "2026-06-01T09:15Z", "not_a_datetime"),
        ("opened_at", "2026-06-01 09:15", "not_a_datetime"),
        ("opened_at", "2026-W01-1T09:15", "not_a_datetime"),
        ("name", "a\u0085b", "control_characters"),  # C1 NEXT LINE
        ("name", "a\x9bb", "control_characters"),  # C1 CSI: terminal escapes
        ("name", "a\ud800", "control_characters"),  # a lone surrogate
        ("name", "a\udfff", "control_characters"),
        ("name", "a\ufffe", "control_characters"),  # noncharacters
        ("name", "a\ufdd0", "control_characters"),
        ("name", "a\U0010ffff", "control_characters"),
        ("email", "a@b.example\u0000", "control_characters"),
    ],
)
def test_values_that_only_look_right_are_refused(survey: Survey, field: str, value: str, code: str) -> None:
    assert (field, code) in problems(survey, {**BASE, field: [value]})


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("years", "7", 7),
        ("years", "-0.5e1", None),  # below min: refused for its range, not its form
        ("years", ".5", 0.5),
        ("years", "1e1", 10),
        ("day", "2026-06-01", "2026-06-01"),
        ("opened_at", "2026-06-01T09:15", "2026-06-01T09:15"),
        ("opened_at", "2026-06-01T09:15:30", "2026-06-01T09:15:30"),
        ("name", "a\u2028b", "a\nb"),  # Unicode's line separator is a line break
        ("name", "\U0001f600\u00e9", "\U0001f600\u00e9"),  # astral characters and accents are text
    ],
)
def test_well_formed_values_are_read_as_the_html_standard_writes_them(
    survey: Survey, field: str, value: str, stored: Any
) -> None:
    if stored is None:
        assert (field, "out_of_range") in problems(survey, {**BASE, field: [value]})
    else:
        assert validate_answers(survey, {**BASE, field: [value]})[field] == stored


@pytest.mark.parametrize(
    "rid",
    ["abcdefgh\n", "abcdefgh\r\n", "b" * 64 + "\n", "b" * 65, "abcdefg", "abcdefgh ", "abc\u0430efgh", "ab/cdefgh"],
)
def test_a_response_id_must_match_the_documented_format_in_full(survey: Survey, rid: str) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        read_json(survey, LANGUAGES, {"rid": rid, "answers": {"recommend": 9, "grid": {"coffee": 1, "tea": 1}}})
    assert [(p.field, p.code) for p in refused.value.problems] == [("rid", "bad_response_id")]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"answers": {"recommend": 5, "recommend": 9}}', 'The name "recommend" is given twice'),
        (b'{"rid": "abcdefgh", "rid": "abcdefgh"}', 'The name "rid" is given twice'),
        (b'{"answers": {"recommend": NaN}}', "NaN is not a JSON number"),
        (b'{"answers": {"recommend": -Infinity}}', "-Infinity is not a JSON number"),
        (b'{"answers": {"\\ud800": 1}}', "A name holds a lone surrogate"),
        (b"[" * 965 + b"]" * 965, "The body is nested more than 16 deep"),
        (b"[" * 17 + b"]" * 17, "The body is nested more than 16 deep"),
        (b"[" * 100_000, "The body is nested more than 16 deep"),
        ('{"answers": {}}'.encode("utf-16"), "The body is not UTF-8"),
        (b'\xef\xbb\xbf{"answers": {}}', "The body is not valid JSON"),  # RFC 8259 8.1: no byte order mark
        (b'{"answers": {"recommend": 1' + b"0" * 5000 + b"}}", "The body is not valid JSON"),
        (b"{'answers': {}}", "The body is not valid JSON"),
    ],
    ids=lambda value: value[:40] if isinstance(value, bytes) else None,
)
def test_json_is_read_strictly(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedJson, match=f"^{reason}"):
        parse_json(body)


def test_strict_json_still_reads_what_a_browser_sends() -> None:
    body = b'{"rid": "abcdefgh", "answers": {"improve": "\\ud83d\\ude00 \\u00e9", "grid": {"a": 1}}}'
    assert parse_json(body) == {"rid": "abcdefgh", "answers": {"improve": "\U0001f600 \u00e9", "grid": {"a": 1}}}
    assert parse_json(b"[" * 16 + b"]" * 16) == [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]


def _json_text(value: Any, draw: st.DrawFn) -> str:
    """`value` as JSON text, each object's pairs as given (a name may come twice), strings escaped or not, and
    whitespace here and there."""
    space = draw(st.sampled_from(["", " ", "\n", "\t "]))
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        pairs = [f"{_json_text(name, draw)}{space}:{_json_text(item, draw)}" for name, item in value[1:]]
        return "{" + f",{space}".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + f",{space}".join(_json_text(item, draw) for item in value) + "]"
    if isinstance(value, str):
        escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or draw(st.booleans()) else c for c in value)
        return '"' + escaped.replace('"', "\\u0022") + '"' if "\\" not in value else json.dumps(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value)


NAMES = st.sampled_from(["a", "b", "id", "\ufdd0", "\ud800", "\U0001f600", "é", "a:b", 'q"', "x\\"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec=None, categories=None), max_size=6)
    | NAMES
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(st.tuples(NAMES, inner), max_size=4).map(lambda pairs: [("object",), *pairs])
    ),
    max_leaves=12,
)


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    """JSON texts near what a file holds (names given twice, NaN, lone surrogates, huge numbers, deep nesting), as
    UTF-8 with a lone surrogate encoded as it is; some of them spoiled by a byte put in or taken out."""
    text = _json_text(draw(VALUES), draw)
    depth = draw(st.sampled_from([0, 0, 0, 15, 16, 17, 1100]))
    text = "[" * depth + text + "]" * depth
    body = text.encode("utf-8", errors="surrogatepass")
    if body and draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(body) - 1))
        spoiled = draw(st.sampled_from([b"", b",", b":", b'"', b"\\", b"\xff", b"\xef\xbb\xbf", b"}", b"0" * 20]))
        body = body[:at] + spoiled + body[at + draw(st.integers(min_value=0, max_value=1)) :]
    return body


def _typed(value: Any) -> Any:
    """`value` with every number's type and sign kept apart (1, 1.0, True and -0.0 are not the same here)."""
    if isinstance(value, dict):
        return ("object", [(name, _typed(item)) for name, item in value.items()])
    if isinstance(value, list):
        return ("array", [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


def _read_by(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "read", _typed(parse(body))
    except MalformedJson as refused:
        return "refused", str(refused)


def _strict_reader(body: bytes) -> Any:
    """What `parse_json` was before orjson read first: the standard library's parser alone."""
    document = _strict_document(body)
    if is_nested_deeper(document, MAX_JSON_DEPTH):
        raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} deep")
    return document


@settings(max_examples=1500, deadline=None)
@given(json_bodies())
def test_json_is_read_and_refused_as_the_strict_parser_alone_reads_and_refuses_it(body: bytes) -> None:
    assert _read_by(parse_json, body) == _read_by(_strict_reader, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 1}',
        b'{"a:": {"b": 2, "b": 3}}',
        b'{"\\ufdd0": 1}',
        b'{"\xef\xb7\x90": 1}',
        b'{"n": 123456789012345678901234567890}',
        b'{"n": -9223372036854775809}',
        b'{"n": 1e400}',
        b'{"text": "\\ud800"}',
        b'{"a\\"": 1, "a\\"": 2}',
    ],
)
def test_what_orjson_would_read_otherwise_is_read_as_the_strict_parser_reads_it(body: bytes) -> None:
    assert _read_by(parse_json, body) == _read_by(_strict_reader, body)


@pytest.mark.parametrize(
    ("lang", "day", "opened_at"),
    [("lv", "31.12.2026", "31.12.2026 14:30"), ("en", "12/31/2026", "12/31/2026, 2:30 PM")],
)
def test_a_form_may_send_dates_as_its_language_hints_them_where_the_browser_gave_a_text_box(
    survey: Survey, lang: str, day: str, opened_at: str
) -> None:
    pairs = [("recommend", "9"), ("grid.coffee", "3"), ("grid.tea", "4"), ("lang", lang)]
    submission = read_form(survey, LANGUAGES, [*pairs, ("day", day), ("opened_at", opened_at)])
    assert submission.answers["day"] == "2026-12-31" and submission.answers["opened_at"] == "2026-12-31T14:30"


def test_a_date_in_another_languages_form_is_refused(survey: Survey) -> None:
    pairs = [("recommend", "9"), ("grid.coffee", "3"), ("grid.tea", "4"), ("lang", "en"), ("day", "31.12.2026")]
    with pytest.raises(InvalidSubmission) as refused:
        read_form(survey, LANGUAGES, pairs)
    assert [(problem.field, problem.code) for problem in refused.value.problems] == [("day", "not_a_date")]


# ---- ranking and consent ------------------------------------------------------------------------

NEW_TYPES_YAML = """\
id: new-types
title: New types
audience: employee
questions:
  - {id: order, type: ranking, required: true, label: O,
     choices: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]}
  - {id: top, type: ranking, label: T, choices: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]}
  - {id: agreed, type: consent, label: C, text: /terms/, version: "2026-11"}
  - {id: low, type: number, min: 0, label: L}
  - {id: high, type: number, max: 10, label: H}
"""


@pytest.fixture(scope="module")
def new_types() -> Survey:
    model, errors = validate_document(parse_yaml(NEW_TYPES_YAML, "new-types.yaml"), Survey)
    assert not errors and model is not None
    return model


def test_a_ranking_is_stored_as_the_choice_ids_first_to_last(new_types: Survey) -> None:
    answers = validate_answers(new_types, {"order": ["c", "a", "b"], "agreed": ["2026-11"]})
    assert answers == {"order": ["c", "a", "b"], "agreed": "2026-11"}


def test_an_optional_ranking_may_stop_early_and_empty_places_close_up(new_types: Survey) -> None:
    pairs = [("order", "b"), ("order", "a"), ("order", "c"), ("top", "c"), ("top", ""), ("top", "a")]
    submission = read_form(new_types, LANGUAGES, [*pairs, ("agreed", "2026-11")])
    assert submission.answers["top"] == ["c", "a"]


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (["a", "b"], "incomplete_ranking"),
        (["a", "a", "b"], "repeated_choice"),
        (["a", "b", "z"], "not_a_choice"),
        (["a", "b", 3], "not_a_choice"),
    ],
)
def test_a_ranking_places_each_known_choice_once_and_all_when_required(
    new_types: Survey, order: list[Any], code: str
) -> None:
    assert problems(new_types, {"order": order, "agreed": ["2026-11"]}) == {("order", code)}


def test_an_incomplete_required_ranking_says_how_many_to_place(new_types: Survey) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        validate_answers(new_types, {"order": ["a"], "agreed": ["2026-11"]})
    assert [problem.message for problem in refused.value.problems] == ["Put all 3 answers in order."]


@pytest.mark.parametrize(
    ("given", "code"),
    [
        (None, "required"),
        (["2025-01"], "changed_consent"),
        ([True], "not_allowed"),
        (["2026-11", "2026-11"], "one_value"),
    ],
)
def test_a_consent_is_only_the_ticked_box_of_the_current_version(
    new_types: Survey, given: list[Any] | None, code: str
) -> None:
    raw: dict[str, Any] = {"order": ["a", "b", "c"]} | ({"agreed": given} if given is not None else {})
    assert problems(new_types, raw) == {("agreed", code)}


def test_a_json_body_sends_a_ranking_as_a_list_and_a_consent_as_its_version(new_types: Survey) -> None:
    document = {"answers": {"order": ["b", "c", "a"], "top": ["a"], "agreed": "2026-11"}}
    assert read_json(new_types, LANGUAGES, document).answers == {
        "order": ["b", "c", "a"],
        "top": ["a"],
        "agreed": "2026-11",
    }


def test_a_number_with_one_bound_says_that_bound(new_types: Survey) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        validate_answers(new_types, {"order": ["a", "b", "c"], "agreed": ["2026-11"], "low": ["-1"], "high": ["11"]})
    assert {(problem.field, problem.code, problem.message) for problem in refused.value.problems} == {
        ("low", "too_small", "Enter a number of at least 0."),
        ("high", "too_large", "Enter a number of at most 10."),
    }


def test_a_time_before_the_one_it_must_follow_is_refused(survey: Survey) -> None:
    raw = {**BASE, "opened_at": ["2026-05-01T10:00"], "closed_at": ["2026-05-01T09:59"]}
    assert problems(survey, raw) == {("closed_at", "before_other")}


@pytest.mark.parametrize("closed", ["2026-05-01T10:00", "2026-05-01T10:00:30", "2026-05-02T08:00"])
def test_a_time_on_or_after_the_one_it_must_follow_is_kept(survey: Survey, closed: str) -> None:
    answers = validate_answers(survey, {**BASE, "opened_at": ["2026-05-01T10:00"], "closed_at": [closed]})
    assert answers["closed_at"] == closed


def test_a_time_must_follow_only_an_answered_one(survey: Survey) -> None:
    assert validate_answers(survey, {**BASE, "closed_at": ["2026-05-01T09:00"]})["closed_at"] == "2026-05-01T09:00"
