"""Rules that need more than one field: unique ids, survey logic, references, translations.

Each rule is a small function that yields SiteErrors pointed at the field
that breaks it, so `sitegen check` can list every problem at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitegen.alerts.rules import check_alerts
from sitegen.errors import SiteError, did_you_mean
from sitegen.metric_kinds import MetricKind, Problem, kind_of
from sitegen.models.retention import Retention
from sitegen.models.scorecard import BaseMetric, Scorecard, SurveyMetric, period_kind_of
from sitegen.models.site import SiteConfig
from sitegen.models.survey import RESERVED_FIELD_NAMES, BaseQuestion, Condition, Survey
from sitegen.question_types import choice_ids, scale_bounds, type_of
from sitegen.themes import THEMES
from sitegen.untranslated import missing_bodies, missing_texts, model_texts, text_sources
from sitegen.validation import Source, format_field

if TYPE_CHECKING:
    from sitegen.site import Site


def check_site(site: Site) -> list[SiteError]:
    """Every cross-field and cross-file problem of a loaded site, errors and warnings."""
    problems: list[SiteError] = []
    for kind in (site.standards, site.guides, site.surveys, site.scorecards):
        problems += check_unique_ids(kind)
    for survey in site.surveys:
        problems += check_survey(survey)
    surveys = {source.model.id: source.model for source in site.surveys}
    for scorecard in site.scorecards:
        problems += check_scorecard(scorecard, surveys, site.files.root, site.invalid_ids.get(Survey, set()))
    problems += check_measured_by(site)
    for guide in site.guides:
        problems += check_unique_ids(guide.model.modules, guide, ("modules",))
    if site.config is not None:  # the site's languages are known
        problems += check_translations(site)
        problems += check_logo(site.config, site.files.root)
        problems += check_theme(site.config)
        problems += check_alerts(site.config, surveys, {source.model.id for source in site.scorecards})
        problems += check_default_retention(site.config)
        for survey in site.surveys:
            problems += check_retention(survey, site.config)
    return problems


def check_unique_ids(
    items: list[Any], owner: Source[Any] | None = None, loc: tuple[Any, ...] = ()
) -> Iterator[SiteError]:
    """Ids are unique within their kind (files) or within one list of a file (`owner`, `loc`)."""
    first_seen: dict[str, str] = {}
    for index, item in enumerate(items):
        if owner is None:
            source, model, field, place = item, item.model, ("id",), item.path
        else:
            source, model, field, place = owner, item, (*loc, index, "id"), format_field((*loc, index))
        if model.id in first_seen:
            yield source.error(field, f"duplicate id '{model.id}' (also used by {first_seen[model.id]})")
        else:
            first_seen[model.id] = place


def check_survey(source: Source[Survey]) -> Iterator[SiteError]:
    """A survey's own logic: unique ids, sensible limits, `show_if` on earlier answers."""
    survey = source.model
    yield from check_unique_ids(survey.questions, source, ("questions",))
    for name in survey.hidden:
        if name in RESERVED_FIELD_NAMES or survey.question(name) is not None:
            yield source.error(
                ("hidden", name),
                f"the field name '{name}' is already taken by "
                + ("the form itself" if name in RESERVED_FIELD_NAMES else "a question"),
                at_key=True,
            )
    yield from _check_hidden_labels(source)
    if survey.opens and survey.closes and survey.closes < survey.opens:
        yield source.error(("closes",), f"must not be before opens ({survey.opens.isoformat()})")
    earlier: dict[str, BaseQuestion] = {}
    for index, question in enumerate(survey.questions):
        loc = ("questions", index)
        if question.id in RESERVED_FIELD_NAMES:
            yield source.error((*loc, "id"), f"'{question.id}' is reserved for the form itself; choose another id")
        if question.label is None:
            yield source.error(
                loc, f"question '{question.id}' has no label; the form shows its id instead", warning=True
            )
        yield from _check_question(source, question, loc)
        yield from _check_history_keys(source, question, loc)
        if question.show_if is not None:
            yield from _check_condition(source, question, earlier, loc)
        yield from _check_not_before(source, question, loc)
        earlier[question.id] = question
    if survey.follow_up is not None:
        yield from _check_follow_up(source)


def check_retention(source: Source[Survey], config: Source[SiteConfig]) -> Iterator[SiteError]:
    """A survey's contacts do not outlive its answers, and a survey that asks for a contact says how long it keeps it
    (a warning: the owner decides, and until then `sitegen purge` keeps contacts). sitegen.yaml's own pair is
    `check_default_retention`'s."""
    survey, own = source.model, source.model.retention
    kept = (own or Retention()).over(config.model.retention)
    if own is not None and kept.has_contacts_outliving_answers:
        message = f"contacts kept {kept.contacts} would outlive the answers they belong to (kept {kept.answers})"
        yield source.error(("retention", "contacts" if own.contacts is not None else "answers"), message)
    if kept.contacts is None:
        for index, question in enumerate(survey.questions):
            if type_of(question).is_contact:
                yield source.error(
                    ("questions", index),
                    f"question '{question.id}' asks for a contact, kept forever: give the survey (or sitegen.yaml) "
                    "'retention: {contacts: 180 days}' or the time you decide",
                    warning=True,
                )


def check_default_retention(config: Source[SiteConfig]) -> Iterator[SiteError]:
    """sitegen.yaml's `retention:` keeps contacts no longer than answers."""
    default = config.model.retention
    if default is not None and default.has_contacts_outliving_answers:
        message = f"contacts kept {default.contacts} would outlive the answers they belong to (kept {default.answers})"
        yield config.error(("retention", "contacts"), message)


def _check_hidden_labels(source: Source[Survey]) -> Iterator[SiteError]:
    """A hidden field written with labels has one for each value; the short list form has none, by choice."""
    for name, field in source.model.hidden.items():
        labelled = field.label is not None or any(label is not None for label in field.values.values())
        for value, label in field.values.items() if labelled else ():
            if label is None:
                yield source.error(
                    ("hidden", name, "values", value),
                    f"the value '{value}' has no label; scorecards show its id instead",
                    at_key=True,
                    warning=True,
                )


def _check_question(source: Source[Survey], question: BaseQuestion, loc: tuple[Any, ...]) -> Iterator[SiteError]:
    if type_of(question).is_always_required and not question.required:
        yield source.error(
            (*loc, "required"),
            f"a {question.type} question is always required; remove 'required: false'",  # type: ignore[attr-defined]
        )
    for key in ("choices", "items"):
        options = getattr(question, key, None)
        if options:
            yield from check_unique_ids(options, source, (*loc, key))
    low, high = getattr(question, "min", None), getattr(question, "max", None)
    if low is not None and high is not None and high <= low:
        yield source.error((*loc, "max"), f"must be greater than min (got {high:g})")
    fewest, most = getattr(question, "min_picks", None), getattr(question, "max_picks", None)
    count = len(getattr(question, "choices", []))
    if most is not None and most > count:
        yield source.error((*loc, "max_picks"), f"must be at most the number of choices, {count} (got {most})")
    if fewest is not None and fewest > min(count, most if most is not None else count):
        yield source.error((*loc, "min_picks"), f"must be at most max_picks and the number of choices (got {fewest})")


def _recode_targets(question: BaseQuestion) -> list[Any]:
    """What a `recode` may turn an old answer into: the question's scale points, choice ids or matrix items now."""
    entry = type_of(question)
    bounds = scale_bounds(question) if entry.is_scale or entry.is_table else None
    points = list(range(int(bounds[0]), int(bounds[1]) + 1)) if bounds else []
    items = [item.id for item in getattr(question, "items", [])]
    return points + list(choice_ids(question)) + items


def _check_history_keys(source: Source[Survey], question: BaseQuestion, loc: tuple[Any, ...]) -> Iterator[SiteError]:
    """`was` names an id no question has now; a `recode` turns old answers into answers the question has now."""
    if question.was is not None and source.model.question(question.was) is not None:
        yield source.error(
            (*loc, "was"), f"'{question.was}' is a question of this survey now; 'was' names the id this one had before"
        )
    if not isinstance(question.recode, dict):
        return
    targets = _recode_targets(question)
    if not targets:
        yield source.error(
            (*loc, "recode"), "only scales, choices and matrix items can be recoded; use 'recode: none' here"
        )
        return
    for old, new in question.recode.items():
        if new is not None and new not in targets:
            shown = ", ".join(str(target) for target in targets)
            yield source.error((*loc, "recode", old), f"{new!r} is not an answer this question has now ({shown})")


def _check_condition(
    source: Source[Survey], question: BaseQuestion, earlier: dict[str, BaseQuestion], loc: tuple[Any, ...]
) -> Iterator[SiteError]:
    """`show_if` names an earlier question and tests it with values it can have."""
    condition = question.show_if
    assert condition is not None
    loc = (*loc, "show_if")
    target = earlier.get(condition.question)
    if target is None:
        if condition.question == question.id:
            reason = "is this question itself; show_if can only test earlier questions"
        elif source.model.question(condition.question) is not None:
            reason = "comes later; show_if can only test earlier questions"
        else:
            reason = f"is not a question of this survey{did_you_mean(condition.question, earlier)}"
        yield source.error((*loc, "question"), f"'{condition.question}' {reason}")
        return
    if target.retired and not question.retired:
        yield source.error((*loc, "question"), f"'{condition.question}' is retired, so no one answers it now")
    yield from _check_test(source, condition, target, loc)


def _check_test(
    source: Source[Survey], condition: Condition, target: BaseQuestion, loc: tuple[Any, ...]
) -> Iterator[SiteError]:
    """A condition's test (`le: 6`, `in: [...]`) fits the question it tests: numbers for scales, its own choices."""
    operator, value = condition.operator, condition.value
    values = value if isinstance(value, list) else [value]
    kind = target.type  # type: ignore[attr-defined]
    is_numeric = type_of(target).is_numeric
    if operator in ("lt", "le", "gt", "ge") and not is_numeric:
        yield source.error((*loc, operator), f"'{operator}' compares numbers, but '{target.id}' is a {kind} question")
        return
    allowed = choice_ids(target)
    bounds = scale_bounds(target)
    for item in values:
        shown = str(item).lower() if isinstance(item, bool) else item
        if allowed and (isinstance(item, bool) or str(item) not in allowed):
            yield source.error(
                (*loc, operator), f"'{shown}' is not an answer of '{target.id}'; expected one of {', '.join(allowed)}"
            )
        elif is_numeric and isinstance(item, (bool, str)):
            yield source.error((*loc, operator), f"'{shown}' is not a number, but '{target.id}' is a {kind} question")
        elif bounds and isinstance(item, (int, float)) and not bounds[0] <= item <= bounds[1]:
            yield source.error(
                (*loc, operator), f"{item:g} is outside the scale of '{target.id}' ({bounds[0]:g}-{bounds[1]:g})"
            )


def _check_follow_up(source: Source[Survey]) -> Iterator[SiteError]:
    """`follow_up` opens cases only on a survey that knows who answered, tests a question it asks, and names an
    email question to answer at (a customer survey must) and a consent question to be contacted by."""
    survey, follow_up = source.model, source.model.follow_up
    assert follow_up is not None
    if survey.is_anonymous:
        yield source.error(("follow_up",), "anonymous surveys never open cases; remove 'follow_up'", at_key=True)
        return
    asked = {question.id: question for question in survey.asked}
    if follow_up.when is not None:
        tested = follow_up.when.question
        target = asked.get(tested)
        if target is None:
            yield source.error(
                ("follow_up", "when", "question"),
                f"'{tested}' is not a question of this survey{did_you_mean(tested, asked)}",
            )
        else:
            yield from _check_test(source, follow_up.when, target, ("follow_up", "when"))
    if follow_up.contact is None and survey.audience == "customer":
        needs = "a customer survey's follow_up needs 'contact': the email question to answer at"
        yield source.error(("follow_up",), needs, at_key=True)
    for key, kind in (("contact", "an email"), ("consent", "a consent")):
        named = getattr(follow_up, key)
        question = asked.get(named) if named is not None else None
        if named is not None and (question is None or f"{type_of(question).name} " not in f"{kind} "):
            found = (
                f"not the {type_of(question).name} question '{named}'"
                if question is not None
                else f"'{named}' is not a question of this survey"
            )
            yield source.error(("follow_up", key), f"must name {kind} question, {found}")


def _check_not_before(source: Source[Survey], question: BaseQuestion, loc: tuple[Any, ...]) -> Iterator[SiteError]:
    """`not_before` names another datetime question of the survey."""
    named = getattr(question, "not_before", None)
    if named is None:
        return
    other = source.model.question(named)
    if other is None or other is question or type_of(other).name != "datetime":
        yield source.error((*loc, "not_before"), f"must name another datetime question of this survey (got '{named}')")


def check_scorecard(
    source: Source[Scorecard], surveys: dict[str, Survey], root: Path, invalid_surveys: Collection[str] = ()
) -> Iterator[SiteError]:
    """Each metric names a survey, questions of the right type and a data file that exist, and meets its kind's rules.

    A metric on one of `invalid_surveys` (whose own errors are reported) is not checked further.
    """
    yield from check_unique_ids(source.model.metrics, source, ("metrics",))
    for index, metric in enumerate(source.model.metrics):
        loc = ("metrics", index)
        kind = kind_of(metric)
        yield from _check_control(source, metric, loc)
        if metric.data_file is not None:
            problems = list(_check_data_file(source, metric.data_file, root, loc))
            yield from problems
            if problems:
                continue
        survey = None
        if isinstance(metric, SurveyMetric):
            survey = surveys.get(metric.survey)
            if survey is None and metric.survey in invalid_surveys:
                continue
            if survey is None:
                yield source.error(
                    (*loc, "survey"), f"no survey with id '{metric.survey}'{did_you_mean(metric.survey, surveys)}"
                )
                continue
            problems = list(_check_metric_questions(source, metric, kind, survey, loc))
            yield from problems
            yield from _check_segments(source, metric, kind, survey, loc)
            if problems:
                continue
        for problem in kind.check(metric, survey, root):
            yield source.error((*loc, *problem.key), problem.message) if isinstance(problem, Problem) else problem


def _check_data_file(
    source: Source[Scorecard], data_file: str, root: Path, loc: tuple[Any, ...]
) -> Iterator[SiteError]:
    data = (root / data_file).resolve()
    if not data.is_relative_to(root.resolve()):
        yield source.error((*loc, "data"), f"'{data_file}' is outside the project; give a path such as data/orders.csv")
    elif not data.is_file():
        yield source.error((*loc, "data"), f"no such file '{data_file}' in the project")


def check_theme(source: Source[SiteConfig]) -> Iterator[SiteError]:
    """The theme `sitegen.yaml` picks is the built-in one or a plugin's that is installed."""
    theme = source.model.theme
    if theme not in THEMES:
        known = sorted(THEMES)
        yield source.error(
            ("theme",),
            f"no theme '{theme}' is installed; expected one of {', '.join(known)}{did_you_mean(theme, known)}",
        )


def check_logo(source: Source[SiteConfig], root: Path) -> Iterator[SiteError]:
    """The logo `sitegen.yaml` names is a file inside the project."""
    logo = source.model.logo
    if logo is None:
        return
    path = (root / logo).resolve()
    if not path.is_relative_to(root.resolve()):
        yield source.error(("logo",), f"'{logo}' is outside the project; give a path such as assets/logo.svg")
    elif not path.is_file():
        yield source.error(("logo",), f"no such file '{logo}' in the project")


PERIOD_EXAMPLES = {"week": "2026-W19", "month": "2026-05", "quarter": "2026-Q2"}
"""Labels that show owners the form each kind of period takes."""


def _check_control(source: Source[Scorecard], metric: BaseMetric, loc: tuple[Any, ...]) -> Iterator[SiteError]:
    """`control:` needs a metric drawn on a control chart, and periods of the scorecard's kind, in order."""
    control = metric.control
    if control is None:
        return
    if kind_of(metric).control_chart is None:
        yield source.error(
            (*loc, "control"), f"a {kind_of(metric).name} metric is not drawn on a control chart: remove 'control'"
        )
        return
    period = source.model.period
    named: list[tuple[tuple[Any, ...], str | None]] = [(("from",), control.from_), (("to",), control.to)]
    named += [(("breaks", index), label) for index, label in enumerate(control.breaks)]
    for key, label in named:
        if label is not None and period_kind_of(label) != period:
            yield source.error(
                (*loc, "control", *key),
                f"'{label}' is not a {period}: this scorecard's periods look like {PERIOD_EXAMPLES[period]}",
            )
    # Labels of one kind are zero-padded, so they sort as their periods do.
    if control.from_ and control.to and control.to < control.from_:
        yield source.error(
            (*loc, "control", "to"), f"the baseline ends ({control.to}) before it starts ({control.from_})"
        )


def _check_metric_questions(
    source: Source[Scorecard], metric: BaseMetric, kind: MetricKind, survey: Survey, loc: tuple[Any, ...]
) -> Iterator[SiteError]:
    """Each key of the metric that names a question names one of the survey's, of a type the kind reads."""
    known = [q.id for q in survey.questions]
    for key, types in kind.questions.items():
        question_id = getattr(metric, key)
        question = survey.question(question_id)
        if question is None:
            yield source.error(
                (*loc, key), f"survey '{survey.id}' has no question '{question_id}'{did_you_mean(question_id, known)}"
            )
        elif question.type not in types:  # type: ignore[attr-defined]
            yield source.error(
                (*loc, key),
                f"a {kind.name} metric needs a {' or '.join(types)} question; '{question_id}' is {question.type}",  # type: ignore[attr-defined]
            )


def _check_segments(
    source: Source[Scorecard], metric: SurveyMetric, kind: MetricKind, survey: Survey, loc: tuple[Any, ...]
) -> Iterator[SiteError]:
    """A segment is one the kind can break down by: `stage`, a hidden field or a choice question of the survey."""
    known = kind.segments.known(survey)
    for index, segment in enumerate(metric.segments):
        if segment not in known:
            yield source.error(
                (*loc, "segments", index),
                f"'{segment}' is not {kind.segments.described} of survey '{survey.id}'; "
                f"expected one of {', '.join(known)}{did_you_mean(segment, known)}",
            )


def check_measured_by(site: Site) -> Iterator[SiteError]:
    """`measured_by: scorecard/metric` (or a list of them) names metrics that exist."""
    scorecards = {source.model.id: source.model for source in site.scorecards}
    invalid_scorecards = site.invalid_ids.get(Scorecard, set())
    named = [(source, loc, reference) for source in site.standards for loc, reference in source.model.metric_refs]
    for source, loc, reference in named:
        scorecard_id, metric_id = reference.split("/")
        scorecard = scorecards.get(scorecard_id)
        if scorecard is None and scorecard_id in invalid_scorecards:
            continue
        if scorecard is None:
            yield source.error(loc, f"no scorecard with id '{scorecard_id}'{did_you_mean(scorecard_id, scorecards)}")
        elif scorecard.metric(metric_id) is None:
            known = [metric.id for metric in scorecard.metrics]
            yield source.error(
                loc, f"scorecard '{scorecard_id}' has no metric '{metric_id}'{did_you_mean(metric_id, known)}"
            )


def check_translations(site: Site) -> Iterator[SiteError]:
    """Texts use configured languages only; a missing translation is a warning that knows its language."""
    languages = site.config.model.languages
    default = languages[0]
    for source in text_sources(site):
        for loc, text in model_texts(source.model):
            for lang in text.translations:
                if lang not in languages:
                    yield source.error(
                        (*loc, lang),
                        f"'{lang}' is not one of the site's languages ({', '.join(languages)})"
                        + did_you_mean(lang, languages),
                        at_key=True,
                    )
    for missing in missing_texts(site):
        warning = missing.source.error(
            missing.loc, f"no '{missing.lang}' translation; the {missing.source_lang} text is used", warning=True
        )
        yield dataclasses.replace(warning, untranslated=missing.lang)
    for body in missing_bodies(site):
        warning = body.page.meta.error(
            (), f"no '{body.lang}' translation of the page body ({body.path}); the {default} text is used", warning=True
        )
        yield dataclasses.replace(warning, untranslated=body.lang)
