"""Surveys and their question types, exactly as docs/DESIGN.md section 4 shapes them.

The shape here is checked by pydantic; the rules that need the whole survey
(ids unique, `show_if` naming an earlier question, min below max) live in
`sitegen.checks`, so each rule exists once and can point at its own line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sitegen.models.common import OpenUnion, OrIdList, Slug, StrictModel, Text
from sitegen.models.retention import Retention

JOURNEY_STAGES = ("awareness", "research", "choice", "order", "purchase", "use", "review", "return")
CONDITION_OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in")
RESERVED_FIELD_NAMES = ("rid", "lang", "v")
"""Form fields the collector contract uses itself; no question or hidden field may take them."""

Scalar = bool | int | float | str
"""A value to compare an answer with; `bool` is listed so `true` stays true, not 1, and can be refused by name."""


class Condition(StrictModel):
    """`show_if`: ask a question only when an earlier answer meets a test."""

    question: Slug
    eq: Scalar | None = None
    ne: Scalar | None = None
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> Condition:
        if len(self.operators) != 1:
            raise PydanticCustomError(
                "condition",
                "give exactly one test of {ops} beside 'question' (got {count})",
                {"ops": ", ".join(CONDITION_OPERATORS), "count": len(self.operators)},
            )
        return self

    @property
    def operators(self) -> dict[str, Scalar | list[Scalar]]:
        """The tests given, by operator name (`in`, not `in_`)."""
        given = {op: getattr(self, "in_" if op == "in" else op) for op in CONDITION_OPERATORS}
        return {op: value for op, value in given.items() if value is not None}

    @property
    def operator(self) -> str:
        return next(iter(self.operators))

    @property
    def value(self) -> Scalar | list[Scalar]:
        return next(iter(self.operators.values()))


class Choice(StrictModel):
    """One option of a single, multiple or dropdown question, or one row of a matrix."""

    id: Slug
    label: Text


RecodedValue = int | Slug | None
"""What an old answer becomes: a scale point, a choice or item id, or None (left out of figures)."""


class BaseQuestion(StrictModel):
    """Keys every question has, and the keys that say what answers of an earlier version mean (`was`, `recode`,
    `retired`: docs/survey-versions.md)."""

    id: Slug
    label: Text | None = None  # without one the form shows the id, with a warning
    help: Text | None = None
    required: bool = False
    show_if: Condition | None = None
    was: Slug | None = None
    """The id this question had before a rename: its stored answers are this question's."""
    recode: dict[int | Slug, RecodedValue] | Literal["none"] | None = None
    """What each old scale point, choice or item now is; `none`: answers of an earlier meaning leave the figures."""
    retired: bool = False
    """No longer asked, kept so that its stored answers keep their meaning and their figures."""

    @property
    def is_always_asked(self) -> bool:
        """Asked of everyone: no `show_if` makes it a follow-up."""
        return self.show_if is None

    def is_required_when(self, is_asked: bool) -> bool:
        """The one rule of `required`: a required question must be answered only where it is asked, so a follow-up
        only while its `show_if` holds. The collector knows that from the answers; the page's HTML only for a
        question always asked (the page's script decides for follow-ups, from `data-required`)."""
        return self.required and is_asked


class NpsQuestion(BaseQuestion):
    type: Literal["nps"]


class RatingQuestion(BaseQuestion):
    type: Literal["rating"]
    points: int = Field(default=5, ge=2, le=10)
    style: Literal["stars", "faces"] = "stars"


class LikertQuestion(BaseQuestion):
    type: Literal["likert"]
    points: Literal[5, 7] = 5


class ExpectationsQuestion(BaseQuestion):
    type: Literal["expectations"]


class SingleQuestion(BaseQuestion):
    type: Literal["single"]
    choices: list[Choice] = Field(min_length=2)


class DropdownQuestion(BaseQuestion):
    type: Literal["dropdown"]
    choices: list[Choice] = Field(min_length=2)


class MultipleQuestion(BaseQuestion):
    type: Literal["multiple"]
    choices: list[Choice] = Field(min_length=2)
    min_picks: int | None = Field(default=None, ge=0)
    max_picks: int | None = Field(default=None, ge=1)


class YesNoQuestion(BaseQuestion):
    type: Literal["yes_no"]


class TextQuestion(BaseQuestion):
    type: Literal["text"]
    max_length: int = Field(default=200, ge=1, le=100_000)


class TextareaQuestion(BaseQuestion):
    type: Literal["textarea"]
    max_length: int = Field(default=2000, ge=1, le=100_000)


class NumberQuestion(BaseQuestion):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None


class EmailQuestion(BaseQuestion):
    type: Literal["email"]


class DateQuestion(BaseQuestion):
    type: Literal["date"]


class DatetimeQuestion(BaseQuestion):
    type: Literal["datetime"]
    not_before: Slug | None = None
    """Another datetime question whose answer this one's must not precede (resolved at >= opened at)."""


class RankingQuestion(BaseQuestion):
    """Put the choices in order, first = best; stored as the choice ids in that order."""

    type: Literal["ranking"]
    choices: list[Choice] = Field(min_length=2)


class ConsentQuestion(BaseQuestion):
    """A checkbox agreeing to a text (`text`: its address) in the `version` stored with the answer; always required."""

    type: Literal["consent"]
    text: Text
    version: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
    required: bool = True  # `sitegen check` refuses false (`question_types`: is_always_required)


class MatrixQuestion(BaseQuestion):
    type: Literal["matrix"]
    points: int = Field(default=5, ge=2, le=10)
    items: list[Choice] = Field(min_length=1)


QUESTION_MODELS = OpenUnion(
    "type",
    [
        NpsQuestion,
        RatingQuestion,
        LikertQuestion,
        ExpectationsQuestion,
        SingleQuestion,
        MultipleQuestion,
        DropdownQuestion,
        YesNoQuestion,
        TextQuestion,
        TextareaQuestion,
        NumberQuestion,
        EmailQuestion,
        DateQuestion,
        DatetimeQuestion,
        MatrixQuestion,
        RankingQuestion,
        ConsentQuestion,
    ],
)
"""Every question model by its `type`: the built-in ones, then the plugins' (`sitegen.plugins` admits them)."""
Question = Annotated[BaseQuestion, QUESTION_MODELS]

_SLUGS: TypeAdapter[list[str]] = TypeAdapter(list[Slug])


def _ids_without_labels(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A list of ids is the short form of a mapping of id to label without labels."""
    if isinstance(value, list):
        return dict.fromkeys(_SLUGS.validate_python(value))
    return handler(value)


class HiddenField(StrictModel):
    """A form field filled from the survey's address (`?location=riga-centre`): its label and accepted values.

    Each value may carry a label, so pages name it in words (`riga-mall` reads
    "Riga Mall"); the field's label titles its breakdown on a scorecard.
    """

    label: Text | None = None
    values: Annotated[dict[Slug, Text | None], WrapValidator(_ids_without_labels), OrIdList()]

    @property
    def ids(self) -> list[str]:
        """The values the collector accepts, in the order written."""
        return list(self.values)


def _hidden_field(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """`location: [riga-centre, jelgava]` is the short form of a field without labels."""
    if isinstance(value, list):
        return HiddenField(values=dict.fromkeys(_SLUGS.validate_python(value)))
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "hidden_field",
            "expected a list of values such as [riga-centre, jelgava], or a mapping with 'label' and 'values'",
        )
    return handler(value)


DUE = re.compile(r"(\d+) (working day|day|hour)s?")
DUE_UNITS = {"working day": "working_days", "day": "days", "hour": "hours"}


@dataclass(frozen=True)
class Due:
    """How long a case may stay open: `48 hours`, `3 days`, or `2 working days` (Monday to Friday)."""

    amount: int
    unit: Literal["hours", "days", "working_days"]

    def __str__(self) -> str:
        words = {"hours": "hour", "days": "day", "working_days": "working day"}[self.unit]
        return f"{self.amount} {words}{'s' if self.amount != 1 else ''}"


def _due(value: Any) -> Due:
    """`2 working days` is written as text; it is read into a number and a unit here, once."""
    found = DUE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or int(found[1]) < 1:
        raise PydanticCustomError("due", "expected a time such as '48 hours', '3 days' or '2 working days'")
    return Due(int(found[1]), DUE_UNITS[found[2]])  # type: ignore[arg-type]


class FollowUp(StrictModel):
    """`follow_up:` which answers open a case for staff to answer, at which contact, and by when.

    Without `when`, every answer opens one (a staff-filled log); `contact` is the email question a customer leaves,
    `consent` the consent question agreeing to be contacted; a case opens only where both are answered.
    """

    when: Condition | None = None
    contact: Slug | None = None
    consent: Slug | None = None
    due: Annotated[
        Due,
        PlainValidator(_due),
        PlainSerializer(str),
        WithJsonSchema({"type": "string", "pattern": f"^{DUE.pattern}$", "examples": ["2 working days", "48 hours"]}),
    ]


class Survey(StrictModel):
    """`surveys/<id>.yaml`: one survey, its audience, its dates and its questions."""

    id: Slug
    title: Text
    intro: Text | None = None  # Markdown
    audience: Literal["customer", "employee"]
    anonymous: bool | None = None
    opens: dt.date | None = None
    closes: dt.date | None = None
    thank_you: Text | None = None
    incentive: Text | None = None
    invitation_only: bool = False  # answers only with a personal link's token (`sitegen invite`)
    stage: Literal[JOURNEY_STAGES] | None = None  # type: ignore[valid-type]
    hidden: dict[Slug, Annotated[HiddenField, WrapValidator(_hidden_field), OrIdList()]] = {}
    questions: list[Question] = Field(min_length=1)
    follow_up: FollowUp | None = None
    retention: Retention | None = None

    @property
    def is_anonymous(self) -> bool:
        """Employee surveys are anonymous unless the owner says otherwise."""
        return self.anonymous if self.anonymous is not None else self.audience == "employee"

    @property
    def is_entry_log(self) -> bool:
        """A log staff fill in (the complaint log): each entry opens a case, and staff complete it later on the
        case's page. A customer's answers are never completed by anyone else."""
        return self.audience == "employee" and not self.is_anonymous and self.follow_up is not None

    @property
    def allows_answering_again(self) -> bool:
        """A customer answers about one visit, so may answer again (a later visit, a shared tablet); staff once."""
        return self.audience == "customer"

    @property
    def asked(self) -> list[Question]:
        """The questions its form shows and the collector takes: all but those kept only for their history."""
        return [question for question in self.questions if not question.retired]

    def question(self, question_id: str) -> BaseQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)
