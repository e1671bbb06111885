"""Segment words: a breakdown's title and its values' labels in a page's language."""

from __future__ import annotations

import pytest

from sitegen.loading import parse_yaml
from sitegen.models.survey import Survey
from sitegen.render.segments import SegmentWords, segment_words
from sitegen.validation import validate_document

SURVEY_YAML = """\
id: visit
title: Visit
audience: customer
stage: purchase
hidden:
  location: {label: {lv: Kafejnīca, en: Café}, values: {riga: {lv: Rīga, en: Riga}, ogre: }}
  channel: [qr, receipt]
questions:
  - {id: greeted, type: yes_no, label: {lv: "Vai jūs sveicināja?", en: "Were you greeted?"}}
  - {id: met, type: expectations}
  - id: reason
    type: single
    label: Reason
    choices: [{id: lunch, label: {lv: Pusdienas, en: Lunch}}, {id: x, label: X}]
"""


@pytest.fixture(scope="module")
def survey() -> Survey:
    model, errors = validate_document(parse_yaml(SURVEY_YAML, "visit.yaml"), Survey)
    assert not errors and model is not None
    return model


def test_a_hidden_field_is_named_by_its_labels_and_an_unlabelled_value_by_its_id(survey: Survey) -> None:
    words = segment_words(survey, "location", "lv", "en")
    assert (words.title, words.label("riga"), words.label("ogre")) == ("Kafejnīca", "Rīga", "ogre")
    assert not words.is_question


def test_a_hidden_field_written_as_ids_is_named_by_them(survey: Survey) -> None:
    words = segment_words(survey, "channel", "lv", "en")
    assert (words.title, words.label("qr")) == ("channel", "qr")


def test_a_choice_question_is_named_by_its_label_and_its_choices(survey: Survey) -> None:
    words = segment_words(survey, "reason", "lv", "en")
    assert (words.title, words.label("lunch"), words.label("x"), words.is_question) == (
        "Reason",
        "Pusdienas",
        "X",
        True,
    )


@pytest.mark.parametrize(
    ("segment", "value", "lv", "ru"),
    [
        ("greeted", "yes", "Jā", "Да"),
        ("met", "exceeded", "Pārsniedza manas gaidas", "Превзошло мои ожидания"),
        ("stage", "purchase", "Pirkums", "Покупка"),
    ],
)
def test_fixed_answers_and_the_journey_stage_speak_the_theme_s_words(
    survey: Survey, segment: str, value: str, lv: str, ru: str
) -> None:
    assert segment_words(survey, segment, "lv", "en").label(value) == lv
    assert segment_words(survey, segment, "ru", "en").label(value) == ru


def test_the_journey_stage_has_a_title_in_each_language(survey: Survey) -> None:
    titles = [segment_words(survey, "stage", lang, "en").title for lang in ("lv", "ru", "en")]
    assert titles == ["Klienta ceļa posms", "Этап пути клиента", "Journey stage"]


@pytest.mark.parametrize(
    ("title", "in_text"), [("Café", "café"), ("NPS", "NPS"), ("Ēdiens", "ēdiens"), ("location", "location"), ("X", "X")]
)
def test_a_title_inside_a_heading_loses_only_an_initial_capital(title: str, in_text: str) -> None:
    assert SegmentWords(title).title_in_text == in_text
