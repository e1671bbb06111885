"""Checks across fields and files: ids, survey logic, references, translations, and `sitegen check`.

Every test breaks a copy of tests/fixtures/minimal and names the exact line
sitegen must print.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegen.cli import main
from sitegen.errors import ProjectInvalid
from sitegen.site import load_site

Problems = Callable[..., list[str]]

CONFIG = "sitegen.yaml"
VISION = "content/vision.yaml"
STANDARD = "content/standards/greeting.yaml"
GUIDE = "content/onboarding/barista.yaml"
SURVEY = "surveys/after-visit.yaml"
SCORECARD = "content/scorecards/customer-experience.yaml"
PAGES = "content/pages"


def add_metric(yaml_lines: str) -> tuple[str, str, str]:
    """An edit that adds a metric (its lines, indented as in a list) before the repeat-rate metric."""
    return (SCORECARD, "  - id: repeat-rate\n", yaml_lines + "  - id: repeat-rate\n")


# Unique ids


def test_two_standards_with_one_id_are_refused(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / "content/standards/welcome.yaml").write_text(
        "id: greeting\ntitle: {lv: Sveiki, en: Welcome}\nrule: {lv: Sveicini, en: Greet}\n", encoding="utf-8"
    )
    assert problems(minimal_project) == [
        "content/standards/welcome.yaml:1:5: id: duplicate id 'greeting' (also used by content/standards/greeting.yaml)"
    ]


def test_two_questions_with_one_id_are_refused(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "  - id: effort", "  - id: satisfaction")) == [
        "surveys/after-visit.yaml:32:9: questions[5].id: duplicate id 'satisfaction' (also used by questions[2])"
    ]


def test_two_choices_with_one_id_are_refused(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "{id: online,", "{id: friends,")) == [
        (
            "surveys/after-visit.yaml:31:14: questions[4].choices[1].id: duplicate id 'friends' (also used by "
            "questions[4].choices[0])"
        )
    ]


def test_two_metrics_with_one_id_are_refused(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SCORECARD, "  - id: repeat-rate", "  - id: nps")) == [
        "content/scorecards/customer-experience.yaml:11:9: metrics[1].id: duplicate id 'nps' (also used by metrics[0])"
    ]


def test_two_onboarding_modules_with_one_id_are_refused(minimal_project: Path, problems: Problems) -> None:
    module = "  - id: products\n    title: {lv: Mūsu produkti, en: Our products}\n"
    assert problems(minimal_project, (GUIDE, "weeks:\n", module + "weeks:\n")) == [
        "content/onboarding/barista.yaml:9:9: modules[1].id: duplicate id 'products' (also used by modules[0])"
    ]


# Survey logic: show_if


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        pytest.param(
            "show_if: {question: recommend, lt: 9}",
            "show_if: {question: visits, lt: 9}",
            (
                "surveys/after-visit.yaml:17:25: questions[1].show_if.question: 'visits' comes later; show_if can only "
                "test earlier questions"
            ),
            id="later-question",
        ),
        pytest.param(
            "show_if: {question: recommend, lt: 9}",
            "show_if: {question: recomend, lt: 9}",
            (
                "surveys/after-visit.yaml:17:25: questions[1].show_if.question: 'recomend' is not a question of this "
                "survey. Did you mean 'recommend'?"
            ),
            id="unknown-question",
        ),
        pytest.param(
            "show_if: {question: recommend, lt: 9}",
            "show_if: {question: improve, lt: 9}",
            (
                "surveys/after-visit.yaml:17:25: questions[1].show_if.question: 'improve' is this question itself; "
                "show_if can only test earlier questions"
            ),
            id="itself",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: channel, eq: family}",
            (
                "surveys/after-visit.yaml:48:38: questions[7].show_if.eq: 'family' is not an answer of 'channel'; "
                "expected one of friends, online"
            ),
            id="unknown-choice",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: channel, in: [friends, family]}",
            (
                "surveys/after-visit.yaml:48:38: questions[7].show_if.in: 'family' is not an answer of 'channel'; "
                "expected one of friends, online"
            ),
            id="unknown-choice-in-a-list",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: expectations, eq: exceed}",
            (
                "surveys/after-visit.yaml:48:43: questions[7].show_if.eq: 'exceed' is not an answer of 'expectations'; "
                "expected one of below, met, exceeded"
            ),
            id="unknown-fixed-answer",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: channel, eq: true}",
            (
                "surveys/after-visit.yaml:48:38: questions[7].show_if.eq: 'true' is not an answer of 'channel'; "
                "expected one of friends, online"
            ),
            id="boolean-for-a-choice",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: improve, lt: 3}",
            (
                "surveys/after-visit.yaml:48:38: questions[7].show_if.lt: 'lt' compares numbers, but 'improve' is a "
                "textarea question"
            ),
            id="lt-on-text",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: recommend, eq: high}",
            (
                "surveys/after-visit.yaml:48:40: questions[7].show_if.eq: 'high' is not a number, but 'recommend' is a "
                "nps question"
            ),
            id="text-for-a-number",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: recommend, gt: 11}",
            "surveys/after-visit.yaml:48:40: questions[7].show_if.gt: 11 is outside the scale of 'recommend' (0-10)",
            id="outside-the-scale",
        ),
        pytest.param(
            "show_if: {question: channel, eq: friends}",
            "show_if: {question: satisfaction, in: [4, 6]}",
            "surveys/after-visit.yaml:48:43: questions[7].show_if.in: 6 is outside the scale of 'satisfaction' (1-5)",
            id="outside-the-rating",
        ),
    ],
)
def test_show_if_tests_an_earlier_question_with_an_answer_it_can_have(
    minimal_project: Path, problems: Problems, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (SURVEY, old, new)) == [line]


@pytest.mark.parametrize(
    "condition",
    [
        "{question: recommend, ge: 9}",
        "{question: channel, ne: online}",
        "{question: extras, in: [cake, cup]}",
        "{question: expectations, eq: exceeded}",
        "{question: satisfaction, in: [1, 2]}",
        "{question: effort, le: 2}",
    ],
)
def test_show_if_accepts_sensible_tests(minimal_project: Path, problems: Problems, condition: str) -> None:
    assert problems(minimal_project, (SURVEY, "{question: channel, eq: friends}", condition)) == []


# Survey logic: limits, dates, field names


def test_number_max_must_be_above_min(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "    max: 100", "    max: 0")) == [
        "surveys/after-visit.yaml:47:10: questions[7].max: must be greater than min (got 0)"
    ]


def test_max_picks_cannot_exceed_the_choices(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "    max_picks: 2", "    max_picks: 4")) == [
        "surveys/after-visit.yaml:38:16: questions[6].max_picks: must be at most the number of choices, 3 (got 4)"
    ]


def test_min_picks_cannot_exceed_max_picks(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "    max_picks: 2", "    max_picks: 2\n    min_picks: 3")) == [
        (
            "surveys/after-visit.yaml:39:16: questions[6].min_picks: must be at most max_picks and the number of "
            "choices (got 3)"
        )
    ]


def test_a_survey_cannot_close_before_it_opens(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "closes: 2030-12-31", "closes: 2025-12-31")) == [
        "surveys/after-visit.yaml:6:9: closes: must not be before opens (2026-01-01)"
    ]


def test_a_hidden_field_cannot_share_a_name_with_a_question(minimal_project: Path, problems: Problems) -> None:
    lines = problems(
        minimal_project,
        (SURVEY, "hidden: {location: [riga-centre, jelgava]}", "hidden: {location: [riga-centre], channel: [qr]}"),
    )
    assert lines == [
        "surveys/after-visit.yaml:7:35: hidden.channel: the field name 'channel' is already taken by a question"
    ]


def test_a_labelled_hidden_field_warns_of_each_value_without_a_label(minimal_project: Path, problems: Problems) -> None:
    edit = (
        SURVEY,
        "hidden: {location: [riga-centre, jelgava]}",
        "hidden: {location: {label: {lv: Kafejnīca, en: Café}, values: {riga-centre: Riga centre, jelgava: }}}",
    )
    assert problems(minimal_project, edit) == [
        "surveys/after-visit.yaml:7:90: warning: hidden.location.values.jelgava: the value 'jelgava' has no label; "
        "scorecards show its id instead"
    ]


def test_a_hidden_field_label_without_a_translation_warns(minimal_project: Path, problems: Problems) -> None:
    edit = (
        SURVEY,
        "hidden: {location: [riga-centre, jelgava]}",
        "hidden: {location: {label: {lv: Kafejnīca}, values: {riga-centre: {lv: Centrs, en: Centre}, jelgava: J}}}",
    )
    assert problems(minimal_project, edit) == [
        "surveys/after-visit.yaml:7:28: warning: hidden.location.label: no 'en' translation; the lv text is used"
    ]


@pytest.mark.parametrize("name", ["rid", "lang", "v"])
def test_a_hidden_field_cannot_take_a_reserved_form_field_name(
    minimal_project: Path, problems: Problems, name: str
) -> None:
    lines = problems(minimal_project, (SURVEY, "jelgava]}", f"jelgava], {name}: [x]}}"))
    assert lines == [
        f"surveys/after-visit.yaml:7:44: hidden.{name}: the field name '{name}' is already taken by the form itself"
    ]


@pytest.mark.parametrize("name", ["rid", "lang", "v"])
def test_a_question_cannot_take_a_reserved_form_field_name(
    minimal_project: Path, problems: Problems, name: str
) -> None:
    assert problems(minimal_project, (SURVEY, "  - id: visited_at", f"  - id: {name}")) == [
        f"surveys/after-visit.yaml:50:9: questions[8].id: '{name}' is reserved for the form itself; choose another id"
    ]


# Scorecards


def test_a_metric_naming_an_unknown_survey_suggests_the_closest(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SCORECARD, "    survey: after-visit", "    survey: after-vist")) == [
        (
            "content/scorecards/customer-experience.yaml:7:13: metrics[0].survey: no survey with id 'after-vist'. Did "
            "you mean 'after-visit'?"
        )
    ]


def test_a_metric_naming_an_unknown_question_suggests_the_closest(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SCORECARD, "    question: recommend", "    question: recomend")) == [
        (
            "content/scorecards/customer-experience.yaml:8:15: metrics[0].question: survey 'after-visit' has no "
            "question 'recomend'. Did you mean 'recommend'?"
        )
    ]


def test_a_csat_metric_needs_a_rating_question(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SCORECARD, "    kind: nps", "    kind: csat")) == [
        (
            "content/scorecards/customer-experience.yaml:8:15: metrics[0].question: a csat metric needs a rating "
            "question; 'recommend' is nps"
        )
    ]


def test_an_nps_metric_needs_an_nps_question(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SCORECARD, "    question: recommend", "    question: satisfaction")) == [
        (
            "content/scorecards/customer-experience.yaml:8:15: metrics[0].question: a nps metric needs a nps question; "
            "'satisfaction' is rating"
        )
    ]


def test_a_ces_metric_needs_a_seven_point_likert_question(minimal_project: Path, problems: Problems) -> None:
    metric = "  - id: effort\n    kind: ces\n    survey: after-visit\n    question: effort\n"
    assert problems(minimal_project, add_metric(metric)) == [
        (
            "content/scorecards/customer-experience.yaml:14:15: metrics[1].question: a ces metric needs a 7-point "
            "likert question; 'effort' has 5"
        )
    ]


def test_a_ces_metric_on_a_seven_point_likert_question_is_valid(minimal_project: Path, problems: Problems) -> None:
    metric = "  - id: effort\n    kind: ces\n    survey: after-visit\n    question: effort\n"
    assert (
        problems(
            minimal_project,
            add_metric(metric),
            (SURVEY, "    points: 5\n    label: {lv: Bija", "    points: 7\n    label: {lv: Bija"),
        )
        == []
    )


def test_a_share_metric_counts_only_answers_the_question_has(minimal_project: Path, problems: Problems) -> None:
    metric = (
        "  - id: exceeded\n    kind: share\n    survey: after-visit\n    question: expectations\n    equals: exceed\n"
    )
    assert problems(minimal_project, add_metric(metric)) == [
        (
            "content/scorecards/customer-experience.yaml:15:13: metrics[1].equals: 'exceed' is not an answer of "
            "'expectations'; expected one of below, met, exceeded"
        )
    ]


def test_a_share_metric_over_several_choices_names_the_unknown_one(minimal_project: Path, problems: Problems) -> None:
    metric = "  - id: extras\n    kind: share\n    survey: after-visit\n    question: extras\n    in: [cake, bean]\n"
    assert problems(minimal_project, add_metric(metric)) == [
        (
            "content/scorecards/customer-experience.yaml:15:9: metrics[1].in: 'bean' is not an answer of 'extras'; "
            "expected one of cake, beans, cup"
        )
    ]


def test_a_share_metric_needs_a_question_with_choices(minimal_project: Path, problems: Problems) -> None:
    metric = "  - id: visits\n    kind: share\n    survey: after-visit\n    question: visits\n    equals: many\n"
    assert problems(minimal_project, add_metric(metric)) == [
        "content/scorecards/customer-experience.yaml:14:15: metrics[1].question: a share metric needs a expectations "
        "or single or multiple or dropdown or yes_no question; 'visits' is number"
    ]


def test_a_segment_must_be_a_hidden_field_or_a_choice_question(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SCORECARD, "segments: [location]", "segments: [locaton]")) == [
        "content/scorecards/customer-experience.yaml:9:16: metrics[0].segments[0]: 'locaton' is not a hidden field or "
        "choice question of survey 'after-visit'; expected one of channel, expectations, extras, location, stage. "
        "Did you mean 'location'?"
    ]


def test_a_duration_needs_datetime_questions(minimal_project: Path, problems: Problems) -> None:
    metric = (
        "  - id: visit-time\n    kind: duration\n    survey: after-visit\n    start: recommend\n    end: visited_at\n"
    )
    assert problems(minimal_project, add_metric(metric)) == [
        (
            "content/scorecards/customer-experience.yaml:14:12: metrics[1].start: a duration metric needs a date "
            "or datetime question; 'recommend' is nps"
        )
    ]


def test_a_repeat_rate_needs_its_data_file(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / "data" / "orders.csv").unlink()
    assert problems(minimal_project) == [
        (
            "content/scorecards/customer-experience.yaml:13:11: metrics[1].data: no such file 'data/orders.csv' in the "
            "project"
        )
    ]


def test_a_repeat_rate_reads_only_files_inside_the_project(minimal_project: Path, problems: Problems) -> None:
    (minimal_project.parent / "orders.csv").write_text("customer,ordered_at\n", encoding="utf-8")
    assert problems(minimal_project, (SCORECARD, "data: data/orders.csv", "data: ../orders.csv")) == [
        (
            "content/scorecards/customer-experience.yaml:13:11: metrics[1].data: '../orders.csv' is outside the "
            "project; give a path such as data/orders.csv"
        )
    ]


# New kinds: top_box and response_rate

TOP_BOX = "  - {id: top, kind: top_box, survey: after-visit, question: %s%s}\n"
RESPONSE_RATE = "  - {id: rate, kind: response_rate, survey: after-visit, data: data/receipts.csv%s}\n"
RECEIPTS = "date,location,count\n2026-05-01,riga-centre,120\n2026-05-01,jelgava,40\n"


@pytest.mark.parametrize(("question", "top"), [("recommend", ""), ("satisfaction", ", top: 4"), ("effort", "")])
def test_a_top_box_takes_any_scale_question(minimal_project: Path, problems: Problems, question: str, top: str) -> None:
    assert problems(minimal_project, add_metric(TOP_BOX % (question, top))) == []


def test_a_top_box_of_a_question_without_a_scale_is_refused(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, add_metric(TOP_BOX % ("channel", ""))) == [
        (
            "content/scorecards/customer-experience.yaml:11:61: metrics[1].question: a top_box metric needs a nps or "
            "rating or likert or number question; 'channel' is single"
        )
    ]


def test_a_top_box_must_leave_points_below_the_top(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, add_metric(TOP_BOX % ("satisfaction", ", top: 5"))) == [
        "content/scorecards/customer-experience.yaml:11:80: metrics[1].top: must be smaller than the 5 points of "
        "'satisfaction' (got 5)"
    ]


def test_a_top_box_of_a_number_needs_whole_number_ends(minimal_project: Path, problems: Problems) -> None:
    edits = [(SURVEY, "    min: 0\n    max: 100\n", "    min: 0\n"), add_metric(TOP_BOX % ("visits", ""))]
    assert problems(minimal_project, *edits) == [
        (
            "content/scorecards/customer-experience.yaml:11:61: metrics[1].question: a top_box metric needs a scale; "
            "give the number question 'visits' whole-number min and max"
        )
    ]


def test_a_response_rate_reads_a_counts_file_by_hidden_field(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / "data/receipts.csv").write_text(RECEIPTS, encoding="utf-8")
    assert problems(minimal_project, add_metric(RESPONSE_RATE % ", segments: [location]")) == []


def test_a_response_rate_needs_its_data_file(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, add_metric(RESPONSE_RATE % "")) == [
        (
            "content/scorecards/customer-experience.yaml:11:64: metrics[1].data: no such file 'data/receipts.csv' in "
            "the project"
        )
    ]


@pytest.mark.parametrize(
    ("receipts", "line"),
    [
        pytest.param(
            "day,count\n2026-05-01,3\n",
            "data/receipts.csv:1:1: date: no column 'date' (it has: day, count)",
            id="missing-column",
        ),
        pytest.param(
            "date,count\n2026-05-01,3\n2026-05-32,4\n",
            "data/receipts.csv:3:1: date: '2026-05-32' is not a date such as 2026-05-31",
            id="bad-date",
        ),
        pytest.param(
            "date,count\n01.05.2026,3\n",
            "data/receipts.csv:2:1: date: '01.05.2026' is not a date such as 2026-05-31",
            id="other-date-format",
        ),
        pytest.param(
            "date,count\n2026-05-01,-3\n",
            "data/receipts.csv:2:1: count: '-3' is not a whole number of at least 0",
            id="negative-count",
        ),
        pytest.param(
            "date,count\n2026-05-01,3\n2026-05-02,2.5\n2026-05-03,\n",
            "data/receipts.csv:3:1: count: '2.5' is not a whole number of at least 0",
            id="fractional-count",
        ),
    ],
)
def test_a_bad_counts_file_is_refused_at_its_line(
    minimal_project: Path, problems: Problems, receipts: str, line: str
) -> None:
    (minimal_project / "data/receipts.csv").write_text(receipts, encoding="utf-8")
    assert problems(minimal_project, add_metric(RESPONSE_RATE % ""))[0] == line


def test_an_empty_count_is_refused_too(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / "data/receipts.csv").write_text("date,count\n2026-05-03,\n", encoding="utf-8")
    assert problems(minimal_project, add_metric(RESPONSE_RATE % "")) == [
        "data/receipts.csv:2:1: count: '' is not a whole number of at least 0"
    ]


def test_a_response_rate_segment_is_a_hidden_field_and_a_column(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / "data/receipts.csv").write_text("date,count,channel\n2026-05-01,3,friends\n", encoding="utf-8")
    assert problems(minimal_project, add_metric(RESPONSE_RATE % ", segments: [channel, location]")) == [
        "content/scorecards/customer-experience.yaml:11:94: metrics[1].segments[0]: 'channel' is not a hidden "
        "field of survey 'after-visit'; expected one of location",
        "data/receipts.csv:1:1: location: no column 'location' (it has: date, count, channel)",
    ]


# Standards -> scorecards


def test_measured_by_naming_an_unknown_scorecard_suggests_the_closest(
    minimal_project: Path, problems: Problems
) -> None:
    assert problems(
        minimal_project, (STANDARD, "measured_by: customer-experience/nps", "measured_by: customer-experiense/nps")
    ) == [
        (
            "content/standards/greeting.yaml:11:14: measured_by: no scorecard with id 'customer-experiense'. Did you "
            "mean 'customer-experience'?"
        )
    ]


def test_measured_by_naming_an_unknown_metric_is_refused(minimal_project: Path, problems: Problems) -> None:
    assert problems(
        minimal_project, (STANDARD, "measured_by: customer-experience/nps", "measured_by: customer-experience/csat")
    ) == ["content/standards/greeting.yaml:11:14: measured_by: scorecard 'customer-experience' has no metric 'csat'"]


def test_measured_by_may_list_metrics_each_checked_at_its_place(minimal_project: Path, problems: Problems) -> None:
    new = "measured_by: [customer-experience/nps, customer-experience/csat]"
    assert problems(minimal_project, (STANDARD, "measured_by: customer-experience/nps", new)) == [
        "content/standards/greeting.yaml:11:40: measured_by[1]: scorecard 'customer-experience' has no metric 'csat'"
    ]


# A broken file's own errors are not repeated as broken references


def test_a_metric_on_an_invalid_survey_reports_only_the_survey(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (SURVEY, "audience: customer", "audience: customers")) == [
        (
            "surveys/after-visit.yaml:3:11: audience: expected one of customer, employee (got 'customers'). Did you "
            "mean 'customer'?"
        )
    ]


def test_a_metric_on_an_unreadable_survey_reports_only_the_survey(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SURVEY, "id: after-visit\n", "id: after-visit\n\tbroken: yes\n"))
    assert lines == ["surveys/after-visit.yaml:2:1: a tab character: YAML must be indented with spaces, not tabs"]


def test_a_standard_measured_by_an_invalid_scorecard_reports_only_the_scorecard(
    minimal_project: Path, problems: Problems
) -> None:
    assert problems(minimal_project, (SCORECARD, "period: month", "period: monthly")) == [
        (
            "content/scorecards/customer-experience.yaml:3:9: period: expected one of week, month, quarter (got "
            "'monthly'). Did you mean 'month'?"
        )
    ]


def test_a_survey_that_does_not_exist_at_all_is_still_reported(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / SURVEY).unlink()
    assert problems(minimal_project) == [
        "content/scorecards/customer-experience.yaml:7:13: metrics[0].survey: no survey with id 'after-visit'"
    ]


# Files that must exist, pages and their translations


def test_a_project_needs_its_vision(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / VISION).unlink()
    assert problems(minimal_project) == [
        "content/vision.yaml:1:1: missing file: the home page shows the vision and values written here"
    ]


def test_a_page_translation_needs_its_main_page(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / PAGES / "menu.en.md").write_text("Our menu.\n", encoding="utf-8")
    assert problems(minimal_project) == [
        (
            "content/pages/menu.en.md:1:1: a translation without its page: create content/pages/menu.md with the front "
            "matter and the lv text"
        )
    ]


def test_a_page_translation_holds_no_front_matter(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / PAGES / "about.en.md").write_text(
        "---\ntitle: About us\n---\nWe are a small café.\n", encoding="utf-8"
    )
    assert problems(minimal_project) == [
        (
            "content/pages/about.en.md:1:1: a translation holds only the text; keep the front matter in "
            "content/pages/about.md"
        )
    ]


def test_a_page_translation_in_a_language_the_site_lacks_is_refused(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / PAGES / "about.ru.md").write_text("Мы маленькое кафе.\n", encoding="utf-8")
    assert problems(minimal_project) == [
        "content/pages/about.ru.md:1:1: 'ru' is not one of the site's languages (lv, en)"
    ]


def test_a_page_needs_front_matter(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / PAGES / "about.md").write_text("Mēs esam maza kafejnīca.\n", encoding="utf-8")
    assert problems(minimal_project) == [
        "content/pages/about.md:1:1: a page starts with front matter between '---' lines, holding at least 'title'"
    ]


# Translations


def test_a_language_the_site_does_not_have_is_refused_at_its_key(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, (VISION, "en: Honest advice}", "en: Honest advice, ru: Честный совет}")) == [
        "content/vision.yaml:4:44: values[1].ru: 'ru' is not one of the site's languages (lv, en)"
    ]


def test_a_misspelt_language_key_suggests_the_site_language(minimal_project: Path, problems: Problems) -> None:
    assert problems(
        minimal_project,
        (SURVEY, "thank_you: {lv: Paldies!, en: Thank you!}", "thank_you: {lv: Paldies!, eng: Thank you!}"),
    ) == [
        "surveys/after-visit.yaml:8:12: warning: thank_you: no 'en' translation; the lv text is used",
        (
            "surveys/after-visit.yaml:8:27: thank_you.eng: 'eng' is not one of the site's languages (lv, en). Did you "
            "mean 'en'?"
        ),
    ]


def test_a_missing_translation_is_a_warning_naming_file_and_field(minimal_project: Path) -> None:
    survey = minimal_project / SURVEY
    survey.write_text(survey.read_text(encoding="utf-8").replace(", en: Thank you!}", "}"), encoding="utf-8")
    site = load_site(minimal_project)  # does not raise: warnings never stop a build
    assert [str(warning) for warning in site.warnings] == [
        "surveys/after-visit.yaml:8:12: warning: thank_you: no 'en' translation; the lv text is used"
    ]
    assert all(warning.is_warning for warning in site.warnings)


def test_a_missing_default_language_text_names_the_text_used_instead(minimal_project: Path, problems: Problems) -> None:
    assert problems(
        minimal_project, (STANDARD, "  lv: Sveicini katru klientu 30 sekunžu vai 30 soļu laikā.\n", "")
    ) == ["content/standards/greeting.yaml:4:3: warning: rule: no 'lv' translation; the en text is used"]


def test_a_missing_page_translation_is_a_warning(minimal_project: Path) -> None:
    (minimal_project / PAGES / "about.en.md").unlink()
    assert [str(warning) for warning in load_site(minimal_project).warnings] == [
        (
            "content/pages/about.md:2:1: warning: no 'en' translation of the page body (content/pages/about.en.md); "
            "the lv text is used"
        )
    ]


def test_one_text_for_all_languages_needs_no_translation(minimal_project: Path, problems: Problems) -> None:
    assert (
        problems(minimal_project, (CONFIG, "title: {lv: Kafejnīca Saulīte, en: Café Saulite}", "title: Café Saulite"))
        == []
    )


def test_warnings_are_listed_with_errors_when_a_project_is_invalid(minimal_project: Path) -> None:
    survey = minimal_project / SURVEY
    survey.write_text(survey.read_text(encoding="utf-8").replace(", en: Thank you!}", "}"), encoding="utf-8")
    (minimal_project / VISION).unlink()
    with pytest.raises(ProjectInvalid) as raised:
        load_site(minimal_project)
    assert [problem.is_warning for problem in raised.value.errors] == [False, True]


# All problems at once


def test_all_problems_of_all_files_are_reported_at_once_sorted_by_file_and_line(
    minimal_project: Path, problems: Problems
) -> None:
    lines = problems(
        minimal_project,
        (SURVEY, "    max: 100", "    max: 0"),
        (STANDARD, "dont:", "dnot:"),
        (CONFIG, "timezone: Europe/Riga", "timezone: Europe/Rigga"),
        (GUIDE, "  - id: products", "  - id: Products"),
        (SCORECARD, "    question: recommend", "    question: recomend"),
        (VISION, "values:", "valuez:"),
    )
    assert lines == [
        (
            "content/onboarding/barista.yaml:6:9: modules[0].id: must be a slug: lowercase letters, digits, '-' and "
            "'_', starting with a letter or digit (got 'Products')"
        ),
        (
            "content/scorecards/customer-experience.yaml:8:15: metrics[0].question: survey 'after-visit' has no "
            "question 'recomend'. Did you mean 'recommend'?"
        ),
        "content/standards/greeting.yaml:9:1: dnot: unknown key 'dnot'. Did you mean 'dont'?",
        "content/vision.yaml:2:1: valuez: unknown key 'valuez'. Did you mean 'values'?",
        (
            "sitegen.yaml:4:11: timezone: 'Europe/Rigga' is not a time zone such as Europe/Riga or UTC. Did you mean "
            "'Europe/Riga'?"
        ),
        "surveys/after-visit.yaml:47:10: questions[7].max: must be greater than min (got 0)",
    ]


def test_an_invalid_sitegen_yaml_does_not_make_page_translations_wrong(
    minimal_project: Path, problems: Problems
) -> None:
    (minimal_project / PAGES / "about.ru.md").write_text("Мы маленькое кафе.\n", encoding="utf-8")
    assert problems(minimal_project, (CONFIG, "languages: [lv, en]", "languages: [lv, en, Ru]")) == [
        "sitegen.yaml:3:21: languages[2]: 'Ru' is not a language code such as lv, ru or en"
    ]


def test_all_problems_of_one_file_are_reported_in_line_order(minimal_project: Path, problems: Problems) -> None:
    lines = problems(
        minimal_project,
        (SURVEY, "    max: 100", "    max: 0"),
        (SURVEY, "closes: 2030-12-31", "closes: 2025-12-31"),
        (SURVEY, "  - id: effort", "  - id: satisfaction"),
    )
    assert lines == [
        "surveys/after-visit.yaml:6:9: closes: must not be before opens (2026-01-01)",
        "surveys/after-visit.yaml:32:9: questions[5].id: duplicate id 'satisfaction' (also used by questions[2])",
        "surveys/after-visit.yaml:47:10: questions[7].max: must be greater than min (got 0)",
    ]


# sitegen check


def run_check(project: Path, *options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(project), "check", *options])
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_a_valid_project(minimal_project: Path) -> None:
    code, stdout, stderr = run_check(minimal_project)
    assert (code, stderr) == (0, "")
    assert stdout == "OK: 1 surveys, 1 standards, 1 guides, 1 scorecards, 1 pages; 0 errors, 0 warnings.\n"


def test_check_prints_every_error_line_on_stderr_and_exits_1(minimal_project: Path, problems: Problems) -> None:
    problems(minimal_project, (SURVEY, "    max: 100", "    max: 0"), (STANDARD, "dont:", "dnot:"))
    code, stdout, stderr = run_check(minimal_project)
    assert code == 1
    assert stdout == ""
    assert stderr.splitlines() == [
        "content/standards/greeting.yaml:9:1: dnot: unknown key 'dnot'. Did you mean 'dont'?",
        "surveys/after-visit.yaml:47:10: questions[7].max: must be greater than min (got 0)",
        "Stopped: 2 errors, 0 warnings. Nothing was written.",
    ]


def test_check_prints_warnings_but_passes(minimal_project: Path) -> None:
    (minimal_project / PAGES / "about.en.md").unlink()
    code, stdout, stderr = run_check(minimal_project)
    assert code == 0
    assert stderr.splitlines() == [
        (
            "content/pages/about.md:2:1: warning: no 'en' translation of the page body (content/pages/about.en.md); "
            "the lv text is used"
        )
    ]
    assert stdout.endswith("; 0 errors, 1 warning.\n")


def test_check_strict_fails_on_a_missing_translation(minimal_project: Path) -> None:
    (minimal_project / PAGES / "about.en.md").unlink()
    code, _, stderr = run_check(minimal_project, "--strict")
    assert code == 1
    assert stderr.splitlines() == [
        (
            "content/pages/about.md:2:1: warning: no 'en' translation of the page body (content/pages/about.en.md); "
            "the lv text is used"
        ),
        "Stopped: 0 errors, 1 warning. Nothing was written.",
    ]


def test_check_strict_passes_a_project_without_warnings(minimal_project: Path) -> None:
    assert run_check(minimal_project, "--strict")[0] == 0


def test_check_outside_a_project_says_how_to_start_one(tmp_path: Path) -> None:
    code, _, stderr = run_check(tmp_path)
    assert code == 1
    assert (
        stderr == f"Error: {tmp_path.resolve()}: no sitegen.yaml here; "
        "run 'sitegen new DIR' to start a project, or pass -C DIR\n"
    )


# The site's logo


def test_a_logo_must_be_a_file_of_the_project(minimal_project: Path, problems: Problems) -> None:
    base = "base_url: https://saulite.example\n"
    assert problems(minimal_project, (CONFIG, base, "logo: assets/logo.svg\n" + base)) == [
        "sitegen.yaml:2:7: logo: no such file 'assets/logo.svg' in the project"
    ]
    assert problems(minimal_project, (CONFIG, "logo: assets/logo.svg\n", "logo: ../logo.svg\n")) == [
        "sitegen.yaml:2:7: logo: '../logo.svg' is outside the project; give a path such as assets/logo.svg"
    ]
    (minimal_project / "assets").mkdir()
    (minimal_project / "assets/logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    assert problems(minimal_project, (CONFIG, "logo: ../logo.svg\n", "logo: assets/logo.svg\n")) == []


def test_a_logo_is_an_image_a_browser_shows(minimal_project: Path, problems: Problems) -> None:
    base = "base_url: https://saulite.example\n"
    assert problems(minimal_project, (CONFIG, base, "logo: assets/logo.pdf\n" + base)) == [
        "sitegen.yaml:2:7: logo: 'assets/logo.pdf' is not an image a browser shows; use .svg, .png, .jpg, .jpeg, .webp"
    ]


RANKING = (
    SURVEY,
    "  - id: effort\n",
    "  - id: ranks\n    type: ranking\n    label: {lv: Secība, en: Order}\n"
    "    choices:\n      - {id: coffee, label: {lv: Kafija, en: Coffee}}\n"
    "      - {id: cake, label: {lv: Kūka, en: Cake}}\n"
    "  - id: effort\n",
)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (
            "",
            "content/scorecards/customer-experience.yaml:14:15: metrics[1].question: 'ranks' is a ranking: add "
            "'choice:' to average the rank of one of coffee, cake",
        ),
        (
            "    choice: tea\n",
            "content/scorecards/customer-experience.yaml:15:13: metrics[1].choice: 'tea' is not a choice of 'ranks'; "
            "expected one of coffee, cake",
        ),
        ("    choice: cake\n", None),
    ],
)
def test_a_mean_of_a_ranking_names_the_choice_whose_place_it_averages(
    minimal_project: Path, problems: Problems, choice: str, expected: str | None
) -> None:
    metric = "  - id: ranks\n    kind: mean\n    survey: after-visit\n    question: ranks\n" + choice
    assert problems(minimal_project, RANKING, add_metric(metric)) == ([expected] if expected else [])


def test_only_a_mean_of_a_ranking_takes_a_choice(minimal_project: Path, problems: Problems) -> None:
    metric = "  - id: stars\n    kind: mean\n    survey: after-visit\n    question: satisfaction\n    choice: cake\n"
    assert problems(minimal_project, add_metric(metric)) == [
        "content/scorecards/customer-experience.yaml:15:13: metrics[1].choice: only a ranking has a choice to "
        "average; 'satisfaction' is not a ranking"
    ]


def test_a_consent_question_cannot_be_made_optional(minimal_project: Path, problems: Problems) -> None:
    consent = "  - {id: terms, type: consent, required: false, text: /t/, version: v1, label: {lv: Jā, en: I agree}}\n"
    assert problems(minimal_project, (SURVEY, "  - id: effort\n", consent + "  - id: effort\n")) == [
        "surveys/after-visit.yaml:32:42: questions[5].required: a consent question is always required; remove "
        "'required: false'"
    ]


# Cases: follow_up and not_before

LAST_QUESTION = "    label: {lv: Apmeklējuma laiks, en: Time of your visit}\n"
CONTACT_QUESTIONS = (
    LAST_QUESTION
    + "  - {id: email, type: email, label: {lv: E-pasts, en: E-mail}}\n"
    + "  - {id: agree, type: consent, text: {lv: /lv/privacy/, en: /en/privacy/}, version: '2026-01',"
    + " label: {lv: Piekrītu, en: I agree}}\n"
)


def follow_up(lines: str, questions: str = CONTACT_QUESTIONS) -> tuple[str, str, str]:
    """An edit that adds contact questions and a `follow_up:` (its lines) to the end of the survey, and a retention
    of its contacts (without one, the e-mail question is a warning of its own: `test_retention`)."""
    return (SURVEY, LAST_QUESTION, questions + "follow_up:\n" + lines + "retention: {contacts: 180 days}\n")


def test_a_follow_up_with_a_contact_and_consent_passes(minimal_project: Path, problems: Problems) -> None:
    lines = "  when: {question: recommend, le: 6}\n  contact: email\n  consent: agree\n  due: 2 working days\n"
    assert problems(minimal_project, follow_up(lines)) == []


@pytest.mark.parametrize(
    ("lines", "line"),
    [
        pytest.param(
            "  when: {question: recomend, le: 6}\n  contact: email\n  due: 48 hours\n",
            "surveys/after-visit.yaml:56:20: follow_up.when.question: 'recomend' is not a question of this survey."
            " Did you mean 'recommend'?",
            id="unknown-question",
        ),
        pytest.param(
            "  when: {question: recommend, le: 11}\n  contact: email\n  due: 48 hours\n",
            "surveys/after-visit.yaml:56:35: follow_up.when.le: 11 is outside the scale of 'recommend' (0-10)",
            id="off-the-scale",
        ),
        pytest.param(
            "  contact: visited_at\n  due: 48 hours\n",
            "surveys/after-visit.yaml:56:12: follow_up.contact: must name an email question, not the datetime"
            " question 'visited_at'",
            id="contact-not-email",
        ),
        pytest.param(
            "  contact: email\n  consent: email\n  due: 48 hours\n",
            "surveys/after-visit.yaml:57:12: follow_up.consent: must name a consent question, not the email question"
            " 'email'",
            id="consent-not-consent",
        ),
        pytest.param(
            "  due: 48 hours\n",
            "surveys/after-visit.yaml:55:1: follow_up: a customer survey's follow_up needs 'contact': the email"
            " question to answer at",
            id="no-contact",
        ),
        pytest.param(
            "  contact: email\n  due: soon\n",
            "surveys/after-visit.yaml:57:8: follow_up.due: expected a time such as '48 hours', '3 days' or"
            " '2 working days'",
            id="unreadable-due",
        ),
    ],
)
def test_a_follow_up_names_questions_the_survey_asks(
    minimal_project: Path, problems: Problems, lines: str, line: str
) -> None:
    assert problems(minimal_project, follow_up(lines)) == [line]


def test_an_anonymous_survey_never_opens_cases(minimal_project: Path, problems: Problems) -> None:
    edits = [follow_up("  contact: email\n  due: 3 days\n"), (SURVEY, "audience: customer\n", "audience: employee\n")]
    assert problems(minimal_project, *edits) == [
        "surveys/after-visit.yaml:55:1: follow_up: anonymous surveys never open cases; remove 'follow_up'"
    ]


def test_not_before_names_another_datetime_question(minimal_project: Path, problems: Problems) -> None:
    edit = (SURVEY, LAST_QUESTION, LAST_QUESTION + "    not_before: visits\n")
    assert problems(minimal_project, edit) == [
        "surveys/after-visit.yaml:53:17: questions[8].not_before: must name another datetime question of this survey"
        " (got 'visits')"
    ]


def test_a_cases_metric_needs_a_survey_that_opens_cases(minimal_project: Path, problems: Problems) -> None:
    edit = add_metric("  - {id: closed, kind: cases_closed, survey: after-visit, segments: [location]}\n")
    assert problems(minimal_project, edit) == [
        "content/scorecards/customer-experience.yaml:11:46: metrics[1].survey: 'after-visit' opens no cases; give it"
        " a follow_up (see README, Cases)"
    ]


def test_a_cases_metric_breaks_down_by_location_only(minimal_project: Path, problems: Problems) -> None:
    edits = [
        follow_up("  contact: email\n  due: 48 hours\n"),
        add_metric("  - {id: to-close, kind: time_to_close, survey: after-visit, segments: [channel]}\n"),
    ]
    assert problems(minimal_project, *edits) == [
        "content/scorecards/customer-experience.yaml:11:73: metrics[1].segments[0]: 'channel' is not the 'location'"
        " hidden field of survey 'after-visit'; expected one of location"
    ]
