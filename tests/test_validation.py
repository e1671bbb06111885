"""Validation: each file's shape, as the models check it, reported as `file:line:col: field: message`.

Every test breaks one file of a copy of tests/fixtures/minimal and names the
exact line sitegen must print.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.errors import ProjectInvalid
from sitegen.site import load_site
from sitegen.validation import format_field, parse_field

Problems = Callable[..., list[str]]
MINIMAL_PROJECT = Path(__file__).parent / "fixtures" / "minimal"

CONFIG = "sitegen.yaml"
VISION = "content/vision.yaml"
STANDARD = "content/standards/greeting.yaml"
GUIDE = "content/onboarding/barista.yaml"
PAGE = "content/pages/about.md"
SURVEY = "surveys/after-visit.yaml"
SCORECARD = "content/scorecards/customer-experience.yaml"


def test_the_minimal_project_is_valid_and_complete(minimal_project: Path) -> None:
    site = load_site(minimal_project)
    assert site.warnings == []
    assert site.languages == ["lv", "en"]
    assert [len(kind) for kind in (site.standards, site.guides, site.surveys, site.scorecards, site.pages)] == [
        1,
        1,
        1,
        1,
        1,
    ]
    assert site.vision is not None
    assert site.pages[0].bodies.keys() == {"lv", "en"}


# Unknown keys


@pytest.mark.parametrize(
    ("file", "old", "new", "line"),
    [
        pytest.param(
            CONFIG,
            "timezone:",
            "timezon:",
            "sitegen.yaml:4:1: timezon: unknown key 'timezon'. Did you mean 'timezone'?",
            id="sitegen.yaml",
        ),
        pytest.param(
            CONFIG,
            "privacy: {min_group_size: 5}",
            "privacy: {min_group: 5}",
            "sitegen.yaml:5:11: privacy.min_group: unknown key 'min_group'. Did you mean 'min_group_size'?",
            id="privacy",
        ),
        pytest.param(
            VISION,
            "values:",
            "valuez:",
            "content/vision.yaml:2:1: valuez: unknown key 'valuez'. Did you mean 'values'?",
            id="vision",
        ),
        pytest.param(
            STANDARD,
            "dont:",
            "dnot:",
            "content/standards/greeting.yaml:9:1: dnot: unknown key 'dnot'. Did you mean 'dont'?",
            id="standard",
        ),
        pytest.param(
            GUIDE,
            "    tasks:",
            "    taks:",
            "content/onboarding/barista.yaml:11:5: weeks[0].taks: unknown key 'taks'. Did you mean 'tasks'?",
            id="guide-week",
        ),
        pytest.param(
            GUIDE,
            "    body:",
            "    bdy:",
            "content/onboarding/barista.yaml:8:5: modules[0].bdy: unknown key 'bdy'. Did you mean 'body'?",
            id="guide-module",
        ),
        pytest.param(
            PAGE,
            "audience:",
            "audiense:",
            "content/pages/about.md:3:1: audiense: unknown key 'audiense'. Did you mean 'audience'?",
            id="page-front-matter",
        ),
        pytest.param(
            SURVEY,
            "thank_you:",
            "thanks_you:",
            "surveys/after-visit.yaml:8:1: thanks_you: unknown key 'thanks_you'. Did you mean 'thank_you'?",
            id="survey",
        ),
        pytest.param(
            SURVEY,
            "    label: {lv: Cik apmierināts",
            "    lable: {lv: Cik apmierināts",
            "surveys/after-visit.yaml:22:5: questions[2].lable: unknown key 'lable'. Did you mean 'label'?",
            id="question",
        ),
        pytest.param(
            SURVEY,
            "    max_picks: 2",
            "    max_pick: 2",
            "surveys/after-visit.yaml:38:5: questions[6].max_pick: unknown key 'max_pick'. Did you mean 'max_picks'?",
            id="question-type-specific",
        ),
        pytest.param(
            SURVEY,
            "{id: cake, label:",
            "{id: cake, lable:",
            "surveys/after-visit.yaml:41:20: questions[6].choices[0].lable: unknown key 'lable'. Did you mean 'label'?",
            id="choice",
        ),
        pytest.param(
            SURVEY,
            "{question: recommend, lt: 9}",
            "{question: recommend, lt: 9, ltt: 3}",
            "surveys/after-visit.yaml:17:43: questions[1].show_if.ltt: unknown key 'ltt'. Did you mean 'lt'?",
            id="show_if",
        ),
        pytest.param(
            SCORECARD,
            "    question: recommend",
            "    questoin: recommend",
            (
                "content/scorecards/customer-experience.yaml:8:5: metrics[0].questoin: unknown key 'questoin'. Did you "
                "mean 'question'?"
            ),
            id="scorecard-metric",
        ),
        pytest.param(
            SCORECARD,
            "{value: 50,",
            "{valeu: 50,",
            (
                "content/scorecards/customer-experience.yaml:10:14: metrics[0].target.valeu: unknown key 'valeu'. Did "
                "you mean 'value'?"
            ),
            id="metric-target",
        ),
    ],
)
def test_an_unknown_key_is_named_where_it_is_spelled_with_the_closest_known_key(
    minimal_project: Path, problems: Problems, file: str, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (file, old, new)) == [line]


def test_a_misspelt_required_key_is_one_problem_not_also_a_missing_key(
    minimal_project: Path, problems: Problems
) -> None:
    lines = problems(minimal_project, (SURVEY, "    label: {lv: Cik apmierināts", "    lable: {lv: Cik apmierināts"))
    assert not [line for line in lines if "missing required key" in line]


def test_an_unknown_key_unlike_any_known_key_gets_no_suggestion(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SURVEY, "stage: purchase", "colour: blue"))
    assert lines == ["surveys/after-visit.yaml:4:1: colour: unknown key 'colour'"]


def test_a_key_that_belongs_to_another_question_type_is_unknown(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SURVEY, "    max_length: 2000", "    max_picks: 2"))
    assert lines == ["surveys/after-visit.yaml:16:5: questions[1].max_picks: unknown key 'max_picks'"]


def test_a_key_that_belongs_to_another_metric_kind_is_unknown(minimal_project: Path, problems: Problems) -> None:
    lines = problems(
        minimal_project, (SCORECARD, "    data: data/orders.csv", "    data: data/orders.csv\n    question: recommend")
    )
    assert lines == ["content/scorecards/customer-experience.yaml:14:5: metrics[1].question: unknown key 'question'"]


# Missing keys


@pytest.mark.parametrize(
    ("file", "old", "new", "line"),
    [
        pytest.param(
            SURVEY,
            "audience: customer\n",
            "",
            "surveys/after-visit.yaml:1:1: audience: missing required key 'audience'",
            id="survey-audience",
        ),
        pytest.param(
            CONFIG,
            "base_url: https://saulite.example\n",
            "",
            "sitegen.yaml:1:1: base_url: missing required key 'base_url'",
            id="config-base_url",
        ),
        pytest.param(
            STANDARD,
            "title: {lv: Noteikums 30/30, en: The 30/30 rule}\n",
            "",
            "content/standards/greeting.yaml:1:1: title: missing required key 'title'",
            id="standard-title",
        ),
        pytest.param(
            GUIDE,
            "    tasks:\n      - {lv: Seko savam mentoram, en: Shadow your mentor}\n",
            "",
            "content/onboarding/barista.yaml:10:5: weeks[0].tasks: missing required key 'tasks'",
            id="guide-week-tasks",
        ),
        pytest.param(
            SURVEY,
            "  - id: satisfaction\n    type: rating\n",
            "  - id: satisfaction\n",
            "surveys/after-visit.yaml:19:5: questions[2].type: missing required key 'type'",
            id="question-type",
        ),
        pytest.param(
            SURVEY,
            "      - {id: friends, label: {lv: No draugiem, en: From friends}}",
            "      - {id: friends}",
            "surveys/after-visit.yaml:30:9: questions[4].choices[0].label: missing required key 'label'",
            id="choice-label",
        ),
        pytest.param(
            SCORECARD,
            "    kind: nps\n",
            "",
            "content/scorecards/customer-experience.yaml:5:5: metrics[0].kind: missing required key 'kind'",
            id="metric-kind",
        ),
        pytest.param(
            SCORECARD,
            "    survey: after-visit\n    question: recommend\n    segments",
            "    question: recommend\n    segments",
            "content/scorecards/customer-experience.yaml:5:5: metrics[0].survey: missing required key 'survey'",
            id="metric-survey",
        ),
        pytest.param(
            PAGE,
            "title: {lv: Par mums, en: About us}\n",
            "",
            "content/pages/about.md:2:1: title: missing required key 'title'",
            id="page-title",
        ),
    ],
)
def test_a_missing_required_key_is_named_at_the_mapping_that_lacks_it(
    minimal_project: Path, problems: Problems, file: str, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (file, old, new)) == [line]


def test_a_misspelt_type_key_is_named_as_a_typo(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SURVEY, "    type: rating", "    tpye: rating"))
    assert lines == ["surveys/after-visit.yaml:20:5: questions[2].tpye: unknown key 'tpye'. Did you mean 'type'?"]


def test_a_misspelt_kind_key_is_named_as_a_typo(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SCORECARD, "    kind: nps", "    knid: nps"))
    assert lines == [
        "content/scorecards/customer-experience.yaml:6:5: metrics[0].knid: unknown key 'knid'. Did you mean 'kind'?"
    ]


# Wrong types


@pytest.mark.parametrize(
    ("file", "old", "new", "line"),
    [
        pytest.param(
            VISION,
            (
                "values:\n  - {lv: Uzmanība no pirmās sekundes, en: Attention from the first second}\n  - {lv: Godīgs "
                "padoms, en: Honest advice}"
            ),
            "values: Honest advice",
            "content/vision.yaml:2:9: values: must be a list (got 'Honest advice')",
            id="text-for-a-list",
        ),
        pytest.param(
            SURVEY,
            "    points: 5\n    label: {lv: Cik",
            "    points: five\n    label: {lv: Cik",
            "surveys/after-visit.yaml:21:13: questions[2].points: must be a whole number (got 'five')",
            id="five-for-points",
        ),
        pytest.param(
            SURVEY,
            "    min: 0",
            "    min: none",
            "surveys/after-visit.yaml:46:10: questions[7].min: must be a number (got 'none')",
            id="text-for-a-number",
        ),
        pytest.param(
            SURVEY,
            "    required: true",
            "    required: always",
            "surveys/after-visit.yaml:12:15: questions[0].required: must be true or false (got 'always')",
            id="text-for-a-boolean",
        ),
        pytest.param(
            SURVEY,
            "  - id: satisfaction\n",
            "  - satisfaction\n  - id: satisfaction\n",
            "surveys/after-visit.yaml:19:5: questions[2]: must be a mapping of keys (got 'satisfaction')",
            id="text-for-a-mapping",
        ),
        pytest.param(
            SURVEY,
            "hidden: {location: [riga-centre, jelgava]}",
            "hidden: [location]",
            "surveys/after-visit.yaml:7:9: hidden: must be a mapping of keys (got a list)",
            id="list-for-a-mapping",
        ),
        pytest.param(
            STANDARD,
            "title: {lv: Noteikums 30/30, en: The 30/30 rule}",
            "title: [The 30/30 rule]",
            (
                "content/standards/greeting.yaml:2:8: title: expected text, or a mapping of language to text such as "
                "{lv: ..., en: ...}"
            ),
            id="list-for-a-text",
        ),
        pytest.param(
            STANDARD,
            "  - {lv: Skaties acīs un smaidi, en: Make eye contact and smile}",
            "  - {lv: [Skaties acīs], en: Make eye contact}",
            "content/standards/greeting.yaml:8:6: do[0]: the 'lv' text must be plain text",
            id="list-for-a-translation",
        ),
        pytest.param(
            SURVEY,
            "    points: 5\n    label: {lv: Bija",
            "    points: 6\n    label: {lv: Bija",
            "surveys/after-visit.yaml:34:13: questions[5].points: expected one of 5, 7 (got 6)",
            id="likert-points",
        ),
        pytest.param(
            SURVEY,
            "    points: 5\n    label: {lv: Cik",
            "    points: 11\n    label: {lv: Cik",
            "surveys/after-visit.yaml:21:13: questions[2].points: must be at most 10 (got 11)",
            id="rating-points",
        ),
        pytest.param(
            CONFIG,
            "privacy: {min_group_size: 5}",
            "privacy: {min_group_size: 0}",
            "sitegen.yaml:5:27: privacy.min_group_size: must be at least 1 (got 0)",
            id="min_group_size",
        ),
        pytest.param(
            CONFIG,
            "base_url: https://saulite.example",
            "base_url: saulite.example",
            "sitegen.yaml:2:11: base_url: must be an http:// or https:// address (got 'saulite.example')",
            id="base_url",
        ),
        pytest.param(
            CONFIG,
            "timezone: Europe/Riga",
            "timezone: Europe/Riga\nstore: mysql://db",
            "sitegen.yaml:5:8: store: must be a sqlite:/// or postgresql:// database URL",
            id="store",
        ),
    ],
)
def test_a_value_of_the_wrong_type_says_what_was_expected_and_what_was_given(
    minimal_project: Path, problems: Problems, file: str, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (file, old, new)) == [line]


def test_a_file_that_is_not_a_mapping_is_named(minimal_project: Path, problems: Problems) -> None:
    (minimal_project / STANDARD).write_text("- greeting\n", encoding="utf-8")
    assert problems(minimal_project) == [
        "content/standards/greeting.yaml:1:1: expected a mapping of keys such as id, title, rule, why"
    ]


# Ids, choices from a fixed list, dates


@pytest.mark.parametrize(
    ("file", "old", "new", "line"),
    [
        pytest.param(
            SURVEY,
            "id: after-visit",
            "id: After Visit",
            (
                "surveys/after-visit.yaml:1:5: id: must be a slug: lowercase letters, digits, '-' and '_', starting "
                "with a letter or digit (got 'After Visit')"
            ),
            id="survey",
        ),
        pytest.param(
            SURVEY,
            "  - id: visited_at",
            "  - id: visited at",
            (
                "surveys/after-visit.yaml:50:9: questions[8].id: must be a slug: lowercase letters, digits, '-' and "
                "'_', starting with a letter or digit (got 'visited at')"
            ),
            id="question",
        ),
        pytest.param(
            SURVEY,
            "{id: online,",
            "{id: -online,",
            (
                "surveys/after-visit.yaml:31:14: questions[4].choices[1].id: must be a slug: lowercase letters, "
                "digits, '-' and '_', starting with a letter or digit (got '-online')"
            ),
            id="choice",
        ),
        pytest.param(
            SURVEY,
            "hidden: {location: [riga-centre, jelgava]}",
            "hidden: {location: [Riga Centre, jelgava]}",
            (
                "surveys/after-visit.yaml:7:21: hidden.location[0]: must be a slug: lowercase letters, digits, '-' and "
                "'_', starting with a letter or digit (got 'Riga Centre')"
            ),
            id="hidden-value",
        ),
        pytest.param(
            SURVEY,
            "hidden: {location: [riga-centre, jelgava]}",
            "hidden: {location: {label: Café, values: {riga-centre: Riga centre, Jelgava: Jelgava}}}",
            (
                "surveys/after-visit.yaml:7:69: hidden.location.values.Jelgava: must be a slug: lowercase letters, "
                "digits, '-' and '_', starting with a letter or digit (got 'Jelgava')"
            ),
            id="labelled-hidden-value",
        ),
        pytest.param(
            STANDARD,
            "measured_by: customer-experience/nps",
            "measured_by: nps",
            "content/standards/greeting.yaml:11:14: measured_by: must be '<scorecard-id>/<metric-id>' (got 'nps')",
            id="measured_by",
        ),
    ],
)
def test_an_id_that_is_not_a_slug_is_refused(
    minimal_project: Path, problems: Problems, file: str, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (file, old, new)) == [line]


def test_a_hidden_field_written_as_a_list_of_ids_still_loads_without_labels(minimal_project: Path) -> None:
    field = load_site(minimal_project).surveys[0].model.hidden["location"]
    assert field.label is None and field.values == {"riga-centre": None, "jelgava": None}
    assert field.ids == ["riga-centre", "jelgava"]


def test_a_hidden_field_and_its_values_may_carry_labels_in_each_language(minimal_project: Path) -> None:
    labelled = (
        "hidden:\n  location:\n    label: {lv: Kafejnīca, en: Café}\n"
        "    values: {riga-centre: {lv: Rīgas centrs, en: Riga centre}, jelgava: Jelgava}"
    )
    (minimal_project / SURVEY).write_text(
        (minimal_project / SURVEY)
        .read_text(encoding="utf-8")
        .replace("hidden: {location: [riga-centre, jelgava]}", labelled),
        encoding="utf-8",
    )
    site = load_site(minimal_project)
    field = site.surveys[0].model.hidden["location"]
    assert site.warnings == []
    assert field.label is not None and field.label.get("lv", "lv") == "Kafejnīca"
    assert field.ids == ["riga-centre", "jelgava"]
    assert [label.get("en", "lv") for label in field.values.values() if label] == ["Riga centre", "Jelgava"]


def test_a_labelled_hidden_field_may_list_its_values_without_labels(minimal_project: Path, problems: Problems) -> None:
    edit = (
        SURVEY,
        "hidden: {location: [riga-centre, jelgava]}",
        "hidden: {location: {values: [riga-centre, Jelgava]}}",
    )
    assert problems(minimal_project, edit) == [
        "surveys/after-visit.yaml:7:43: hidden.location.values[1]: must be a slug: lowercase letters, digits, '-' and "
        "'_', starting with a letter or digit (got 'Jelgava')"
    ]


def test_a_hidden_field_is_a_list_or_a_mapping(minimal_project: Path, problems: Problems) -> None:
    edit = (SURVEY, "hidden: {location: [riga-centre, jelgava]}", "hidden: {location: riga-centre}")
    assert problems(minimal_project, edit) == [
        "surveys/after-visit.yaml:7:20: hidden.location: expected a list of values such as [riga-centre, jelgava], "
        "or a mapping with 'label' and 'values'"
    ]


def test_an_unknown_question_type_lists_the_types_and_suggests_one(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SURVEY, "    type: rating", "    type: ratng"))
    assert lines == [
        "surveys/after-visit.yaml:20:11: questions[2].type: unknown type 'ratng'; expected one of nps, rating, likert, "
        "expectations, single, multiple, dropdown, yes_no, text, textarea, number, email, date, datetime, matrix, "
        "ranking, consent. "
        "Did you mean 'rating'?"
    ]


def test_an_unknown_metric_kind_lists_the_kinds(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SCORECARD, "    kind: nps", "    kind: promoters"))
    assert lines == [
        "content/scorecards/customer-experience.yaml:6:11: metrics[0].kind: unknown kind 'promoters'; "
        "expected one of nps, csat, ces, mean, share, top_box, count, duration, cases_closed, time_to_close, "
        "repeat_rate, response_rate"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "line"),
    [
        pytest.param(
            SURVEY,
            "audience: customer",
            "audience: customers",
            (
                "surveys/after-visit.yaml:3:11: audience: expected one of customer, employee (got 'customers'). Did "
                "you mean 'customer'?"
            ),
            id="audience",
        ),
        pytest.param(
            SURVEY,
            "stage: purchase",
            "stage: checkout",
            (
                "surveys/after-visit.yaml:4:8: stage: expected one of awareness, research, choice, order, purchase, "
                "use, review, return (got 'checkout')"
            ),
            id="stage",
        ),
        pytest.param(
            PAGE,
            "audience: both",
            "audience: staff",
            "content/pages/about.md:3:11: audience: expected one of intranet, public, both (got 'staff')",
            id="page-audience",
        ),
        pytest.param(
            SCORECARD,
            "period: month",
            "period: monthly",
            (
                "content/scorecards/customer-experience.yaml:3:9: period: expected one of week, month, quarter (got "
                "'monthly'). Did you mean 'month'?"
            ),
            id="period",
        ),
    ],
)
def test_a_value_outside_a_fixed_list_names_the_allowed_values(
    minimal_project: Path, problems: Problems, file: str, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (file, old, new)) == [line]


@pytest.mark.parametrize(
    ("file", "old", "new", "line"),
    [
        pytest.param(
            SURVEY,
            "opens: 2026-01-01",
            "opens: 2026-13-01",
            "surveys/after-visit.yaml:5:8: opens: must be a date written YYYY-MM-DD (got '2026-13-01')",
            id="no-such-month",
        ),
        pytest.param(
            SURVEY,
            "closes: 2030-12-31",
            "closes: next week",
            "surveys/after-visit.yaml:6:9: closes: must be a date written YYYY-MM-DD (got 'next week')",
            id="words",
        ),
        pytest.param(
            SURVEY,
            "closes: 2030-12-31",
            "closes: 31.12.2026",
            "surveys/after-visit.yaml:6:9: closes: must be a date written YYYY-MM-DD (got '31.12.2026')",
            id="day-first",
        ),
        pytest.param(
            SCORECARD,
            "by: 2027-06-30",
            "by: 2027-02-30",
            (
                "content/scorecards/customer-experience.yaml:10:29: metrics[0].target.by: must be a date written "
                "YYYY-MM-DD (got '2027-02-30')"
            ),
            id="target-by",
        ),
    ],
)
def test_a_bad_date_names_the_format(
    minimal_project: Path, problems: Problems, file: str, old: str, new: str, line: str
) -> None:
    assert problems(minimal_project, (file, old, new)) == [line]


# Site settings


def test_a_bad_language_code_is_named_at_its_place_in_the_list(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (CONFIG, "languages: [lv, en]", "languages: [lv, english]"))
    assert lines == ["sitegen.yaml:3:17: languages[1]: 'english' is not a language code such as lv, ru or en"]


def test_a_language_code_babel_does_not_know_is_refused(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (CONFIG, "languages: [lv, en]", "languages: [xq, en]"))
    assert lines == ["sitegen.yaml:3:13: languages[0]: 'xq' is not a language code such as lv, ru or en"]


def test_a_language_listed_twice_is_refused(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (CONFIG, "languages: [lv, en]", "languages: [lv, en, lv]"))
    assert lines == ["sitegen.yaml:3:12: languages: 'lv' is listed twice"]


def test_an_unknown_time_zone_suggests_the_closest(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (CONFIG, "timezone: Europe/Riga", "timezone: Europe/Rigga"))
    assert lines == [
        (
            "sitegen.yaml:4:11: timezone: 'Europe/Rigga' is not a time zone such as Europe/Riga or UTC. Did you mean "
            "'Europe/Riga'?"
        )
    ]


def test_a_made_up_time_zone_gets_no_suggestion(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (CONFIG, "timezone: Europe/Riga", "timezone: Mars/Olympus"))
    assert lines == ["sitegen.yaml:4:11: timezone: 'Mars/Olympus' is not a time zone such as Europe/Riga or UTC"]


# Localised texts


def test_a_comma_inside_braces_is_reported_at_the_cut_off_text(minimal_project: Path, problems: Problems) -> None:
    lines = problems(minimal_project, (SURVEY, "en: How satisfied are you}", "en: Tell us, how satisfied are you}"))
    assert lines == [
        "surveys/after-visit.yaml:22:52: questions[2].label: 'how satisfied are you' looks like the rest of a text "
        "cut at ', '; inside {...} put a text containing ', ' in quotes"
    ]


def test_a_language_without_text_is_reported_at_its_key(minimal_project: Path, problems: Problems) -> None:
    lines = problems(
        minimal_project,
        (
            SURVEY,
            "    label: {lv: Cik apmierināts esat, en: How satisfied are you}",
            "    label:\n      lv: Cik apmierināts esat\n      en:",
        ),
    )
    assert lines == [
        (
            "surveys/after-visit.yaml:24:7: questions[2].label: 'en' has no text (if a text inside {...} was cut at ', "
            "', put it in quotes)"
        )
    ]


def test_a_number_is_read_as_text(minimal_project: Path) -> None:
    (minimal_project / STANDARD).write_text(
        "id: greeting\ntitle: 30\nrule: {lv: Sveicini, en: Greet}\n", encoding="utf-8"
    )
    standard = load_site(minimal_project).standards[0].model
    assert standard.title.get("en", "lv") == "30"


# Rules inside one mapping


def test_show_if_needs_exactly_one_test(minimal_project: Path, problems: Problems) -> None:
    lines = problems(
        minimal_project,
        (SURVEY, "show_if: {question: recommend, lt: 9}", "show_if: {question: recommend}"),
        (SURVEY, "show_if: {question: channel, eq: friends}", "show_if: {question: channel, eq: friends, ne: online}"),
    )
    assert lines == [
        (
            "surveys/after-visit.yaml:17:14: questions[1].show_if: give exactly one test of eq, ne, lt, le, gt, ge, in "
            "beside 'question' (got 0)"
        ),
        (
            "surveys/after-visit.yaml:48:14: questions[7].show_if: give exactly one test of eq, ne, lt, le, gt, ge, in "
            "beside 'question' (got 2)"
        ),
    ]


def test_a_share_metric_takes_equals_or_in_but_not_both(minimal_project: Path, problems: Problems) -> None:
    share = (
        "  - id: exceeded\n    kind: share\n    survey: after-visit\n    question: expectations\n"
        "    equals: exceeded\n    in: [met]\n"
    )
    lines = problems(minimal_project, (SCORECARD, "  - id: repeat-rate\n", share + "  - id: repeat-rate\n"))
    assert lines == [
        (
            "content/scorecards/customer-experience.yaml:11:5: metrics[1]: give either 'equals: <choice id>' or 'in: "
            "[<choice ids>]'"
        )
    ]


def test_a_question_needs_at_least_one_entry_in_lists_that_must_not_be_empty(
    minimal_project: Path, problems: Problems
) -> None:
    lines = problems(
        minimal_project,
        (SURVEY, "      - {id: online, label: {lv: Internetā, en: Online}}\n", ""),
        (GUIDE, "    tasks:\n      - {lv: Seko savam mentoram, en: Shadow your mentor}\n", "    tasks: []\n"),
    )
    assert lines == [
        "content/onboarding/barista.yaml:11:12: weeks[0].tasks: needs at least 1 entry",
        "surveys/after-visit.yaml:30:7: questions[4].choices: needs at least 2 entries",
    ]


# Never a traceback


SURVEY_KEYS = [
    "id",
    "title",
    "audience",
    "questions",
    "type",
    "label",
    "choices",
    "show_if",
    "question",
    "lt",
    "eq",
    "in",
    "points",
    "min",
    "max",
    "max_picks",
    "hidden",
    "opens",
    "closes",
    "items",
    "en",
    "lv",
    "rid",
    "lang",
]
SURVEY_WORDS = [
    "nps",
    "rating",
    "likert",
    "single",
    "multiple",
    "matrix",
    "number",
    "yes_no",
    "customer",
    "employee",
    "recommend",
    "after-visit",
    "2026-05-01",
    "2026-13-01",
    "yes",
    "No",
    "",
    "a: b",
    "{x",
    "?",
    "\t",
    "é",
]

yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.floats(allow_nan=True)
    | st.sampled_from(SURVEY_WORDS)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(SURVEY_KEYS) | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=25,
)
yaml_texts = st.lists(
    st.sampled_from(
        [
            "id:",
            " ",
            "  ",
            "\t",
            "\n",
            "- ",
            "{",
            "}",
            "[",
            "]",
            ", ",
            ": ",
            "?",
            "&a",
            "*a",
            "!!int",
            "<<",
            "---",
            "#",
            '"',
            "'",
            "|",
            ">",
            "type: nps",
            "label: {en: x}",
            "questions:",
        ]
    )
    | st.sampled_from(SURVEY_WORDS),
    max_size=30,
).map("".join)


def assert_only_site_errors(project: Path, survey_text: str) -> None:
    """Loading a project with this survey either works or raises ProjectInvalid with well-formed lines."""
    (project / SURVEY).write_text(survey_text, encoding="utf-8")
    try:
        load_site(project)
    except ProjectInvalid as invalid:
        assert invalid.errors
        for problem in invalid.errors:
            assert problem.line >= 1 and problem.col >= 1 and problem.message, str(problem)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(survey=yaml_values)
def test_any_yaml_value_as_a_survey_gives_site_errors_never_a_traceback(minimal_project: Path, survey: object) -> None:
    assert_only_site_errors(minimal_project, yaml.safe_dump(survey, allow_unicode=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=yaml_texts)
def test_any_yaml_like_text_as_a_survey_gives_site_errors_never_a_traceback(minimal_project: Path, text: str) -> None:
    assert_only_site_errors(minimal_project, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.dictionaries(st.sampled_from(SURVEY_KEYS), yaml_values, max_size=6))
def test_any_question_in_a_valid_survey_gives_site_errors_never_a_traceback(
    minimal_project: Path, question: dict[str, object]
) -> None:
    survey = yaml.safe_load(
        (MINIMAL_PROJECT / SURVEY).read_text(encoding="utf-8")
    )  # not the copy: examples overwrite it
    survey["questions"].append(question)
    assert_only_site_errors(minimal_project, yaml.safe_dump(survey, allow_unicode=True))


QUESTION_IDS = ["recommend", "channel", "extras", "visits", "improve", "rid", "location", "new"]
question_types = st.sampled_from(
    [
        "nps",
        "rating",
        "likert",
        "expectations",
        "single",
        "multiple",
        "dropdown",
        "yes_no",
        "text",
        "textarea",
        "number",
        "email",
        "date",
        "datetime",
        "matrix",
    ]
)
numbers = st.integers(-2, 12) | st.floats(-2, 12, allow_nan=False)
answers = numbers | st.sampled_from(["friends", "online", "cake", "yes", "below", "exceeded", "x"]) | st.booleans()
conditions = st.fixed_dictionaries(
    {"question": st.sampled_from(QUESTION_IDS)},
    optional={"eq": answers, "lt": numbers, "ge": numbers, "in": st.lists(answers, max_size=3)},
)
choice_lists = st.lists(
    st.fixed_dictionaries({"id": st.sampled_from(["friends", "online", "cake", "x"]), "label": st.just("X")}),
    min_size=1,
    max_size=4,
)
questions = st.fixed_dictionaries(
    {"id": st.sampled_from(QUESTION_IDS), "type": question_types, "label": st.just({"lv": "X", "en": "X"})},
    optional={
        "show_if": conditions,
        "choices": choice_lists,
        "items": choice_lists,
        "points": st.sampled_from([2, 5, 7, 10]),
        "min": numbers,
        "max": numbers,
        "min_picks": st.integers(0, 5),
        "max_picks": st.integers(1, 5),
        "required": st.booleans(),
    },
)
metrics = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["m1", "m2", "nps"]),
        "kind": st.sampled_from(["nps", "csat", "ces", "mean", "share", "count", "duration"]),
        "survey": st.sampled_from(["after-visit", "other"]),
    },
    optional={
        "question": st.sampled_from(QUESTION_IDS),
        "equals": st.sampled_from(["friends", "yes", "x"]),
        "in": st.lists(st.sampled_from(["friends", "cake", "met"]), min_size=1, max_size=2),
        "start": st.sampled_from(QUESTION_IDS),
        "end": st.sampled_from(QUESTION_IDS),
        "segments": st.lists(st.sampled_from(["location", "stage", "channel", "nope"]), max_size=2),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    survey_questions=st.lists(questions, min_size=1, max_size=5),
    scorecard_metrics=st.lists(metrics, min_size=1, max_size=3),
)
def test_any_survey_logic_and_metric_references_give_site_errors_never_a_traceback(
    minimal_project: Path, survey_questions: list[dict[str, object]], scorecard_metrics: list[dict[str, object]]
) -> None:
    scorecard = {"id": "customer-experience", "title": "X", "metrics": scorecard_metrics}
    (minimal_project / SCORECARD).write_text(yaml.safe_dump(scorecard), encoding="utf-8")
    survey = {
        "id": "after-visit",
        "title": "X",
        "audience": "customer",
        "hidden": {"location": ["riga"]},
        "questions": survey_questions,
    }
    assert_only_site_errors(minimal_project, yaml.safe_dump(survey, allow_unicode=True))


@given(
    st.lists(
        st.one_of(st.integers(min_value=0, max_value=999), st.from_regex(r"[a-z_][a-z0-9_-]{0,8}", fullmatch=True)),
        min_size=1,
        max_size=6,
    ).filter(lambda parts: isinstance(parts[0], str))
)
def test_a_field_path_reads_back_as_the_parts_it_was_written_from(parts: list[object]) -> None:
    assert parse_field(format_field(tuple(parts))) == tuple(parts)


@pytest.mark.parametrize("text", ["", ".title", "title.", "questions..label", "questions[2", "questions[x]"])
def test_a_malformed_field_path_reads_as_none(text: str) -> None:
    assert parse_field(text) is None
