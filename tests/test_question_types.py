"""The question-type registry: one entry per model of the `Question` union, and what the rest of the code asks of it."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from sitegen.metric_kinds import KINDS
from sitegen.metrics import MeanMeasure, compute
from sitegen.models.survey import QUESTION_MODELS, BaseQuestion
from sitegen.question_types import CHOICE_LIST, TYPES, names_where, type_of
from sitegen.themes import THEME_DIR

NEVER_MEANING = {"id", "label", "help", "required", "show_if", "style", "type"}
"""Keys whose edit leaves every stored answer meaning what it meant."""


def test_every_question_model_has_one_entry_and_every_entry_a_model() -> None:
    models = QUESTION_MODELS.members
    assert [entry.model for entry in TYPES.values()] == list(models)
    assert all(type_of(entry.model.model_construct(type=name)) is entry for name, entry in TYPES.items())


def test_every_type_has_its_form_control_in_the_theme() -> None:
    assert all((THEME_DIR / entry.control).is_file() for entry in TYPES.values())


@pytest.mark.parametrize("name", list(TYPES))
def test_meaning_keys_are_the_models_own_keys_and_never_words_or_presentation(name: str) -> None:
    entry = TYPES[name]
    own = set(entry.model.model_fields) - set(BaseQuestion.model_fields)
    assert set(entry.meaning_keys) <= own - NEVER_MEANING
    assert len(set(entry.meaning_keys)) == len(entry.meaning_keys)


def test_the_new_types_mean_what_their_keys_say() -> None:
    assert TYPES["ranking"].meaning_keys == ("choices",)
    assert TYPES["consent"].meaning_keys == ("version",)
    assert TYPES["matrix"].meaning_keys == ("points", "items")
    assert TYPES["multiple"].meaning_keys == ("choices", "min_picks", "max_picks")


def test_metric_kinds_accept_the_types_the_registry_flags() -> None:
    assert tuple(KINDS["mean"].questions["question"]) == ("nps", "rating", "likert", "number", "ranking")
    assert tuple(KINDS["share"].questions["question"]) == tuple(names_where(lambda entry: entry.is_choice))
    assert "ranking" not in KINDS["share"].questions["question"]
    assert tuple(KINDS["top_box"].questions["question"]) == ("nps", "rating", "likert", "number")


def test_a_ranking_is_kept_as_json_and_written_to_csv_in_rank_order() -> None:
    entry = TYPES["ranking"]
    assert (entry.store_kind, entry.csv) == ("json", CHOICE_LIST)
    assert entry.csv.write(["c", "a", "b"]) == "c;a;b" and entry.csv.read("c;a;b") == ["c", "a", "b"]


def test_a_consent_is_kept_as_its_version_and_always_required() -> None:
    entry = TYPES["consent"]
    assert entry.store_kind == "text" and entry.is_always_required
    assert entry.csv.read(entry.csv.write("2026-11")) == "2026-11"


def test_the_mean_of_a_ranking_is_the_average_place_of_one_choice_among_those_who_placed_it() -> None:
    frame = pd.DataFrame({"help": [["a", "b", "c"], ["b", "a", "c"], ["c", "b"], None]})
    first = compute(frame, MeanMeasure("help", "a"))
    assert (first.n, first.value) == (2, 1.5)
    second = compute(frame, MeanMeasure("help", "b"))
    assert (second.n, second.value) == (3, 5 / 3) and second.extra["sd"] == pytest.approx(statistics.stdev([2, 1, 2]))
