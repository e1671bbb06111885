"""Which answers open a case, and what the case keeps of them (`sitegen.cases.opening`)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sitegen.cases.opening import case_opening
from sitegen.models.survey import Survey

AT = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
RIGA = ZoneInfo("Europe/Riga")


def survey(**changes: Any) -> Survey:
    definition: dict[str, Any] = {
        "id": "after-visit",
        "title": "After",
        "audience": "customer",
        "hidden": {"location": ["riga-centre"]},
        "questions": [
            {"id": "recommend", "type": "nps"},
            {"id": "improve", "type": "textarea"},
            {"id": "email", "type": "email"},
            {"id": "agree", "type": "consent", "text": "/privacy/", "version": "v1"},
        ],
        "follow_up": {
            "when": {"question": "recommend", "le": 6},
            "contact": "email",
            "consent": "agree",
            "due": "48 hours",
        },
    }
    return Survey.model_validate({**definition, **changes})


ANSWERS = {"recommend": 4, "improve": "Slow", "email": "a@example.com", "agree": "v1"}


def opened(survey: Survey, answers: dict[str, Any] = ANSWERS) -> Any:
    return case_opening(survey, answers, {"location": "riga-centre"}, "lv", AT, RIGA)


def test_a_detractor_with_contact_and_consent_opens_a_case_keeping_score_comment_location_language() -> None:
    case = opened(survey())
    assert case.contact == "a@example.com" and case.location == "riga-centre" and case.lang == "lv"
    assert case.summary == {"score": 4, "comment": "Slow", "location": "riga-centre", "language": "lv", "consent": "v1"}
    assert case.opened_at == AT and case.due_at == AT + dt.timedelta(hours=48)


@pytest.mark.parametrize(
    "answers",
    [
        {**ANSWERS, "recommend": 7},
        {key: value for key, value in ANSWERS.items() if key != "email"},
        {key: value for key, value in ANSWERS.items() if key != "agree"},
        {key: value for key, value in ANSWERS.items() if key != "recommend"},
    ],
    ids=["promoter", "no-contact", "no-consent", "no-score"],
)
def test_an_answer_that_fails_when_or_lacks_contact_or_consent_opens_none(answers: dict[str, Any]) -> None:
    assert opened(survey(), answers) is None


def test_an_anonymous_survey_never_opens_a_case_even_with_a_follow_up() -> None:
    assert opened(survey(anonymous=True)) is None


def test_a_staff_log_without_when_or_contact_opens_a_case_for_every_entry() -> None:
    log = survey(audience="employee", anonymous=False, follow_up={"due": "2 working days"})
    case = opened(log, {"recommend": 9})
    assert case is not None and case.contact is None and case.summary == {"location": "riga-centre", "language": "lv"}


def test_a_survey_without_follow_up_opens_none() -> None:
    assert opened(survey(follow_up=None)) is None
