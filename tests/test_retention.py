"""Retention as the owner writes it: durations read once, checked with positions, and the cutoffs a purge uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.models.retention import Lifetime, Retention
from sitegen.retention import cutoffs_of, whole_periods_before
from sitegen.site import load_site

Problems = Callable[..., list[str]]
CONFIG = "sitegen.yaml"
SURVEY = "surveys/after-visit.yaml"
LAST_QUESTION = "    label: {lv: Apmeklējuma laiks, en: Time of your visit}\n"
EMAIL = "  - {id: email, type: email, label: {lv: E-pasts, en: E-mail}}\n"
RIGA = ZoneInfo("Europe/Riga")


def survey_retention(lines: str, questions: str = "") -> tuple[str, str, str]:
    """An edit adding `questions` and then `retention:` (its lines, from line 54) to the end of the survey."""
    return (SURVEY, LAST_QUESTION, LAST_QUESTION + questions + "retention:\n" + lines)


def site_retention(lines: str) -> tuple[str, str, str]:
    """An edit adding `retention:` (its lines, from line 6) to the end of sitegen.yaml."""
    return (CONFIG, "privacy: {min_group_size: 5}\n", "privacy: {min_group_size: 5}\nretention:\n" + lines)


def test_durations_are_read_in_days_weeks_months_and_years(minimal_project: Path, problems: Problems) -> None:
    edit = survey_retention("  contacts: 1 week\n  answers: 3 years\n")
    assert problems(minimal_project, edit) == []
    retention = load_site(minimal_project).surveys[0].model.retention
    assert retention is not None
    assert retention.contacts == Lifetime(1, "weeks") and retention.answers == Lifetime(3, "years")
    assert str(retention.answers) == "3 years" and str(Lifetime(1, "days")) == "1 day"


def test_months_and_years_are_calendar_months_and_years() -> None:
    end_of_august = dt.datetime(2026, 8, 31, 12, tzinfo=dt.UTC)
    assert Lifetime(6, "months").cutoff(end_of_august) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert Lifetime(1, "years").cutoff(dt.datetime(2028, 2, 29, tzinfo=dt.UTC)) == dt.datetime(
        2027, 2, 28, tzinfo=dt.UTC
    )
    assert Lifetime(180, "days").cutoff(end_of_august) == end_of_august - dt.timedelta(days=180)


@given(st.integers(1, 10_000), st.sampled_from(["day", "week", "month", "year"]), st.booleans())
def test_a_duration_reads_back_as_it_prints(amount: int, unit: str, plural: bool) -> None:
    retention = Retention.model_validate({"answers": f"{amount} {unit}{'s' * plural}"})
    assert retention.answers == Lifetime(amount, f"{unit}s")  # type: ignore[arg-type]
    assert Retention.model_validate({"answers": str(retention.answers)}) == retention


@given(st.integers(1, 2000), st.integers(1, 300))
def test_a_lifetime_outlives_another_exactly_when_it_is_longer(days: int, weeks: int) -> None:
    assert Lifetime(days, "days").outlives(Lifetime(weeks, "weeks")) == (days > 7 * weeks)
    assert not Lifetime(days, "days").outlives(Lifetime(days, "days"))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            "  contacts: soon\n",
            "surveys/after-visit.yaml:54:13: retention.contacts: expected a time such as '180 days', '6 months' or"
            " '3 years'",
            id="unreadable",
        ),
        pytest.param(
            "  answers: 0 years\n",
            "surveys/after-visit.yaml:54:12: retention.answers: expected a time such as '180 days', '6 months' or"
            " '3 years'",
            id="zero",
        ),
        pytest.param(
            "  contacts: 6 months\n  answers: 180 days\n",
            "surveys/after-visit.yaml:54:13: retention.contacts: contacts kept 6 months would outlive the answers they"
            " belong to (kept 180 days)",
            id="contacts-outlive-answers",
        ),
        pytest.param(
            "  contacts: 30 days\n  answers: 1 month\n",
            "surveys/after-visit.yaml:54:13: retention.contacts: contacts kept 30 days would outlive the answers they"
            " belong to (kept 1 month)",
            id="longer-than-february",
        ),
    ],
)
def test_a_retention_is_refused_with_its_position(
    minimal_project: Path, problems: Problems, lines: str, expected: str
) -> None:
    assert problems(minimal_project, survey_retention(lines)) == [expected]


def test_an_unknown_part_of_a_retention_is_refused(minimal_project: Path, problems: Problems) -> None:
    [line] = problems(minimal_project, survey_retention("  contact: 180 days\n"))
    assert line.startswith("surveys/after-visit.yaml:54:3: retention.contact: ")


def test_the_sites_default_is_checked_in_sitegen_yaml(minimal_project: Path, problems: Problems) -> None:
    assert problems(minimal_project, site_retention("  contacts: 2 years\n  answers: 1 year\n")) == [
        "sitegen.yaml:7:13: retention.contacts: contacts kept 2 years would outlive the answers they belong to"
        " (kept 1 year)"
    ]


def test_a_surveys_answers_may_not_end_before_the_sites_contacts(minimal_project: Path, problems: Problems) -> None:
    edits = [site_retention("  contacts: 1 year\n"), survey_retention("  answers: 6 months\n")]
    assert problems(minimal_project, *edits) == [
        "surveys/after-visit.yaml:54:12: retention.answers: contacts kept 1 year would outlive the answers they"
        " belong to (kept 6 months)"
    ]


def test_a_contact_question_without_retention_is_a_warning(minimal_project: Path, problems: Problems) -> None:
    edit = (SURVEY, LAST_QUESTION, LAST_QUESTION + EMAIL)
    assert problems(minimal_project, edit) == [
        "surveys/after-visit.yaml:53:5: warning: questions[9]: question 'email' asks for a contact, kept forever:"
        " give the survey (or sitegen.yaml) 'retention: {contacts: 180 days}' or the time you decide"
    ]


def test_the_sites_default_retention_of_contacts_answers_the_warning(minimal_project: Path, problems: Problems) -> None:
    edits = [(SURVEY, LAST_QUESTION, LAST_QUESTION + EMAIL), site_retention("  contacts: 180 days\n")]
    assert problems(minimal_project, *edits) == []


# ---- cutoffs --------------------------------------------------------------------------------------


def test_without_scorecards_anonymous_answers_go_by_whole_days_of_the_sites_calendar() -> None:
    moment = dt.datetime(2026, 6, 15, 10, 30, tzinfo=dt.UTC)
    assert whole_periods_before(moment, set(), RIGA) == dt.datetime(2026, 6, 14, 21, tzinfo=dt.UTC)  # 00:00 in Riga


def test_a_monthly_scorecard_makes_anonymous_answers_go_by_whole_months() -> None:
    moment = dt.datetime(2026, 6, 15, tzinfo=dt.UTC)
    assert whole_periods_before(moment, {"month"}, dt.UTC) == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert whole_periods_before(moment, {"quarter"}, dt.UTC) == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert whole_periods_before(moment, {"week"}, dt.UTC) == dt.datetime(2026, 6, 15, tzinfo=dt.UTC)  # a Monday


def test_weeks_and_months_together_wait_for_a_month_that_starts_on_a_monday() -> None:
    moment = dt.datetime(2025, 6, 15, tzinfo=dt.UTC)
    assert whole_periods_before(moment, {"week", "month"}, dt.UTC) == dt.datetime(2024, 7, 1, tzinfo=dt.UTC)


def test_cutoffs_take_the_surveys_retention_over_the_sites(minimal_project: Path, problems: Problems) -> None:
    edits = [
        site_retention("  contacts: 180 days\n  answers: 3 years\n"),
        survey_retention("  answers: 2 years\n", questions=EMAIL),
    ]
    assert problems(minimal_project, *edits) == []
    now = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
    [cutoffs] = cutoffs_of(load_site(minimal_project), now)
    assert cutoffs.contact_questions == ("email",)
    assert cutoffs.contacts_before == now - dt.timedelta(days=180)
    assert cutoffs.answers_before == dt.datetime(2024, 6, 15, 12, tzinfo=dt.UTC)  # to the second: not anonymous
    assert cutoffs.anonymous_before == dt.datetime(2024, 5, 31, 21, tzinfo=dt.UTC)  # June 2024 in Riga (monthly)


def test_an_anonymous_surveys_answers_go_by_the_whole_periods_of_its_scorecards(
    minimal_project: Path, problems: Problems
) -> None:
    edits = [survey_retention("  answers: 1 year\n"), (SURVEY, "audience: customer\n", "audience: employee\n")]
    assert problems(minimal_project, *edits) == []
    [cutoffs] = cutoffs_of(load_site(minimal_project), dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC))
    assert cutoffs.answers_before == cutoffs.anonymous_before == dt.datetime(2025, 5, 31, 21, tzinfo=dt.UTC)
    assert cutoffs.contacts_before is None and cutoffs.contact_questions == ()
