"""Survey edits judged against the stored answers (issue 13 item 3): one test per kind of breaking edit, each with
the exact `file:line:col: field: message` sitegen prints, the safe edits that pass, and the keys that declare what
old answers mean. Answers are stored as the collector stores them, in SQLite and in PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import report_problems

from sitegen.answers import InvalidSubmission, read_json
from sitegen.build import build_project
from sitegen.cli import main
from sitegen.edits import judge
from sitegen.scorecards import compute_scorecard, metric_json, read_frames
from sitegen.site import load_site
from sitegen.store import ResponseStore, StoredResponse
from sitegen.versions import survey_version, version_of

SURVEY = "surveys/after-visit.yaml"
ANSWERS: list[dict[str, Any]] = [
    {"recommend": 9, "satisfaction": 5, "channel": "friends", "extras": ["cake"], "visits": 3, "improve": "x" * 30},
    {"recommend": 3, "satisfaction": 4, "channel": "online", "extras": ["cake", "beans"], "improve": "Faster"},
    {"recommend": 10, "satisfaction": 2, "channel": "friends", "visits": 1},
]
"""Three answers: one recommend of 9 or more that answered the `improve` follow-up (a form without JavaScript shows
it), two choices of `cake`, two visits counted."""


@pytest.fixture
def answered(minimal_project: Path, store_url: str) -> Path:
    """The minimal project with three answers to after-visit stored in this test's store, version recorded."""
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"store: {store_url}\n", encoding="utf-8")
    site = load_site(minimal_project)
    survey = next(source.model for source in site.surveys if source.model.id == "after-visit")
    start = dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    with ResponseStore.open(store_url, minimal_project) as store:
        store.record_versions([version_of(survey, start)])
        store.add([stored(site.languages, survey, index, answers, start) for index, answers in enumerate(ANSWERS)])
    return minimal_project


def stored(
    languages: list[str], survey: Any, index: int, answers: dict[str, Any], start: dt.datetime
) -> StoredResponse:
    submission = read_json(survey, languages, {"rid": f"answer-{index:04d}", "answers": answers})
    # `improve` is kept even where its show_if does not hold, as if a page without JavaScript had been answered
    kept = {**submission.answers, **({"improve": answers["improve"]} if "improve" in answers else {})}
    return StoredResponse(
        submission.response_id, survey.id, survey_version(survey), start + dt.timedelta(days=index), "lv", {}, kept
    )


def edited(project: Path, *edits: tuple[str, str]) -> list[str]:
    return report_problems(project, *[(SURVEY, old, new) for old, new in edits])


# ---- safe edits ----------------------------------------------------------------------------------


def test_safe_edits_pass_though_a_new_choice_or_question_makes_a_new_version(answered: Path) -> None:
    before = survey_version(load_site(answered).surveys[0].model)
    assert (
        edited(
            answered,
            ("en: How satisfied are you}", "en: How satisfied were you today}"),
            ("    max_length: 2000\n", "    max_length: 5000\n    help: {lv: Lūdzu, en: Please}\n"),
            (
                "      - {id: cup, label: {lv: Krūzi, en: A cup}}\n",
                "      - {id: cup, label: {lv: Krūzi, en: A cup}}\n      - {id: tea, label: {lv: Tēju, en: Tea}}\n",
            ),
            (
                "  - id: visited_at\n",
                "  - id: mood\n    type: text\n    label: {lv: Noskaņojums, en: Mood}\n  - id: visited_at\n",
            ),
        )
        == []
    )
    assert survey_version(load_site(answered).surveys[0].model) != before  # a new choice and question: new meaning


# ---- one test per breaking edit ----------------------------------------------------------------------


def test_a_scale_with_other_points_is_an_error_naming_the_answers(answered: Path) -> None:
    assert edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n    points: 3\n")) == [
        "surveys/after-visit.yaml:21:13: questions[2].points: its scale changed from 5 to 3 points, which changes "
        "what 3 stored answers meant; say what each old point is now with 'recode: {old: new, ...}', or "
        "'recode: none' to keep them out of figures"
    ]


def test_a_removed_question_is_an_error_at_the_list_of_questions(answered: Path) -> None:
    removed = (
        "  - id: visits\n    type: number\n    min: 0\n    max: 100\n    show_if: {question: channel, eq: friends}\n"
    )
    assert edited(
        answered,
        (removed + "    label: {lv: Cik reizes esat bijis pie mums, en: How many times have you visited}\n", ""),
    ) == [
        "surveys/after-visit.yaml:9:1: questions: question 'visits' was removed or renamed, which changes what 2 "
        "stored answers meant; keep it with 'retired: true', or give its new id the old id with 'was: <old id>'"
    ]


def test_a_renamed_question_without_was_is_an_error(answered: Path) -> None:
    problems = edited(answered, ("  - id: satisfaction\n", "  - id: satisfied\n"))
    assert problems == [
        "surveys/after-visit.yaml:9:1: questions: question 'satisfaction' was removed or renamed, which changes what "
        "3 stored answers meant; keep it with 'retired: true', or give its new id the old id with 'was: <old id>'"
    ]


def test_a_removed_choice_is_an_error_naming_it(answered: Path) -> None:
    assert edited(answered, ("      - {id: cake, label: {lv: Kūku, en: Cake}}\n", "")) == [
        "surveys/after-visit.yaml:41:7: questions[6].choices: the choice 'cake' was removed, which changes what 2 "
        "stored answers meant; say what each removed id is now with 'recode: {old: new, ...}' (new may be null), or "
        "'recode: none'"
    ]


def test_a_type_change_is_an_error(answered: Path) -> None:
    assert edited(answered, ("    type: rating\n    points: 5\n", "    type: likert\n    points: 5\n")) == [
        "surveys/after-visit.yaml:20:11: questions[2].type: its type changed from rating to likert, which changes "
        "what 3 stored answers meant; keep the old question with 'retired: true' and ask the new one under a new id, "
        "or 'recode: none'"
    ]


def test_a_narrower_limit_is_an_error(answered: Path) -> None:
    assert edited(answered, ("    max_length: 2000\n", "    max_length: 20\n")) == [
        "surveys/after-visit.yaml:16:17: questions[1].max_length: its max_length changed from 2000 to 20, which "
        "changes what 2 stored answers meant; restore the old limit, or 'recode: none' to keep the old answers out "
        "of figures"
    ]


def test_a_narrower_range_is_an_error(answered: Path) -> None:
    assert edited(answered, ("    max: 100\n", "    max: 2\n")) == [
        "surveys/after-visit.yaml:47:10: questions[7].max: its max changed from 100 to 2, which changes what 2 "
        "stored answers meant; restore the old limit, or 'recode: none' to keep the old answers out of figures"
    ]


def test_a_show_if_that_skips_people_who_answered_is_an_error(answered: Path) -> None:
    problems = edited(answered, ("show_if: {question: recommend, lt: 9}", "show_if: {question: recommend, lt: 5}"))
    assert problems == [
        "surveys/after-visit.yaml:17:14: questions[1].show_if: its show_if now skips people who answered it before, "
        "which changes what 1 stored answer meant; restore the old show_if, or 'recode: none' to keep the old "
        "answers out of figures"
    ]


def test_a_show_if_that_asks_more_people_is_safe(answered: Path) -> None:
    assert edited(answered, ("show_if: {question: recommend, lt: 9}", "show_if: {question: recommend, le: 9}")) == []


# ---- saying what old answers mean ------------------------------------------------------------------


def test_was_carries_a_renamed_questions_answers(answered: Path) -> None:
    assert edited(answered, ("  - id: satisfaction\n", "  - id: satisfied\n    was: satisfaction\n")) == []
    survey = load_site(answered).surveys[0].model
    with ResponseStore.open_for_reading(load_site(answered).config.model.store, answered) as store:
        judgement = judge(survey, store)
    readings = {question: reading.source for (_, question), reading in judgement.readings.items()}
    assert readings["satisfied"] == "satisfaction" and judgement.changed == {}


def test_a_recode_of_every_old_point_passes_and_marks_the_change(answered: Path) -> None:
    recode = "    points: 3\n    recode: {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}\n"
    assert edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n" + recode)) == []
    survey = load_site(answered).surveys[0].model
    with ResponseStore.open_for_reading(load_site(answered).config.model.store, answered) as store:
        judgement = judge(survey, store)
    (reading,) = [reading for (_, question), reading in judgement.readings.items() if question == "satisfaction"]
    assert reading.recode == {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}


def test_a_recode_that_leaves_out_an_old_point_is_still_an_error(answered: Path) -> None:
    recode = "    points: 3\n    recode: {4: 3, 5: 3}\n"
    problems = edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n" + recode))
    assert [re.sub(r", which.*", "", problem) for problem in problems] == [
        "surveys/after-visit.yaml:21:13: questions[2].points: its scale changed from 5 to 3 points"
    ]


def test_recode_none_and_retired_pass(answered: Path) -> None:
    assert (
        edited(
            answered,
            ("    type: rating\n    points: 5\n", "    type: rating\n    points: 7\n    recode: none\n"),
            ("    min: 0\n    max: 100\n", "    min: 0\n    max: 100\n    retired: true\n"),
        )
        == []
    )
    site = load_site(answered)
    assert "visits" not in [question.id for question in site.surveys[0].model.asked]


def test_versions_lists_each_version_with_its_answers(answered: Path) -> None:
    edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n    points: 7\n    recode: none\n"))
    result = CliRunner().invoke(main, ["-C", str(answered), "responses", "versions"])
    assert result.exit_code == 0, result.output
    old = survey_version(load_site(answered).surveys[0].model)
    assert old not in result.output  # nothing answered the edited file's version yet
    lines = result.output.splitlines()
    assert lines[0].split() == ["survey", "question", "version", "answers", "first", "last"]
    assert [line.split()[:2] + line.split()[3:] for line in lines if " satisfaction " in line] == [
        ["after-visit", "satisfaction", "3", "2026-05-01", "2026-05-03"]
    ]


# ---- figures read old answers in the current meaning ---------------------------------------------

SATISFACTION_METRIC = (
    "content/scorecards/customer-experience.yaml",
    "  - id: repeat-rate\n",
    "  - id: satisfied\n    kind: mean\n    survey: after-visit\n    question: {question}\n  - id: repeat-rate\n",
)


def satisfaction_values(project: Path, question: str = "satisfaction") -> list[float | None]:
    """The values the scorecards read for the satisfaction metric, oldest first."""
    old, new = SATISFACTION_METRIC[1], SATISFACTION_METRIC[2].format(question=question)
    assert report_problems(project, (SATISFACTION_METRIC[0], old, new)) == []
    site = load_site(project)
    surveys = {source.model.id: source.model for source in site.surveys}
    with ResponseStore.open_for_reading(site.config.model.store, project) as store:
        responses = read_frames(store, [site.scorecards[0].model], surveys)
    column = responses.frames["after-visit"][question]
    return [None if value != value else float(value) for value in column]


def test_figures_read_a_recoded_scale_in_its_new_points(answered: Path) -> None:
    recode = "    points: 3\n    recode: {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}\n"
    edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n" + recode))
    assert satisfaction_values(answered) == [3.0, 3.0, 1.0]  # stored 5, 4, 2 on the old 5-point scale


def test_figures_leave_out_answers_of_a_meaning_recode_none_drops(answered: Path) -> None:
    edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n    points: 7\n    recode: none\n"))
    assert satisfaction_values(answered) == [None, None, None]


def test_figures_read_a_renamed_questions_old_answers(answered: Path) -> None:
    edited(answered, ("  - id: satisfaction\n", "  - id: satisfied_now\n    was: satisfaction\n"))
    assert satisfaction_values(answered, "satisfied_now") == [5.0, 4.0, 2.0]


def test_a_meaning_change_restarts_the_control_limits_and_is_published(answered: Path, store_url: str) -> None:
    """Ten months of 5-point answers, then the scale becomes 3 points: the limits restart at the first 3-point month."""
    site = load_site(answered)
    old_survey = site.surveys[0].model
    recode = "    points: 3\n    recode: {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}\n"
    edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n" + recode))
    new_survey = load_site(answered).surveys[0].model
    start = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
    with ResponseStore.open(store_url, answered) as store:
        store.record_versions([version_of(new_survey, start)])
        later = [
            stored(site.languages, new_survey, day, {"recommend": 8, "satisfaction": 1 + day % 3}, start)
            for day in range(0, 120, 4)
        ]
        store.add([dataclasses.replace(response, id=f"new-{index}") for index, response in enumerate(later)])
    assert survey_version(old_survey) != survey_version(new_survey)
    assert satisfaction_values(answered)[:3] == [3.0, 3.0, 1.0]
    site = load_site(answered)
    surveys = {source.model.id: source.model for source in site.surveys}
    with ResponseStore.open_for_reading(site.config.model.store, answered) as store:
        responses = read_frames(store, [site.scorecards[0].model], surveys)
    assert responses.changed == {"after-visit": {"satisfaction": dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)}}
    figures = compute_scorecard(
        site.scorecards[0].model, responses, surveys, answered, 1, "Europe/Riga", dt.date(2026, 10, 15)
    )
    satisfied = figures.metric("satisfied")
    assert satisfied is not None and satisfied.meaning_changed == "2026-06"
    assert metric_json(satisfied)["meaning_changed"] == "2026-06"


# ---- the history keys themselves -----------------------------------------------------------------


def test_history_keys_are_checked_without_a_store(minimal_project: Path) -> None:
    assert report_problems(
        minimal_project,
        (SURVEY, "  - id: satisfaction\n", "  - id: satisfaction\n    was: effort\n    recode: {1: 9, 2: 1}\n"),
        (SURVEY, "    max_length: 2000\n", "    max_length: 2000\n    recode: {a: b}\n"),
        (SURVEY, "  - id: channel\n", "  - id: channel\n    retired: true\n"),
    ) == [
        "surveys/after-visit.yaml:17:13: questions[1].recode: only scales, choices and matrix items can be recoded; "
        "use 'recode: none' here",
        "surveys/after-visit.yaml:21:10: questions[2].was: 'effort' is a question of this survey now; 'was' names "
        "the id this one had before",
        "surveys/after-visit.yaml:22:17: questions[2].recode[1]: 9 is not an answer this question has now "
        "(1, 2, 3, 4, 5)",
        "surveys/after-visit.yaml:52:25: questions[7].show_if.question: 'channel' is retired, so no one answers it now",
    ]


# ---- versions travel with an export ------------------------------------------------------------------


def test_an_export_imports_into_an_empty_store_with_its_versions(answered: Path, tmp_path: Path) -> None:
    """Answers of the old 5-point scale import after the file became 3-point: checked against their own version."""
    recode = "    points: 3\n    recode: {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}\n"
    edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n" + recode))
    export = tmp_path / "all.jsonl"
    result = CliRunner().invoke(main, ["-C", str(answered), "responses", "export", "--output", str(export)])
    assert result.exit_code == 0, result.output
    lines = export.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith('{"survey_version": {"survey": "after-visit", "version": "')
    fresh = tmp_path / "fresh"
    config = answered / "sitegen.yaml"
    text = re.sub(r"(?m)^store:.*$", f"store: sqlite:///{fresh / 'store.sqlite3'}", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")
    fresh.mkdir()
    imported = CliRunner().invoke(main, ["-C", str(answered), "responses", "import", str(export)])
    assert imported.output == "Imported 3 new responses (0 already stored) from 1 file.\n"
    again = tmp_path / "again.jsonl"
    CliRunner().invoke(main, ["-C", str(answered), "responses", "export", "--output", str(again)])
    # (the fixture's answers went around read_json; imported, they are read by it, so compare versions, not bytes)
    exported, reexported = lines, again.read_text(encoding="utf-8").splitlines()
    assert reexported[0] == exported[0]
    assert [answer_version(line) for line in reexported[1:]] == [answer_version(line) for line in exported[1:]]
    assert report_problems(answered) == []  # the recode still covers the imported old version


def answer_version(line: str) -> tuple[str, str, int]:
    response = json.loads(line)
    return response["id"], response["version"], response["answers"]["satisfaction"]


def test_a_line_of_an_unknown_version_is_refused_by_line(answered: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "id,survey,version,submitted_at,lang,satisfaction\nold-1,after-visit,0123456789abcdef,2026-05-01T10:00:00Z,lv,5\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["-C", str(answered), "responses", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:2: version: \"0123456789abcdef\" is not a version of survey 'after-visit' that the files, the store "
        "or a survey_version line before it describe; import the JSON Lines export that holds it"
    )


def test_a_line_of_an_old_version_is_checked_against_that_version(answered: Path, tmp_path: Path) -> None:
    old = survey_version(load_site(answered).surveys[0].model)
    edited(answered, ("    type: rating\n    points: 5\n", "    type: rating\n    points: 3\n    recode: none\n"))
    path = tmp_path / "lines.jsonl"
    moment, answers = "2026-05-09T10:00:00Z", {"recommend": 7, "satisfaction": 5}
    good = {"survey": "after-visit", "version": old, "submitted_at": moment, "answers": answers}
    bad = {"survey": "after-visit", "submitted_at": moment, "answers": answers}
    path.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-C", str(answered), "responses", "import", str(path)])
    assert result.stderr.splitlines() == [
        f"{path}:2: satisfaction: Enter a number from 1 to 3.",
        "Stopped: 1 invalid line. Nothing was imported.",
    ]


def test_a_target_the_new_scale_cannot_reach_is_an_error(minimal_project: Path) -> None:
    metric = (
        SATISFACTION_METRIC[2]
        .format(question="satisfaction")
        .replace("question: satisfaction\n", "question: satisfaction\n    target: {value: 4.5, baseline: 3.9}\n")
    )
    assert report_problems(minimal_project, (SATISFACTION_METRIC[0], SATISFACTION_METRIC[1], metric)) == []
    recode = "    type: rating\n    points: 3\n    recode: {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}\n"
    assert report_problems(minimal_project, (SURVEY, "    type: rating\n    points: 5\n", recode)) == [
        "content/scorecards/customer-experience.yaml:15:21: metrics[1].target.value: 4.5 is off the scale of "
        "'satisfaction' (1 to 3)",
        "content/scorecards/customer-experience.yaml:15:36: metrics[1].target.baseline: 3.9 is off the scale of "
        "'satisfaction' (1 to 3)",
    ]


def test_a_removed_matrix_item_is_an_error_naming_it(minimal_project: Path, store_url: str) -> None:
    matrix = (
        "  - id: aspects\n    type: matrix\n    label: {lv: Novērtējiet, en: Please rate}\n    items:\n"
        "      - {id: coffee, label: {lv: Kafija, en: Coffee}}\n      - {id: speed, label: {lv: Ātrums, en: Speed}}\n"
    )
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"store: {store_url}\n", encoding="utf-8")
    assert report_problems(minimal_project, (SURVEY, "  - id: visited_at\n", matrix + "  - id: visited_at\n")) == []
    site = load_site(minimal_project)
    survey = site.surveys[0].model
    start = dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    with ResponseStore.open(store_url, minimal_project) as store:
        store.record_versions([version_of(survey, start)])
        store.add([stored(site.languages, survey, 0, {"recommend": 9, "aspects": {"coffee": 4, "speed": 2}}, start)])
    assert report_problems(minimal_project, (SURVEY, "      - {id: speed, label: {lv: Ātrums, en: Speed}}\n", "")) == [
        "surveys/after-visit.yaml:54:7: questions[8].items: the item 'speed' was removed, which changes what 1 stored "
        "answer meant; say what each removed id is now with 'recode: {old: new, ...}' (new may be null), or "
        "'recode: none'"
    ]


def test_a_retired_question_leaves_the_form_and_the_collector_refuses_it(minimal_project: Path) -> None:
    assert (
        report_problems(minimal_project, (SURVEY, "    max_picks: 2\n", "    max_picks: 2\n    retired: true\n")) == []
    )
    site = load_site(minimal_project)
    survey = site.surveys[0].model
    with pytest.raises(InvalidSubmission) as refused:
        read_json(survey, site.languages, {"answers": {"recommend": 9, "extras": ["cake"]}})
    assert [(problem.field, problem.code) for problem in refused.value.problems] == [("extras", "unknown_field")]
    build_project(minimal_project, as_of=dt.date(2026, 6, 1))
    page = (minimal_project / "output/public/en/surveys/after-visit/index.html").read_text(encoding="utf-8")
    assert 'name="recommend"' in page and 'name="extras"' not in page


def test_a_removed_choice_counts_only_the_answers_that_chose_it(answered: Path) -> None:
    problems = edited(answered, ("      - {id: beans, label: {lv: Kafijas pupiņas, en: Coffee beans}}\n", ""))
    assert [re.sub(r"; say.*", "", problem) for problem in problems] == [
        "surveys/after-visit.yaml:41:7: questions[6].choices: the choice 'beans' was removed, which changes what 1 "
        "stored answer meant"
    ]
