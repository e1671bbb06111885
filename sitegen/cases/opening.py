"""Whether an answer opens a case (the survey's `follow_up`), and what the case keeps of it.

The collector asks for each response it stores, so this stays a few dictionary look-ups: a survey without
`follow_up` costs one attribute test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sitegen.answers import condition_holds
from sitegen.cases import LOCATION_FIELD
from sitegen.cases.model import CaseOpening, due_at
from sitegen.models.survey import Survey
from sitegen.question_types import type_of


def case_opening(
    survey: Survey,
    answers: Mapping[str, Any],
    meta: Mapping[str, Any],
    lang: str,
    submitted_at: dt.datetime,
    zone: ZoneInfo,
    opened_by: str = "collector",
) -> CaseOpening | None:
    """The case a response opens (by `opened_by`: the staff member logging an entry), or None: never on an
    anonymous survey, only where `when` holds and the contact (and consent, if the survey asks it) is given."""
    follow_up = survey.follow_up
    if follow_up is None or survey.is_anonymous:
        return None
    when = follow_up.when
    if when is not None and not condition_holds(when, answers.get(when.question)):
        return None
    contact = answers.get(follow_up.contact) if follow_up.contact is not None else None
    consent = answers.get(follow_up.consent) if follow_up.consent is not None else None
    if (follow_up.contact is not None and not contact) or (follow_up.consent is not None and not consent):
        return None
    comment = next(
        (
            answers[question.id]
            for question in survey.asked
            if type_of(question).is_free_text and question.id in answers
        ),
        None,
    )
    summary = {
        "score": answers.get(when.question) if when is not None else None,
        "comment": comment,
        "location": meta.get(LOCATION_FIELD),
        "language": lang,
        "consent": consent,
    }
    return CaseOpening(
        location=meta.get(LOCATION_FIELD),
        lang=lang,
        summary={key: value for key, value in summary.items() if value is not None},
        contact=contact,
        opened_at=submitted_at,
        due_at=due_at(follow_up.due, submitted_at, zone),
        who=opened_by,
    )
