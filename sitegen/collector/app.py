"""The collector: an ASGI app (Starlette) that takes survey answers and stores them durably.

`POST /s/<survey-id>` takes a form post or a JSON body, checks it with
`sitegen.answers` (the same rules the pages were built from), stores it
through the group-commit writer, and only then answers: 303 to the
thank-you page (forms) or 201 with the id (JSON). Problems get a page in the
respondent's language or RFC 9457 problem details. `GET /healthz` says it is up.
The collector never serves response data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sitegen.answers import (
    CONTROL_CHARACTERS,
    HONEYPOT_FIELD,
    MESSAGES,
    N_,
    InvalidSubmission,
    Problem,
    Submission,
    kept_moment,
    read_form,
    read_json,
)
from sitegen.collector.guards import (
    BodyTooLarge,
    RateLimiter,
    allowed_origins,
    is_origin_allowed,
    origin_of,
    read_limited,
)
from sitegen.collector.writer import BatchWriter
from sitegen.i18n import UiText
from sitegen.models.survey import Survey
from sitegen.render.environment import create_environment
from sitegen.render.pages import PagePlan, render_page, site_values
from sitegen.render.surveys import open_period, survey_tree, tree_url
from sitegen.site import Site, load_site
from sitegen.store import ResponseStore, StoredResponse, survey_version

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MAX_FORM_FIELDS = 2000
MAX_USER_AGENT = 300

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Collector:
    """Everything a request needs, built once when the app starts."""

    site: Site
    store: ResponseStore
    writer: BatchWriter
    limiter: RateLimiter
    clock: Clock

    def __post_init__(self) -> None:
        config = self.site.config.model
        self.surveys: dict[str, Survey] = {source.model.id: source.model for source in self.site.surveys}
        self.versions = {survey_id: survey_version(survey) for survey_id, survey in self.surveys.items()}
        self.origins = allowed_origins(config)
        self.max_body = config.collector.max_body_kb * 1024
        self.zone = ZoneInfo(config.timezone)
        self.environment = create_environment(self.site.files.templates)
        self.shared = site_values(self.site)
        self.tree_prefixes = {"public": "", "intranet": ""}
        """Where each tree is served on the collector's own origin (the preview serves the intranet below /intranet)."""

    def today(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    def link_base(self, survey: Survey | None) -> str:
        """Where the site's pages are, seen from the collector: same origin unless collector_url is set."""
        config = self.site.config.model
        tree = survey_tree(survey) if survey else "public"
        if config.collector_url is None:
            return self.tree_prefixes[tree]
        return tree_url(config, tree) or tree_url(config, "public") or ""

    def is_closed(self, survey: Survey) -> bool:
        today = self.today()
        return bool((survey.opens and today < survey.opens) or (survey.closes and today > survey.closes))

    def stored_response(self, survey: Survey, submission: Submission, user_agent: str | None) -> StoredResponse:
        """The row to keep: anonymous surveys keep only the day and no user agent."""
        meta = dict(submission.meta)
        if user_agent and not survey.is_anonymous:
            meta["user_agent"] = CONTROL_CHARACTERS.sub("", user_agent)[:MAX_USER_AGENT]
        return StoredResponse(
            id=submission.response_id,
            survey_id=survey.id,
            survey_version=self.versions[survey.id],
            submitted_at=kept_moment(survey, self.clock(), self.zone),
            lang=submission.lang,
            meta=meta,
            answers=submission.answers,
            is_anonymous=survey.is_anonymous,
        )


# ---- answers ------------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accept = request.headers.get("accept", "")
    return content_type == JSON or ("application/json" in accept and "text/html" not in accept)


def _page(
    collector: Collector,
    status: int,
    survey: Survey | None,
    lang: str,
    heading: str,
    paragraphs: Sequence[str] = (),
    problems: Sequence[dict[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """A page in the site's look and the respondent's language."""
    tree = survey_tree(survey) if survey else "public"
    base = collector.link_base(survey)
    survey_url = f"{base}/{lang}/surveys/{survey.id}/" if survey and status != 404 else None
    values = {"heading": heading, "paragraphs": list(paragraphs), "problems": list(problems), "survey_url": survey_url}
    plan = PagePlan(tree, lang, "", "collector.html", values)
    html = render_page(collector.environment, collector.shared, plan, collector.site.files.root, link_base=base)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def _problem_json(
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """RFC 9457 problem details."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def _refuse(
    collector: Collector,
    request: Request,
    status: int,
    survey: Survey | None,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    translate_detail: bool = True,
) -> Response:
    """An error answer in the form the client understands (`detail` may already be in the page's language)."""
    if _wants_json(request):
        return _problem_json(status, title, detail, headers=headers)
    lang = _page_language(collector, request)
    ui = UiText(lang)
    paragraph = ui.gettext(detail) if translate_detail else detail
    return _page(collector, status, survey, lang, ui.gettext(title), [paragraph] if paragraph else [], headers=headers)


def _page_language(collector: Collector, request: Request) -> str:
    """The page's language from `?lang=` or Accept-Language, else the site's default."""
    languages = collector.site.languages
    wanted = request.query_params.get("lang")
    if wanted in languages:
        return str(wanted)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in languages:
            return code
    return languages[0]


def _problem_rows(survey: Survey, lang: str, fallback: str, problems: list[Problem]) -> list[dict[str, str]]:
    """Each problem with the question's label and the message in the respondent's language."""
    ui = UiText(lang)
    rows = []
    for problem in problems:
        question = survey.question(problem.field.split(".")[0])
        label = question.label.get(lang, fallback) if question and question.label else problem.field
        rows.append(
            {"field": problem.field, "label": label, "message": ui.gettext(MESSAGES[problem.code], **problem.params)}
        )
    return rows


async def submit(request: Request) -> Response:
    collector: Collector = request.app.state.collector
    survey = collector.surveys.get(request.path_params["survey_id"])
    if survey is None:
        return _refuse(collector, request, 404, None, N_("Survey not found"), N_("There is no survey at this address."))
    if request.method != "POST":
        return _refuse(
            collector,
            request,
            405,
            survey,
            N_("Method not allowed"),
            N_("Answers are sent with POST."),
            {"Allow": "POST"},
        )
    own_origin = origin_of(str(request.base_url))
    if not is_origin_allowed(request.headers.get("origin"), own_origin, collector.origins):
        return _refuse(
            collector,
            request,
            403,
            survey,
            N_("Origin not allowed"),
            N_("Answers are only taken from this site's own pages."),
        )
    wait = collector.limiter.check(request.client.host if request.client else "unknown")
    if wait:
        return _refuse(
            collector,
            request,
            429,
            survey,
            N_("Too many answers"),
            N_("Too many answers came from your network just now. Please try again in a few minutes."),
            {"Retry-After": str(int(wait))},
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (FORM, JSON):
        return _refuse(
            collector, request, 415, survey, N_("Unsupported media type"), N_("Send answers as a form or as JSON.")
        )
    try:
        body = await read_limited(request.stream(), request.headers.get("content-length"), collector.max_body)
    except BodyTooLarge:
        return _refuse(
            collector,
            request,
            413,
            survey,
            N_("Too much data"),
            N_("The answers are larger than this survey can take."),
        )
    if collector.is_closed(survey):
        lang = _page_language(collector, request)
        detail = open_period(survey, lang)
        return _refuse(collector, request, 410, survey, N_("This survey is closed."), detail, translate_detail=False)
    if content_type == JSON:
        return await _submit_json(collector, request, survey, body)
    return await _submit_form(collector, request, survey, body)


async def _submit_form(collector: Collector, request: Request, survey: Survey, body: bytes) -> Response:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return _refuse(collector, request, 400, survey, N_("Bad request"), N_("The form could not be read."))
    languages = collector.site.languages
    posted_lang = next((value for name, value in pairs if name == "lang" and value in languages), languages[0])
    thanks = f"{collector.link_base(survey)}/{posted_lang}/surveys/{survey.id}/thanks/"
    if any(name == HONEYPOT_FIELD and value for name, value in pairs):
        return RedirectResponse(thanks, status_code=303)  # a bot: pretend, keep nothing
    try:
        submission = read_form(survey, languages, pairs)
    except InvalidSubmission as invalid:
        rows = _problem_rows(survey, posted_lang, languages[0], invalid.problems)
        heading = UiText(posted_lang).gettext("Please check your answers")
        return _page(collector, 422, survey, posted_lang, heading, problems=rows)
    await collector.writer.add(collector.stored_response(survey, submission, request.headers.get("user-agent")))
    return RedirectResponse(
        f"{collector.link_base(survey)}/{submission.lang}/surveys/{survey.id}/thanks/", status_code=303
    )


async def _submit_json(collector: Collector, request: Request, survey: Survey, body: bytes) -> Response:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _problem_json(400, "Malformed JSON", "The body is not valid JSON.")
    try:
        submission = read_json(survey, collector.site.languages, document)
    except InvalidSubmission as invalid:
        errors = [{"field": p.field, "code": p.code, "message": p.message} for p in invalid.problems]
        return _problem_json(422, "Invalid answers", f"{len(errors)} answer(s) could not be accepted.", errors)
    is_new = await collector.writer.add(
        collector.stored_response(survey, submission, request.headers.get("user-agent"))
    )
    status = "stored" if is_new else "already stored"
    return JSONResponse({"id": submission.response_id, "status": status}, status_code=201)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(
    project: Path, store_url: str | None = None, clock: Clock = utc_now, limiter: RateLimiter | None = None
) -> Starlette:
    """The collector for the project in `project`; the store from sitegen.yaml unless `store_url`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        site = load_site(project)
        config = site.config.model
        anonymous = [source.model.id for source in site.surveys if source.model.is_anonymous]
        store = ResponseStore.open(store_url or config.store, site.files.root, anonymous_surveys=anonymous)
        writer = BatchWriter(store)
        rate = config.collector.rate_limit
        app.state.collector = Collector(site, store, writer, limiter or RateLimiter(rate.per_hour, rate.burst), clock)
        try:
            yield
        finally:
            writer.close()
            store.close()

    routes = [Route("/s/{survey_id}", submit, methods=ALL_METHODS), Route("/healthz", health, methods=["GET", "HEAD"])]
    return Starlette(routes=routes, lifespan=lifespan)


PROJECT_VARIABLE = "SITEGEN_PROJECT"
STORE_VARIABLE = "SITEGEN_STORE"


def app_from_environment() -> Starlette:
    """The app for uvicorn's worker processes, which can only import it by name.

    The project's models, templates and libraries live as long as the process:
    frozen out of the garbage collector's full passes, which otherwise stall
    every request in flight for about 100 ms now and then.
    """
    app = create_app(Path(os.environ[PROJECT_VARIABLE]), os.environ.get(STORE_VARIABLE) or None)
    gc.freeze()
    return app


def serve(project: Path, host: str, port: int, store_url: str | None, workers: int) -> None:
    """Run the collector on uvicorn until interrupted.

    No access log: it would write every respondent's address to the server's
    logs, which the collector otherwise never keeps (and it costs a fifth of
    the time per submission).
    """
    os.environ[PROJECT_VARIABLE] = str(project.resolve())
    os.environ[STORE_VARIABLE] = store_url or ""
    uvicorn.run(
        "sitegen.collector.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        access_log=False,
        log_level="info",
    )
