"""Versions of a survey as meanings: what an answer meant when it was given (docs/survey-versions.md).

A question's *meaning* is what gives its answers their sense: its type, the keys its `sitegen.question_types`
entry names (scale, choice and matrix-item ids, limits, a consent text's version) and its `show_if`. Labels,
help, order, translations and presentation are not: fixing a typo keeps the version. A survey's version is the
digest of its asked questions' versions, so every stored answer names, through its response's `survey_version`,
the meaning of each question it answered. `SurveyVersion` is what the store's `survey_versions` table keeps of
each version: the meanings, and the whole definition, so that a form of a previous version can still be checked
against the questions it showed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sitegen.models.survey import BaseQuestion, Survey
from sitegen.question_types import type_of

LATER_QUESTION_KEYS = ("was", "recode", "retired", "not_before")
"""Question keys newer than the legacy version digest (the history keys, `not_before`), left out of it so that it
stays what older stores hold."""
LISTS_OF_IDS = ("choices", "items")
"""Keys holding labelled ids: only the ids carry meaning, and not their order."""


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def question_meaning(question: BaseQuestion) -> dict[str, Any]:
    """The meaning of a question as plain JSON: its type, its type's `meaning_keys` and its `show_if`."""
    dumped = question.model_dump(mode="json", by_alias=True, exclude_none=True)
    entry = type_of(question)
    meaning: dict[str, Any] = {"type": entry.name}
    for key in (*entry.meaning_keys, "show_if"):
        if key in dumped:
            value = dumped[key]
            meaning[key] = sorted(item["id"] for item in value) if key in LISTS_OF_IDS else value
    return meaning


def question_version(meaning: dict[str, Any]) -> str:
    """16 hex digits naming one question's meaning."""
    return _digest(meaning)


def question_meanings(survey: Survey) -> dict[str, dict[str, Any]]:
    """Each asked question's meaning, by id."""
    return {question.id: question_meaning(question) for question in survey.asked}


def survey_version(survey: Survey) -> str:
    """16 hex digits naming what the survey's answers mean: the same after a label edit, new after a scale change."""
    return _digest(question_meanings(survey))


def legacy_version(survey: Survey) -> str:
    """The version sitegen stored before versions were meanings: a digest of the whole definition, labels too.

    A store written then holds it; when it equals the current file's, those answers are of the current meaning.
    """
    later: dict[str, Any] = {"follow_up": True, "retention": True, "questions": {"__all__": set(LATER_QUESTION_KEYS)}}
    return _digest(survey.model_dump(mode="json", by_alias=True, exclude=later))


@dataclass(frozen=True)
class SurveyVersion:
    """One version of a survey as the store keeps it: each question's meaning and the whole definition."""

    survey_id: str
    version: str
    questions: dict[str, dict[str, Any]]
    """Question id -> meaning."""
    definition: dict[str, Any]
    """The survey as the first file of this version had it (labels may since have changed)."""
    first_seen: dt.datetime

    def survey(self) -> Survey:
        """The survey of this version, to check a form built from it."""
        return Survey.model_validate(self.definition)


def version_of(survey: Survey, seen: dt.datetime) -> SurveyVersion:
    """The survey's current version, first seen at `seen`."""
    definition = survey.model_dump(mode="json", by_alias=True, exclude_none=True)
    return SurveyVersion(survey.id, survey_version(survey), question_meanings(survey), definition, seen)
