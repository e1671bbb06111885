"""`plain_answers`, the import's quick reading of JSON answers: whatever it reads, the rules read alike.

It may leave any body to `validate_answers` (None), but a body it reads must
give exactly the answers the rules give (values, types and key order, as
stored), and the sample responses must nearly all be read by it, or it
would speed nothing up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.answers import InvalidSubmission, _validated, form_shape, plain_answers
from sitegen.loading import parse_yaml
from sitegen.models.survey import Survey
from sitegen.store.engine import encode_json
from sitegen.validation import validate_document

REPOSITORY = Path(__file__).resolve().parent.parent
SURVEY_YAML = """\
id: every-type
title: Every type
audience: customer
questions:
  - {id: recommend, type: nps, required: true, label: R}
  - {id: improve, type: textarea, max_length: 10, required: true, show_if: {question: recommend, lt: 9}, label: I}
  - {id: stars, type: rating, points: 4, label: S}
  - {id: praise, type: text, show_if: {question: stars, ge: 3}, label: P}
  - {id: agree, type: likert, points: 7, label: A}
  - {id: met, type: expectations, label: M}
  - {id: one, type: single, label: O, choices: [{id: a, label: A}, {id: b, label: B}]}
  - {id: why, type: text, show_if: {question: one, in: [b]}, label: W}
  - {id: not_a, type: yes_no, show_if: {question: one, ne: a}, label: N}
  - {id: many, type: multiple, min_picks: 1, max_picks: 2, label: Y,
     choices: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]}
  - {id: only_b, type: single, show_if: {question: many, eq: b}, label: B,
     choices: [{id: "5", label: Five}, {id: x, label: X}]}
  - {id: pick, type: dropdown, label: P, choices: [{id: a, label: A}, {id: b, label: B}]}
  - {id: ok, type: yes_no, required: true, label: K}
  - {id: name, type: text, max_length: 5, label: N}
  - {id: years, type: number, min: 0, max: 50, label: Y}
  - {id: email, type: email, label: E}
  - {id: day, type: date, label: D}
  - {id: opened_at, type: datetime, label: T}
  - {id: closed_at, type: datetime, not_before: opened_at, label: C}
  - {id: order, type: ranking, label: O, choices: [{id: a, label: A}, {id: b, label: B}]}
  - {id: grid, type: matrix, points: 5, required: true, label: G, items: [{id: coffee, label: C}, {id: tea, label: T}]}
  - {id: later, type: matrix, points: 3, show_if: {question: met, eq: below}, label: L,
     items: [{id: one, label: O}, {id: two, label: T}]}
  - {id: terms, type: consent, version: "2026-01", label: T, text: {en: I agree}}
"""
LANGUAGES = ("lv", "en", "ru")
TEXTS = (
    "", "  ", "a", "b", "c", "x", "5", "9", "yes", "no", "met", "below", "exceeded", "coffee", "2026-01",
    "hello", "hello world", "a\x00b", "line\r\nbreak", "\u2028", "ok\u2029", "a@b.lv", " a@b.lv ", "not mail",
    "2026-05-01", "01.05.2026", "2026-02-30", "2026-05-01T10:00", "2026-05-01T09:00:00", "1.5.2026 10:00",
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=12),
    st.sampled_from([0.0, 5.0, 2.5, 1e300, 2**70]),
    st.sampled_from(TEXTS),
    st.text(max_size=6),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["coffee", "tea", "one", "two", "milk"]), SCALARS, max_size=3),
)


@pytest.fixture(scope="module")
def survey() -> Survey:
    model, errors = validate_document(parse_yaml(SURVEY_YAML, "every-type.yaml"), Survey)
    assert not errors and model is not None
    return model


def answers_of(survey: Survey) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies' answers: any of the questions (and a name that is none) given any value, often a likely one."""
    names = [question.id for question in survey.questions] + ["unknown"]
    return st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names))


def by_the_rules(survey: Survey, lang: str, given: dict[str, Any]) -> dict[str, Any] | None:
    """What `validate_answers` makes of a JSON body's answers, as `read_json` hands them over; None if refused."""
    try:
        return _validated(survey, form_shape(given), lang)
    except InvalidSubmission:
        return None


def assert_read_alike(survey: Survey, lang: str, given: dict[str, Any]) -> bool:
    """Whether `plain_answers` read the body; asserts it read it as the rules do, to the stored bytes."""
    quick = plain_answers(survey, lang, given)
    if quick is None:
        return False
    ruled = by_the_rules(survey, lang, given)
    assert ruled is not None, f"read plainly, refused by the rules: {given!r}"
    assert encode_json(quick) == encode_json(ruled), given
    return True


@settings(max_examples=3000, deadline=None)
@given(data=st.data(), lang=st.sampled_from(LANGUAGES))
def test_what_it_reads_the_rules_read_alike(survey: Survey, data: st.DataObject, lang: str) -> None:
    assert_read_alike(survey, lang, data.draw(answers_of(survey)))


PLAIN_BODY = {
    "recommend": 10,
    "stars": 4,
    "praise": "Quick",
    "agree": 7,
    "met": "below",
    "one": "b",
    "why": "Warm",
    "not_a": "yes",
    "many": ["c", "b"],
    "only_b": "5",
    "pick": "a",
    "ok": "no",
    "name": "Anna",
    "years": 3,
    "email": " a@b.lv ",
    "day": "2026-05-01",
    "opened_at": "2026-05-01T10:00",
    "closed_at": "2026-05-01T11:00:00",
    "order": ["b", "a"],
    "grid": {"coffee": 5, "tea": 1},
    "later": {"one": 1},
    "terms": "2026-01",
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"recommend": 3, "improve": "Slow\r\n"},
        {"recommend": 9, "improve": None},
        {"stars": 2, "praise": "ignored, not asked"},
        {"met": "met", "later": {"one": 3, "two": 2}},
        {"many": ["b"]},
        {"day": "01.05.2026"},
        {"name": " ", "email": None, "order": []},
    ],
)
def test_a_body_of_every_type_is_read_plainly(survey: Survey, change: dict[str, Any]) -> None:
    """The hand-made bodies the rules accept are read by the quick path too (each type through it)."""
    body = {**PLAIN_BODY, **change}
    accepted = [lang for lang in LANGUAGES if by_the_rules(survey, lang, body) is not None]
    assert accepted
    assert all(assert_read_alike(survey, lang, body) for lang in accepted)


@pytest.mark.parametrize(
    "change",
    [
        {"recommend": 11},
        {"recommend": True},
        {"recommend": 9.0},
        {"recommend": "9"},
        {"recommend": [9]},
        {"recommend": None},
        {"recommend": 3, "improve": ""},
        {"grid": {"coffee": 5, "milk": 2}},
        {"grid": {"tea": 2}},
        {"ok": None},
        {"terms": None},
        {"many": ["b", "b"]},
        {"one": "c"},
        {"closed_at": "2026-05-01T09:00"},
        {"unknown": 1},
        {"name": "Annabel"},
        {"terms": "2025-01"},
    ],
)
def test_what_it_leaves_to_the_rules(survey: Survey, change: dict[str, Any]) -> None:
    """A value the readers change (9.0, "9", [9]) or refuse, and any survey-wide rule broken: left to the rules."""
    assert plain_answers(survey, "en", {**PLAIN_BODY, **change}) is None


def test_the_sample_responses_are_read_plainly_and_alike() -> None:
    """The quick path is the one the example's sample takes, line for line, and gives the rules' answers."""
    from sitegen.site import load_site

    site = load_site(REPOSITORY)
    surveys = {source.model.id: source.model for source in site.surveys}
    lines = [orjson.loads(line) for line in (REPOSITORY / "data" / "sample-responses.jsonl").read_bytes().splitlines()]
    read = [
        assert_read_alike(surveys[line["survey"]], line["lang"], line["answers"])
        for line in lines
        if "answers" in line and line.get("survey") in surveys
    ]
    assert len(read) > 5000
    assert sum(read) == len(read), json.dumps(lines[read.index(False)])
