"""The staff pages of cases: the inbox of a member's locations, one page per case, its steps and its completion.

A member sees only cases of the locations they are given (owners: all); a case
of another location answers 404, as one that does not exist, so its id says
nothing. Every change is a CSRF-checked form post answered with a redirect
back to the case (post/redirect/get), so reloading a page never posts twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_time
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sitegen.answers import InvalidSubmission, problem_rows, questions_left, read_completion
from sitegen.cases import LOCATION_FIELD
from sitegen.cases.model import OPEN_STATUSES, Case, Status, Step, StepRefused
from sitegen.collector.snapshots import Snapshot
from sitegen.i18n import UiText
from sitegen.models.survey import BaseQuestion, Survey
from sitegen.question_types import type_of
from sitegen.refusals import N_
from sitegen.render.segments import choice_labels
from sitegen.render.surveys import question_values
from sitegen.staff.accounts import StaffMember
from sitegen.staff.auth import CSRF_FIELD, checked_form, csrf_token, require_staff, staff_desk
from sitegen.staff.pages import PRIVATE, page_language, render_staff_page
from sitegen.store.cases import CaseStore, UnknownCase

CASES_PATH = "/staff/cases/"
MAX_NOTE = 2000
STAFF_STEPS: tuple[Step, ...] = ("contacted", "resolved", "dismissed", "noted")
"""What a member may do to a case from its page; `completed` comes with the entry's form."""
STEP_NAMES: Mapping[Step, str] = {
    "opened": N_("Opened"),
    "contacted": N_("Contacted"),
    "resolved": N_("Resolved"),
    "dismissed": N_("Dismissed"),
    "noted": N_("Note"),
    "completed": N_("Entry completed"),
}
STEP_BUTTONS: Mapping[Step, str] = {
    "contacted": N_("Mark contacted"),
    "resolved": N_("Mark resolved"),
    "dismissed": N_("Dismiss"),
    "noted": N_("Add the note"),
}
STATUS_NAMES: Mapping[Status, str] = {
    "open": N_("open"),
    "contacted": N_("contacted"),
    "resolved": N_("resolved"),
    "dismissed": N_("dismissed"),
}
SHOWN: Mapping[str, tuple[Status, ...]] = {
    "open": OPEN_STATUSES,
    "closed": ("resolved", "dismissed"),
    "all": (*OPEN_STATUSES, "resolved", "dismissed"),
}
"""The inbox's `show=` filter: which statuses each choice lists (open cases by default)."""
SHOWN_NAMES = {"open": N_("Open cases"), "closed": N_("Closed cases"), "all": N_("All cases")}
STEP_SAVED = N_("Saved.")
NOTE_NEEDED = N_("Write the note first.")
NOTE_TOO_LONG = N_("A note may have at most %(max)d characters.")


class CaseNotFound(Exception):
    """No case of this id that the signed-in member may see: answered as one that does not exist."""


async def case_not_found(request: Request, exc: Exception) -> Response:
    """404 in the staff pages' look, the same whether the case does not exist or belongs to another location."""
    ui = UiText(page_language(staff_desk(request).snapshot(), request))
    paragraph = ui.gettext(N_("There is no such case among the cases you can see."))
    values = {"paragraphs": [paragraph], "problems": [], "survey_url": None}
    return render_staff_page(request, "collector.html", N_("Case not found"), values, 404)


CASE_HANDLERS: dict[Any, Any] = {CaseNotFound: case_not_found}
"""What the collector answers when a case page's address names no case the member may see."""


@dataclass(frozen=True)
class CaseView:
    """What the pages show of a case, in the page's language."""

    case: Case
    survey_title: str
    location: str
    status: str
    opened: str
    due: str
    is_overdue: bool


def case_store(request: Request) -> CaseStore:
    store: CaseStore = request.app.state.cases
    return store


def _local_time(moment: dt.datetime, snapshot: Snapshot, lang: str) -> str:
    """A moment as the site's clock shows it: the language's medium date and short time (Babel, CLDR patterns)."""
    return _date_and_time(moment.astimezone(snapshot.zone), lang)


def _date_and_time(moment: dt.datetime, lang: str) -> str:
    return f"{format_date(moment, format='medium', locale=lang)}, {format_time(moment, format='short', locale=lang)}"


def _written_moment(value: str, lang: str) -> str:
    """A date or datetime answer (ISO 8601, the site's wall time) as the language writes it."""
    try:
        return (
            _date_and_time(dt.datetime.fromisoformat(value), lang)
            if "T" in value
            else format_date(dt.date.fromisoformat(value), format="medium", locale=lang)
        )
    except ValueError:
        return value


def location_names(snapshot: Snapshot, lang: str) -> dict[str, str]:
    """Every location id the surveys declare, with its name in `lang`."""
    fallback = snapshot.site.languages[0]
    names: dict[str, str] = {}
    for survey in snapshot.surveys.values():
        field = survey.hidden.get(LOCATION_FIELD)
        for value, label in field.values.items() if field is not None else ():
            names.setdefault(value, label.get(lang, fallback) if label is not None else value)
    return names


def _view(case: Case, snapshot: Snapshot, lang: str, now: dt.datetime, names: Mapping[str, str]) -> CaseView:
    ui = UiText(lang)
    survey = snapshot.surveys.get(case.survey_id)
    return CaseView(
        case=case,
        survey_title=survey.title.get(lang, snapshot.site.languages[0]) if survey is not None else case.survey_id,
        location=names.get(case.location, case.location) if case.location else ui.gettext("no location"),
        status=ui.gettext(STATUS_NAMES[case.status]),
        opened=_local_time(case.opened_at, snapshot, lang),
        due=_local_time(case.due_at, snapshot, lang),
        is_overdue=case.is_overdue(now),
    )


def _visible_locations(member: StaffMember, names: Mapping[str, str]) -> list[str]:
    return sorted(names) if member.sees_everything else list(member.locations)


async def inbox(request: Request) -> Response:
    """GET /staff/cases/: the member's cases, overdue first, filtered by location, survey and status."""
    member = require_staff(request)
    desk = staff_desk(request)
    snapshot, now = desk.snapshot(), desk.clock()
    lang = page_language(snapshot, request)
    names = location_names(snapshot, lang)
    visible = _visible_locations(member, names)
    query = request.query_params
    location = query.get("location") if query.get("location") in visible else None
    survey_id = query.get("survey") if query.get("survey") in snapshot.surveys else None
    show = str(query.get("show")) if query.get("show") in SHOWN else "open"
    locations = [location] if location else (None if member.sees_everything else visible)
    found = await run_in_threadpool(
        case_store(request).find, now, locations=locations, statuses=SHOWN[show], survey_id=survey_id
    )
    views = [_view(case, snapshot, lang, now, names) for case in found]
    surveys = {key: survey.title.get(lang, snapshot.site.languages[0]) for key, survey in snapshot.surveys.items()}
    values = {
        "views": views,
        "overdue": sum(view.is_overdue for view in views),
        "filters": {"location": location or "", "survey": survey_id or "", "show": show},
        "location_choices": [(value, names.get(value, value)) for value in visible],
        "survey_choices": sorted(
            ((key, title) for key, title in surveys.items() if snapshot.surveys[key].follow_up is not None),
            key=lambda pair: pair[1],
        ),
        "show_choices": [(key, UiText(lang).gettext(name)) for key, name in SHOWN_NAMES.items()],
    }
    return render_staff_page(request, "staff_cases.html", N_("Cases"), values)


async def _visible_case(request: Request) -> Case:
    """The case of the address, if the signed-in member may see it; 404 otherwise (whether it exists or not)."""
    member = require_staff(request)
    try:
        case = await run_in_threadpool(case_store(request).get, request.path_params["case_id"])
    except UnknownCase:
        raise CaseNotFound from None
    if not (member.sees_everything or (case.location is not None and member.can_see(case.location))):
        raise CaseNotFound
    return case


def answer_words(question: BaseQuestion, value: Any, lang: str, fallback: str) -> str:
    """A stored answer as staff read it: choices by their labels, lists joined, tables item by item."""
    if isinstance(value, str) and type_of(question).local_format is not None:
        return _written_moment(value, lang)
    labels = choice_labels(question, lang, fallback)
    if isinstance(value, dict):
        return "; ".join(f"{item}: {answer_words(question, part, lang, fallback)}" for item, part in value.items())
    if isinstance(value, list):
        return ", ".join(labels.get(str(part), str(part)) for part in value)
    if isinstance(value, bool):
        return UiText(lang).gettext(N_("yes") if value else N_("no"))
    return labels.get(str(value), str(value))


def _entry_rows(survey: Survey | None, answers: Mapping[str, Any], lang: str, fallback: str) -> list[tuple[str, str]]:
    """The answers as label and words; the contact is left out (the case shows it, while it is open)."""
    if survey is None:
        return []
    contact = survey.follow_up.contact if survey.follow_up is not None else None
    return [
        (
            question.label.get(lang, fallback) if question.label else question.id,
            answer_words(question, value, lang, fallback),
        )
        for question in survey.questions
        if (value := answers.get(question.id)) is not None and question.id != contact
    ]


async def case_page(request: Request) -> Response:
    """GET /staff/cases/{case_id}: the answer, the contact while open, the history, and the next steps."""
    case = await _visible_case(request)
    return await _render_case(request, case)


async def _render_case(
    request: Request,
    case: Case,
    problems: list[dict[str, str]] | None = None,
    refusal: str | None = None,
    status: int = 200,
    posted: Mapping[str, list[str]] | None = None,
) -> Response:
    desk = staff_desk(request)
    snapshot, now = desk.snapshot(), desk.clock()
    lang = page_language(snapshot, request)
    fallback = snapshot.site.languages[0]
    ui = UiText(lang)
    survey = snapshot.surveys.get(case.survey_id)
    answers = await run_in_threadpool(case_store(request).answers_of, case)
    left = questions_left(survey, answers) if survey is not None and survey.is_entry_log and case.is_open else []
    history = [
        {
            "step": ui.gettext(STEP_NAMES[event.step]),
            "who": event.who,
            "at": _local_time(event.at, snapshot, lang),
            "note": event.note,
        }
        for event in case.events
    ]
    values = {
        "view": _view(case, snapshot, lang, now, location_names(snapshot, lang)),
        "entry": _entry_rows(survey, answers, lang, fallback),
        "history": history,
        "steps": [(step, ui.gettext(STEP_BUTTONS[step])) for step in case.next_steps if step in STEP_BUTTONS],
        "left": left,
        "can_resolve": "resolved" in case.next_steps,
        **question_values(left, lang),
        "problems": problems or [],
        "posted": posted or {},
        "refusal": refusal,
        "saved": ui.gettext(STEP_SAVED) if request.query_params.get("saved") else None,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "max_note": MAX_NOTE,
    }
    return render_staff_page(request, "staff_case.html", N_("Case"), values, status)


def _back_to(case: Case, request: Request) -> RedirectResponse:
    lang = page_language(staff_desk(request).snapshot(), request)
    return RedirectResponse(f"{CASES_PATH}{case.id}?{urlencode({'lang': lang, 'saved': 1})}", 303, headers=PRIVATE)


async def take_step(request: Request) -> Response:
    """POST /staff/cases/{case_id}/steps: contacted, resolved, dismissed or a note, with the member as who."""
    member, form = await checked_form(request)
    case = await _visible_case(request)
    ui = UiText(page_language(staff_desk(request).snapshot(), request))
    step, note = str(form.get("step", "")), str(form.get("note", "")).strip()
    if step not in STAFF_STEPS:
        return await _render_case(request, case, refusal=ui.gettext(N_("Choose what was done.")), status=422)
    if len(note) > MAX_NOTE:
        return await _render_case(request, case, refusal=ui.gettext(NOTE_TOO_LONG, max=MAX_NOTE), status=422)
    if step == "noted" and not note:
        return await _render_case(request, case, refusal=ui.gettext(NOTE_NEEDED), status=422)
    try:
        now = staff_desk(request).clock()
        moved = await run_in_threadpool(case_store(request).add_step, case.id, step, member.email, note, now)
    except StepRefused:
        return await _refused_step(request, case)
    return _back_to(moved, request)


async def _refused_step(request: Request, case: Case) -> Response:
    """Someone else moved the case meanwhile (two tabs, two staff): show it as it is now, and say so."""
    ui = UiText(page_language(staff_desk(request).snapshot(), request))
    current = await run_in_threadpool(case_store(request).get, case.id)
    message = ui.gettext(N_("The case has changed since the page was opened: see what was done, then try again."))
    return await _render_case(request, current, refusal=message, status=409)


async def complete_entry(request: Request) -> Response:
    """POST /staff/cases/{case_id}/entry: fill in what the entry left empty (and resolve the case, if asked)."""
    member, form = await checked_form(request)
    case = await _visible_case(request)
    snapshot = staff_desk(request).snapshot()
    survey = snapshot.surveys.get(case.survey_id)
    if survey is None or not survey.is_entry_log or not case.is_open:
        return await _refused_step(request, case)
    lang = page_language(snapshot, request)
    kept = await run_in_threadpool(case_store(request).answers_of, case)
    try:
        added = read_completion(survey, lang, kept, _answer_pairs(form))
    except InvalidSubmission as invalid:
        rows = problem_rows(survey, lang, snapshot.site.languages[0], invalid.problems)
        posted: dict[str, list[str]] = {}
        for name, value in _answer_pairs(form):
            posted.setdefault(name, []).append(value)
        return await _render_case(request, case, problems=rows, posted=posted, status=422)
    resolves = form.get("action") == "resolve"
    if not added and not resolves:
        return _back_to(case, request)
    now = staff_desk(request).clock()
    try:
        done = await run_in_threadpool(case_store(request).complete_entry, case.id, added, member.email, now, resolves)
    except StepRefused:
        return await _refused_step(request, case)
    return _back_to(done, request)


def _answer_pairs(form: FormData) -> list[tuple[str, str]]:
    """The form's answer fields: everything but its token and its button."""
    return [(name, str(value)) for name, value in form.multi_items() if name not in (CSRF_FIELD, "action")]


def case_routes() -> list[BaseRoute]:
    """The inbox, the case pages and their two forms."""
    return [
        Route(CASES_PATH, inbox, methods=["GET", "HEAD"]),
        Route(CASES_PATH + "{case_id}", case_page, methods=["GET", "HEAD"]),
        Route(CASES_PATH + "{case_id}/steps", take_step, methods=["POST"]),
        Route(CASES_PATH + "{case_id}/entry", complete_entry, methods=["POST"]),
    ]
