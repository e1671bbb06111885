"""The program's own words: the vision, service standards, onboarding guides, free pages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag
from pydantic.types import StringConstraints

from sitegen.models.common import Slug, StrictModel, Text

MetricRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$")]
"""`scorecard-id/metric-id`."""


class Vision(StrictModel):
    """`content/vision.yaml`: the one-line service vision and the values behind it."""

    statement: Text
    intro: Text | None = None  # Markdown
    values: list[Text] = []


class Standard(StrictModel):
    """`content/standards/<id>.yaml`: one service standard with concrete behaviours."""

    id: Slug
    title: Text
    rule: Text
    why: Text | None = None  # Markdown
    do: list[Text] = []
    dont: list[Text] = []
    measured_by: (
        Annotated[
            Annotated[MetricRef, Tag("one")] | Annotated[list[MetricRef], Tag("many")],
            Discriminator(lambda value: "many" if isinstance(value, list) else "one"),
        ]
        | None
    ) = None
    """The metric (or metrics) that show how well the standard is kept: `<scorecard id>/<metric id>`."""
    order: int = 0

    @property
    def metric_refs(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Each metric named in `measured_by`, with the key it is written at (for errors)."""
        if self.measured_by is None:
            return []
        if isinstance(self.measured_by, str):
            return [(("measured_by",), self.measured_by)]
        return [(("measured_by", index), reference) for index, reference in enumerate(self.measured_by)]


class Module(StrictModel):
    """One module of an onboarding guide."""

    id: Slug
    title: Text
    body: Text | None = None  # Markdown


class Week(StrictModel):
    """One week of the onboarding checklist."""

    title: Text
    tasks: list[Text] = Field(min_length=1)


class Guide(StrictModel):
    """`content/onboarding/<id>.yaml`: an onboarding guide for new employees."""

    id: Slug
    title: Text
    intro: Text | None = None  # Markdown
    mentor: Text | None = None
    modules: list[Module] = []
    weeks: list[Week] = []


class PageMeta(StrictModel):
    """The front matter of a free Markdown page in `content/pages/`."""

    title: Text
    description: Text | None = None
    audience: Literal["intranet", "public", "both"] = "intranet"
    order: int = 0
