"""A scorecard's breakdowns in words: each segment's title and its values' labels, in a page's language.

Figures and data files key a breakdown by ids (`location`, `riga-mall`);
pages name them as the survey does (a hidden field's or question's label, a
choice's label), or in the theme's words for the built-in `stage`. A value
without a label is shown by its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sitegen.i18n import UiText
from sitegen.models.common import Text
from sitegen.models.scorecard import BaseMetric
from sitegen.models.survey import BaseQuestion, Survey
from sitegen.refusals import N_
from sitegen.site import Site

STAGE_TITLE = N_("Journey stage")
STAGE_NAMES = {
    "awareness": N_("Awareness"),
    "research": N_("Research"),
    "choice": N_("Choice"),
    "order": N_("Order"),
    "purchase": N_("Purchase"),
    "use": N_("Use"),
    "review": N_("Review"),
    "return": N_("Return"),
}
# The same words the survey form shows for these questions' fixed answers.
FIXED_CHOICE_NAMES = {
    "yes_no": {"yes": N_("Yes"), "no": N_("No")},
    "expectations": {
        "below": N_("Below my expectations"),
        "met": N_("Met my expectations"),
        "exceeded": N_("Exceeded my expectations"),
    },
}


@dataclass(frozen=True)
class SegmentWords:
    """A breakdown's title and the labels of its values in one language; `labels` lacks values without one.

    A question's title is a whole sentence ("What brought you in?"), so a
    heading quotes it rather than making it part of its own sentence.
    """

    title: str
    labels: Mapping[str, str] = field(default_factory=dict)
    is_question: bool = False

    def label(self, key: str) -> str:
        """The value's label, or its id where it has none."""
        return self.labels.get(key, key)

    @property
    def title_in_text(self) -> str:
        """The title as it reads inside a heading ("By café"): a capital that only starts the label is lowered."""
        if len(self.title) > 1 and self.title[0].isupper() and self.title[1].islower():
            return self.title[0].lower() + self.title[1:]
        return self.title


def segment_words(survey: Survey | None, segment: str, lang: str, fallback: str) -> SegmentWords:
    """How a page in `lang` names the breakdown `segment` of a metric on `survey` and its values."""
    hidden = survey.hidden.get(segment) if survey is not None else None
    if hidden is not None:
        labels = {value: text.get(lang, fallback) for value, text in hidden.values.items() if text is not None}
        return SegmentWords(_local(hidden.label, segment, lang, fallback), labels)
    question = survey.question(segment) if survey is not None else None
    if question is not None:
        title = _local(question.label, segment, lang, fallback)
        return SegmentWords(title, choice_labels(question, lang, fallback), is_question=True)
    if segment == "stage":
        ui = UiText(lang)
        return SegmentWords(ui.gettext(STAGE_TITLE), {stage: ui.gettext(name) for stage, name in STAGE_NAMES.items()})
    return SegmentWords(segment)


def metric_words(site: Site, metric: BaseMetric) -> dict[str, dict[str, SegmentWords]]:
    """Language -> segment -> words for each breakdown of `metric`, in every language of the site."""
    segments: list[str] = getattr(metric, "segments", [])
    survey_id = getattr(metric, "survey", None)
    survey = next((source.model for source in site.surveys if source.model.id == survey_id), None)
    fallback = site.default_language
    return {
        lang: {segment: segment_words(survey, segment, lang, fallback) for segment in segments}
        for lang in site.languages
    }


def _local(text: Text | None, default: str, lang: str, fallback: str) -> str:
    return text.get(lang, fallback) if text is not None else default


def choice_labels(question: BaseQuestion, lang: str, fallback: str) -> dict[str, str]:
    fixed = FIXED_CHOICE_NAMES.get(getattr(question, "type", ""))
    if fixed is not None:
        ui = UiText(lang)
        return {choice: ui.gettext(name) for choice, name in fixed.items()}
    return {choice.id: choice.label.get(lang, fallback) for choice in getattr(question, "choices", [])}
