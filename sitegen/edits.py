"""Edits of a survey judged against the answers the store holds (docs/survey-versions.md, issue 13).

Each stored version of a survey is compared, question by question, with the file. A change is *safe* when old
answers mean what they meant (labels, help, order, a new question, a new choice, a wider limit) and *breaking*
otherwise (a scale's points or range, a removed or renamed question, choice or item, a type change, a narrower
limit, a `show_if` that now skips people who answered). A breaking change is an error until the file says what the
old answers mean: `was:` for a rename, `recode:` for scale points, choices and items (`recode: none` keeps them out
of figures), `retired: true` for a question kept only for its history. The same judgement tells the scorecards how
to read each old version's answers (`Reading`), so that a figure never adds up answers of two meanings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from sitegen.answers import condition_holds
from sitegen.errors import SiteError
from sitegen.models.survey import BaseQuestion, Condition, Survey
from sitegen.store import Field, ResponseStore, StoreError
from sitegen.store.responses import VersionCount
from sitegen.versions import SurveyVersion, legacy_version, question_meaning, question_version, survey_version

if TYPE_CHECKING:
    from sitegen.site import Site

SCALE_KEYS = ("points",)
"""Keys whose change moves what every answer's number means."""
ID_KEYS = ("choices", "items")
LOWER_LIMITS = ("min_picks",)
UPPER_LIMITS = ("max_length", "max_picks")
RANGE_KEYS = ("min", "max")
SAFE_KEYS = ("version",)
"""Keys whose change is the point of a new version (a consent text's version): each answer keeps its own."""


class History(Protocol):
    """What the judge needs from the store (`sitegen.store.ResponseStore` is one)."""

    def versions(self, survey_id: str | None = None) -> list[SurveyVersion]: ...

    def version_counts(self, survey_id: str | None = None) -> list[VersionCount]: ...

    def answer_count(self, survey_id: str, versions: list[str], question_id: str) -> int: ...

    def frame(self, survey_id: str, fields: list[Field]) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Reading:
    """How a current question reads the answers of one stored version: from which id, recoded or left out."""

    source: str
    recode: Mapping[Any, Any] | None = None
    dropped: bool = False

    @property
    def is_raw(self) -> bool:
        return self.recode is None and not self.dropped


@dataclass(frozen=True)
class Breaking:
    """A change that old answers cannot follow, not (or not fully) declared in the file."""

    question: str
    """The question's id in the file (or, once removed, in the stored versions)."""
    loc: tuple[Any, ...]
    reason: str
    remedy: str
    answers: int
    """How many stored answers it concerns."""

    def message(self) -> str:
        answers = f"{self.answers:,} stored answer{'s' * (self.answers != 1)}"
        return f"{self.reason}, which changes what {answers} meant; {self.remedy}"


@dataclass
class Judgement:
    """One survey's file judged against its stored versions."""

    readings: dict[tuple[str, str], Reading] = field(default_factory=dict)
    """(version, current question id) -> how to read it; a missing pair: the question did not exist then."""
    breaking: list[Breaking] = field(default_factory=list)
    unknown: int = 0
    """Stored responses of versions the store does not describe (kept before sitegen recorded versions)."""
    changed: dict[str, dt.datetime] = field(default_factory=dict)
    """Question id -> the first answer of its current meaning, where older answers are recoded or left out."""


def judge(survey: Survey, history: History) -> Judgement:
    """The file's survey against every stored version of it, as the store holds them."""
    judgement = Judgement()
    counts = history.version_counts(survey.id)
    if not counts:
        return judgement
    kept = {version.version: version for version in history.versions(survey.id)}
    current = survey_version(survey)
    as_current = {current, legacy_version(survey)}
    stored: list[tuple[VersionCount, dict[str, dict[str, Any]]]] = []
    for count in counts:
        if count.version in kept:
            stored.append((count, kept[count.version].questions))
        elif count.version in as_current:
            stored.append((count, {question.id: question_meaning(question) for question in survey.asked}))
        else:
            judgement.unknown += count.count
    for index, question in enumerate(survey.questions):
        _judge_question(survey, question, ("questions", index), stored, history, judgement)
    judgement.breaking += _removed(survey, stored, history)
    return judgement


def _judge_question(
    survey: Survey,
    question: BaseQuestion,
    loc: tuple[Any, ...],
    stored: list[tuple[VersionCount, dict[str, dict[str, Any]]]],
    history: History,
    judgement: Judgement,
) -> None:
    """Read each stored version's answers into the question's current meaning, or say why they cannot be."""
    meaning = question_meaning(question)
    concerned: dict[tuple[Change, str], list[str]] = {}  # (change, source) -> versions
    first_of_current: dt.datetime | None = None
    is_reread = False
    for count, questions in stored:
        source = question.id if question.id in questions else question.was
        if source is None or source not in questions:
            continue
        changes = list(_meaning_changes(questions[source], meaning))
        if questions[source].get("show_if") != meaning.get("show_if") and question.show_if is not None:
            skipped = _skipped(survey.id, count.version, source, question.show_if, history)
            if skipped:
                changes.append(
                    Change(
                        "its show_if now skips people who answered it before", "condition", "show_if", concerns=skipped
                    )
                )
        reading, unresolved = _reading(question, source, changes)
        judgement.readings[count.version, question.id] = reading
        for change in unresolved:
            concerned.setdefault((change, source), []).append(count.version)
        if reading.is_raw and count.first is not None:
            first_of_current = min(first_of_current or count.first, count.first)
        else:
            is_reread = True
    if is_reread and first_of_current is not None:
        judgement.changed[question.id] = first_of_current
    for (change, source), versions in concerned.items():
        answers = _concerned(survey.id, versions, source, change, history)
        judgement.breaking.append(
            Breaking(question.id, (*loc, change.key), change.reason, REMEDIES[change.remedy], answers)
        )


REMEDIES = {
    "scale": "say what each old point is now with 'recode: {old: new, ...}', or 'recode: none' to keep them out "
    "of figures",
    "ids": "say what each removed id is now with 'recode: {old: new, ...}' (new may be null), or 'recode: none'",
    "type": "keep the old question with 'retired: true' and ask the new one under a new id, or 'recode: none'",
    "limit": "restore the old limit, or 'recode: none' to keep the old answers out of figures",
    "condition": "restore the old show_if, or 'recode: none' to keep the old answers out of figures",
    "renamed": "name the old id with 'was: <old id>'",
}


@dataclass(frozen=True)
class Change:
    """One breaking difference between an old meaning and the file's: why, what fixes it, which old values a
    `recode` must name to fix it (none: only `recode: none` or undoing it does)."""

    reason: str
    remedy: str
    key: str
    """The question's key that changed, where the error points."""
    needs: frozenset[Any] = frozenset()
    concerns: int | None = None
    """How many stored answers it concerns, where only some answers of a version are (a narrower show_if)."""

    def is_covered_by(self, recode: Mapping[Any, Any]) -> bool:
        return bool(self.needs) and all(value in recode for value in self.needs)


def _meaning_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """Each breaking difference between an old meaning and the file's."""
    if old.get("type") != new.get("type"):
        yield Change(f"its type changed from {old.get('type')} to {new.get('type')}", "type", "type")
        return
    for key in SCALE_KEYS:
        if old.get(key) != new.get(key):
            points = frozenset(range(1, int(old.get(key) or 0) + 1))
            yield Change(f"its scale changed from {old.get(key)} to {new.get(key)} points", "scale", key, points)
    for key in ID_KEYS:
        removed = sorted(set(old.get(key, [])) - set(new.get(key, [])))
        if removed:
            noun = ("choice" if key == "choices" else "item") + "s" * (len(removed) > 1)
            names = ", ".join(f"'{name}'" for name in removed)
            yield Change(
                f"the {noun} {names} {'were' if len(removed) > 1 else 'was'} removed", "ids", key, frozenset(removed)
            )
    for key in LOWER_LIMITS + UPPER_LIMITS + RANGE_KEYS:
        if _is_narrower(key, old.get(key), new.get(key)):
            yield Change(f"its {key} changed from {_shown(old.get(key))} to {_shown(new.get(key))}", "limit", key)


def _is_narrower(key: str, old: Any, new: Any) -> bool:
    if old == new or new is None:
        return False
    if old is None:
        return True
    return bool(new > old) if key in LOWER_LIMITS or key == "min" else bool(new < old)


def _shown(value: Any) -> str:
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _reading(question: BaseQuestion, source: str, changes: list[Change]) -> tuple[Reading, list[Change]]:
    """How to read answers of an old meaning, and the changes the file's `recode` leaves unanswered."""
    if not changes:
        return Reading(source), []
    if question.recode == "none":
        return Reading(source, dropped=True), []
    recode = question.recode or {}
    unresolved = [change for change in changes if not change.is_covered_by(recode)]
    return Reading(source, recode=dict(recode) if recode else None), unresolved


def _removed(
    survey: Survey, stored: list[tuple[VersionCount, dict[str, dict[str, Any]]]], history: History
) -> Iterator[Breaking]:
    """Questions stored versions asked that the file has neither under their id nor as another's `was`."""
    present = {question.id for question in survey.questions} | {q.was for q in survey.questions if q.was}
    gone: dict[str, list[str]] = {}
    for count, questions in stored:
        for question_id in questions:
            if question_id not in present:
                gone.setdefault(question_id, []).append(count.version)
    for question_id, versions in gone.items():
        answers = history.answer_count(survey.id, versions, question_id)
        yield Breaking(
            question_id,
            ("questions",),
            f"question '{question_id}' was removed or renamed",
            "keep it with 'retired: true', or give its new id " + REMEDIES["renamed"].removeprefix("name "),
            answers,
        )


def _concerned(survey_id: str, versions: list[str], source: str, change: Change, history: History) -> int:
    """How many stored answers a change concerns: those that chose a removed id, those a narrower show_if skips,
    or else every answer of the versions."""
    if change.concerns is not None:
        return change.concerns
    if change.remedy != "ids":
        return history.answer_count(survey_id, versions, source)
    fields = [Field("version", "version", "survey_version", "text"), Field(source, "answers", source, "json")]
    frame = history.frame(survey_id, fields)
    given = frame[frame["version"].isin(versions) & frame[source].notna()][source]
    return sum(_names_any(value, change.needs) for value in given)


def _names_any(answer: Any, ids: frozenset[Any]) -> bool:
    """Whether an answer is, lists or (a matrix) has a row for one of `ids`."""
    if isinstance(answer, (list, dict)):
        return any(item in ids for item in answer)
    return answer in ids


def _skipped(survey_id: str, version: str, source: str, condition: Condition, history: History) -> int:
    """How many responses of a version answered a question that the new `show_if` would not have asked."""
    fields = [Field("version", "version", "survey_version", "text")]
    fields += [Field(name, "answers", name, "json") for name in sorted({source, condition.question})]
    frame = history.frame(survey_id, fields)
    answered = frame[(frame["version"] == version) & frame[source].notna()]
    return sum(not condition_holds(condition, value) for value in answered[condition.question])


@dataclass(frozen=True)
class QuestionHistory:
    """One meaning of one question as the store holds it: answered how often, first and last when."""

    survey_id: str
    question_id: str
    version: str
    answers: int
    first: dt.datetime | None
    last: dt.datetime | None


def question_histories(history: History, survey_ids: list[str]) -> list[QuestionHistory]:
    """Per survey and question, each version (meaning) its stored responses answered, oldest first."""
    kept = {(version.survey_id, version.version): version for version in history.versions()}
    rows: list[QuestionHistory] = []
    for survey_id in survey_ids:
        grouped: dict[tuple[str, str], list[VersionCount]] = {}
        for count in history.version_counts(survey_id):
            described = kept.get((survey_id, count.version))
            for question_id, meaning in (described.questions if described else {}).items():
                grouped.setdefault((question_id, question_version(meaning)), []).append(count)
        for (question_id, version), counts in grouped.items():
            answers = history.answer_count(survey_id, [count.version for count in counts], question_id)
            firsts = [count.first for count in counts if count.first is not None]
            lasts = [count.last for count in counts if count.last is not None]
            rows.append(
                QuestionHistory(
                    survey_id, question_id, version, answers, min(firsts, default=None), max(lasts, default=None)
                )
            )
    return sorted(
        rows, key=lambda row: (row.survey_id, row.question_id, row.first or dt.datetime.min.replace(tzinfo=dt.UTC))
    )


def check_edits(site: Site) -> Iterator[SiteError]:
    """Every breaking edit of the site's surveys as an error at its line, judged against the project's store."""
    if site.config is None or not site.surveys:
        return
    try:
        with ResponseStore.open_for_reading(site.config.model.store, site.files.root) as store:
            judged = [(source, judge(source.model, store)) for source in site.surveys]
    except StoreError as error:
        yield site.config.error(
            ("store",), f"cannot judge survey edits against the stored answers: {error}", warning=True
        )
        return
    for source, judgement in judged:
        for breaking in judgement.breaking:
            yield source.error(breaking.loc, breaking.message(), at_key=breaking.loc == ("questions",))
        if judgement.unknown:
            yield source.error(
                ("id",),
                f"{judgement.unknown:,} stored answers are of versions this store does not describe (kept before "
                "sitegen recorded versions, or imported from CSV); figures read them as the file's questions",
                warning=True,
            )
