"""Scorecards: which metrics to compute from which answers, with which targets.

One metric model per `kind`, so a key that makes no sense for a kind (a
`question` on a `count`) is an unknown key, like any typo.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from sitegen.models.common import OpenUnion, Slug, StrictModel, Text


class Target(StrictModel):
    """A SMART target: a value, by a date, from a baseline, in a direction."""

    value: float
    by: dt.date | None = None
    baseline: float | None = None
    direction: Literal["up", "down"] | None = None


PeriodLabel = Annotated[str, StringConstraints(pattern=r"^\d{4}-(?:W(?:0[1-9]|[1-4]\d|5[0-3])|0[1-9]|1[0-2]|Q[1-4])$")]
"""A period as scorecards label it: 2026-W18, 2026-05 or 2026-Q2."""


def period_kind_of(label: str) -> Literal["week", "month", "quarter"]:
    """Which kind of period a valid `PeriodLabel` names, told by its form alone."""
    return "week" if "W" in label else "quarter" if "Q" in label else "month"


class ControlSettings(StrictModel):
    """`control:` of a metric: the baseline its control-chart limits come from, and where the process changed.

    Not a target's `baseline` (a value): this is a range of periods. Without
    it, the limits come from the first 12 periods with data.
    """

    from_: PeriodLabel | None = Field(default=None, alias="from")
    to: PeriodLabel | None = None
    breaks: list[PeriodLabel] = []
    chart: Literal["xmr"] | None = None
    """`xmr` takes sigma from the periods' moving ranges instead of from their answers (see docs/statistics.md)."""

    @model_validator(mode="after")
    def _to_needs_from(self) -> ControlSettings:
        if self.to is not None and self.from_ is None:
            raise PydanticCustomError("control", "'to' needs a 'from': give the baseline's first period too")
        return self


class BaseMetric(StrictModel):
    """Keys every metric has."""

    id: Slug
    title: Text | None = None
    description: Text | None = None
    target: Target | None = None
    control: ControlSettings | None = None

    default_direction: ClassVar[str] = "up"

    @property
    def data_file(self) -> str | None:
        """The project's CSV file the metric reads (checked to exist inside the project); None if it reads none."""
        return None

    @property
    def direction(self) -> str:
        """Whether higher (`up`) or lower (`down`) values are better."""
        if self.target is not None and self.target.direction is not None:
            return self.target.direction
        return self.default_direction


class SurveyMetric(BaseMetric):
    """A metric computed from one survey's responses."""

    survey: Slug
    segments: list[Slug] = []


class QuestionMetric(SurveyMetric):
    """A metric over the answers to one question."""

    question: Slug


class NpsMetric(QuestionMetric):
    kind: Literal["nps"]


class CsatMetric(QuestionMetric):
    kind: Literal["csat"]


class CesMetric(QuestionMetric):
    kind: Literal["ces"]


class MeanMetric(QuestionMetric):
    kind: Literal["mean"]
    choice: Slug | None = None
    """On a ranking question: the choice whose average rank is the figure (1 = ranked first)."""


class ShareMetric(QuestionMetric):
    kind: Literal["share"]
    equals: Slug | None = None
    in_: list[Slug] | None = Field(default=None, alias="in", min_length=1)

    @model_validator(mode="after")
    def _equals_or_in(self) -> ShareMetric:
        if (self.equals is None) == (self.in_ is None):
            raise PydanticCustomError("share", "give either 'equals: <choice id>' or 'in: [<choice ids>]'")
        return self

    @property
    def counted_choices(self) -> list[str]:
        return [self.equals] if self.equals is not None else list(self.in_ or [])


class TopBoxMetric(QuestionMetric):
    kind: Literal["top_box"]
    top: int = Field(default=2, ge=1)


class CountMetric(SurveyMetric):
    kind: Literal["count"]
    default_direction: ClassVar[str] = "down"


class DurationMetric(SurveyMetric):
    kind: Literal["duration"]
    start: Slug
    end: Slug
    unit: Literal["minutes", "hours", "days"] = "hours"
    default_direction: ClassVar[str] = "down"


class CasesClosedMetric(SurveyMetric):
    """The share of a survey's cases resolved within their due time, by the period they opened in."""

    kind: Literal["cases_closed"]


class TimeToCloseMetric(SurveyMetric):
    """The median time from opening a survey's case to resolving it, by the period it opened in."""

    kind: Literal["time_to_close"]
    unit: Literal["minutes", "hours", "days"] = "hours"
    default_direction: ClassVar[str] = "down"


class DataFileMetric(BaseMetric):
    """A metric that reads a CSV file of the project (`data`), checked to exist inside it."""

    data: str

    @property
    def data_file(self) -> str | None:
        return self.data


class RepeatRateMetric(DataFileMetric):
    kind: Literal["repeat_rate"]


class ResponseRateMetric(SurveyMetric):
    """Responses per count of a data file (receipts per location and day), or, without `data`, per invitation
    sent (`sitegen invite`); segments are hidden fields."""

    kind: Literal["response_rate"]
    data: str | None = None

    @property
    def data_file(self) -> str | None:
        return self.data


METRIC_MODELS = OpenUnion(
    "kind",
    [
        NpsMetric,
        CsatMetric,
        CesMetric,
        MeanMetric,
        ShareMetric,
        TopBoxMetric,
        CountMetric,
        DurationMetric,
        CasesClosedMetric,
        TimeToCloseMetric,
        RepeatRateMetric,
        ResponseRateMetric,
    ],
)
"""Every metric model by its `kind`; `sitegen.metric_kinds` holds one entry per member, and a test keeps the two in
step. Plugins' models join through `sitegen.plugins`."""
Metric = Annotated[BaseMetric, METRIC_MODELS]


class Scorecard(StrictModel):
    """`content/scorecards/<id>.yaml`: a page of KPIs with targets."""

    id: Slug
    title: Text
    description: Text | None = None
    period: Literal["week", "month", "quarter"] = "month"
    metrics: list[Metric] = Field(min_length=1)

    def metric(self, metric_id: str) -> BaseMetric | None:
        return next((m for m in self.metrics if m.id == metric_id), None)
