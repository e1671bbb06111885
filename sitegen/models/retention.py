"""`retention:` how long a survey's (or, by default, the site's) personal data is kept before `sitegen purge`.

Two parts: `contacts` (the e-mail answers and a case's contact) and
`answers` (the whole response). Durations are written as text, `180 days`,
`6 months`, `3 years`, and read once here into a calendar duration
(dateutil's relativedelta does the month and year arithmetic).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from sitegen.models.common import StrictModel

LIFETIME = re.compile(r"(\d+) (day|week|month|year)s?")
Unit = Literal["days", "weeks", "months", "years"]
COMPARED_DAYS = 4 * 365 + 1
"""One leap cycle of start days on which two durations are compared: month and year lengths all occur in it."""
COMPARED_FROM = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Lifetime:
    """How long something is kept: a whole number of days, weeks, months or years."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount} {self.unit[:-1]}{'s' if self.amount != 1 else ''}"

    @property
    def delta(self) -> relativedelta:
        return relativedelta(**{self.unit: self.amount})  # type: ignore[arg-type]

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """The moment before which what was kept at that moment has outlived this lifetime."""
        return now - self.delta

    def outlives(self, other: Lifetime) -> bool:
        """Whether this lifetime ends after `other` for something kept on some day (6 months vs 180 days: always;
        30 days vs 1 month: in February), so the comparison needs no average month length."""
        if self.unit == other.unit:
            return self.amount > other.amount
        days = (COMPARED_FROM + dt.timedelta(days=offset) for offset in range(COMPARED_DAYS))
        return any(day + self.delta > day + other.delta for day in days)


def _lifetime(value: Any) -> Lifetime:
    """`6 months` is written as text; it is read into a number and a unit here, once."""
    if isinstance(value, Lifetime):
        return value
    found = LIFETIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or int(found[1]) < 1:
        raise PydanticCustomError("lifetime", "expected a time such as '180 days', '6 months' or '3 years'")
    return Lifetime(int(found[1]), f"{found[2]}s")  # type: ignore[arg-type]


LifetimeField = Annotated[
    Lifetime,
    PlainValidator(_lifetime),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": f"^{LIFETIME.pattern}$", "examples": ["180 days", "3 years"]}),
]


class Retention(StrictModel):
    """`retention:` `contacts` are kept this long after the answer was stored, or after its case closed (while a
    case is open, always); `answers` (the whole response, its case and its case history) this long after it was
    stored. A part left out is kept until the site's default says otherwise, or forever."""

    contacts: LifetimeField | None = None
    answers: LifetimeField | None = None

    def over(self, default: Retention | None) -> Retention:
        """This retention, each part it leaves out taken from `default` (sitegen.yaml's)."""
        if default is None:
            return self
        return Retention(
            contacts=self.contacts if self.contacts is not None else default.contacts,
            answers=self.answers if self.answers is not None else default.answers,
        )

    @property
    def has_contacts_outliving_answers(self) -> bool:
        """Contacts kept after the answers they belong to are gone: a rule `sitegen check` refuses."""
        return self.contacts is not None and self.answers is not None and self.contacts.outlives(self.answers)
