"""The collector: an ASGI app (Starlette) that takes survey answers and stores them durably.

`POST /s/<survey-id>` takes a form post or a JSON body, checks it with
`sitegen.answers` (the same rules the pages were built from), stores it
through the group-commit writer, and only then answers: 303 to the
thank-you page (forms) or 201 with the id (JSON); a survey with an incentive
answers a form with its thank-you page and the answer's one-time code
(`sitegen.incentive_codes`), and JSON with the code beside the id. Problems get a page in the
respondent's language or RFC 9457 problem details. `GET /healthz` says it is up.
The collector never serves response data. Staff sign in under `/staff/` and
read the built intranet at `/intranet/` (`sitegen.staff`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from sitegen.alerts.sender import start_sender
from sitegen.answers import (
    HONEYPOT_FIELD,
    VERSION_FIELD,
    InvalidSubmission,
    MalformedJson,
    Submission,
    kept_moment,
    parse_json,
    problem_rows,
    read_form,
    read_json,
)
from sitegen.cases.model import CaseOpening
from sitegen.cases.opening import case_opening
from sitegen.collector.dedupe import RecentPosts, post_key
from sitegen.collector.guards import (
    BODY_TIMEOUT_VARIABLE,
    HEADER_TIMEOUT_VARIABLE,
    BodyTooLarge,
    GuardedHttpProtocol,
    RateLimiter,
    SecurityHeaders,
    collector_headers,
    connection_cap,
    is_origin_allowed,
    origin_of,
    raise_file_limit,
    read_limited,
)
from sitegen.collector.invited import (
    INVITATION_FIELD,
    Refusal,
    claim_invitation,
    invitation_routes,
    release_invitation,
    thanks_page,
    with_segment,
)
from sitegen.collector.snapshots import Clock, ServedSurveys, Snapshot, follow_files
from sitegen.collector.thanks import ThanksPages
from sitegen.collector.writer import BatchWriter, ResponseRefused, StoreUnavailable
from sitegen.i18n import UiText
from sitegen.incentive_codes import CodeKey, required_key
from sitegen.models.site import SiteConfig
from sitegen.models.survey import Survey
from sitegen.refusals import CONTROL_CHARACTERS, N_
from sitegen.render import INTRANET
from sitegen.render.pages import PagePlan, render_page
from sitegen.render.surveys import is_closed_on, open_period, survey_tree
from sitegen.site import Site, load_site
from sitegen.staff.accounts import LOCATION_FIELD, StaffAccounts
from sitegen.staff.auth import SESSION_COOKIE, StaffDesk, current_session
from sitegen.staff.case_pages import CASE_HANDLERS, case_routes
from sitegen.staff.codes import CodeDesk
from sitegen.staff.pages import EXCEPTION_HANDLERS, staff_routes
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.outbox import Outbox

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MAX_FORM_FIELDS = 2000
MAX_USER_AGENT = 300
CHARSETS = (None, "utf-8")
"""Form posts are UTF-8 (WHATWG URL Standard, application/x-www-form-urlencoded) and JSON is (RFC 8259 section 8.1)."""
STORE_RETRY_SECONDS = 30
"""The Retry-After (RFC 9110 section 10.2.3) of a 503 when the store fails."""
SURVEY_CHANGED = N_("This survey has changed since its page was opened. Please open it again and answer its questions.")
"""Said with the problems of a post whose form names a version of the survey that is no longer taken."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Collector:
    """What every request shares: the surveys served (a snapshot, swapped whole on an edit), the store, the guards."""

    surveys: ServedSurveys
    store: ResponseStore
    writer: BatchWriter
    limiter: RateLimiter
    clock: Clock
    code_key: CodeKey | None = None
    """The site secret's key for incentive codes; None: no survey had an incentive when the collector started."""
    recent: RecentPosts = field(init=False)
    """Posts without a rid of the last minutes (`sitegen.collector.dedupe`), by the collector's own clock."""
    thanks: ThanksPages = field(init=False, default_factory=ThanksPages)
    """The thank-you pages with a code slot (`sitegen.collector.thanks`)."""

    def __post_init__(self) -> None:
        self.recent = RecentPosts(clock=lambda: self.clock().timestamp())

    def is_closed(self, snapshot: Snapshot, survey: Survey) -> bool:
        return is_closed_on(survey, self.clock().astimezone(snapshot.zone).date())

    def stored_response(
        self,
        snapshot: Snapshot,
        survey: Survey,
        version: str,
        submission: Submission,
        user_agent: str | None,
        opened_by: str = "collector",
    ) -> StoredResponse:
        """The row to keep, under the version its answers were checked against, with the case its answers open;
        anonymous surveys (by the current definition, even for a form built before it became anonymous) keep only
        the day and no user agent, and open no case."""
        meta = dict(submission.meta)
        if user_agent and not survey.is_anonymous:
            # A header is decoded as Latin-1, so the pattern's astral range (see refused_characters) never matches.
            meta["user_agent"] = CONTROL_CHARACTERS.sub("", user_agent)[:MAX_USER_AGENT]
        submitted_at = kept_moment(survey, self.clock(), snapshot.zone)
        response = StoredResponse(
            id=submission.response_id,
            survey_id=survey.id,
            survey_version=version,
            submitted_at=submitted_at,
            lang=submission.lang,
            meta=meta,
            answers=submission.answers,
            is_anonymous=survey.is_anonymous,
            opens_case=self.case_opened(snapshot, survey, submission, meta, submitted_at, opened_by),
        )
        if not survey.incentive or self.code_key is None:
            return response
        code = self.code_key.issued(response.id, response.key, survey.id, meta.get(LOCATION_FIELD))
        return dataclasses.replace(response, shows_code=code)

    @staticmethod
    def case_opened(
        snapshot: Snapshot,
        survey: Survey,
        submission: Submission,
        meta: dict[str, Any],
        submitted_at: dt.datetime,
        opened_by: str,
    ) -> CaseOpening | None:
        """The case the answer opens, if any, marked for the outbox where an alert rule listens for it."""
        opening = case_opening(
            survey, submission.answers, meta, submission.lang, submitted_at, snapshot.zone, opened_by
        )
        if opening is None or not snapshot.config.alerts.hears_cases_of(survey.id):
            return opening
        return dataclasses.replace(opening, is_alerted=True)

    def code_of(self, survey: Survey, response_id: str) -> str | None:
        """The code the thank-you answer shows for a stored response; None if the survey has no incentive (or,
        having gained one while the collector runs, no secret to make it with)."""
        if not survey.incentive or self.code_key is None:
            return None
        return self.code_key.code(response_id)


# ---- answers ------------------------------------------------------------------------------


def _media_type(request: Request) -> tuple[str, str | None]:
    """The body's media type and charset, both lower case (RFC 9110 section 8.3)."""
    return _parse_content_type(request.headers.get("content-type", ""))


@functools.lru_cache(maxsize=64)
def _parse_content_type(value: str) -> tuple[str, str | None]:
    """Read by the standard library's MIME header parser; a missing or unreadable Content-Type reads as text/plain
    (RFC 2045 section 5.2). Posts repeat the same few values, so each is parsed once."""
    header = Message()
    header["content-type"] = value
    return header.get_content_type(), header.get_content_charset()


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return _media_type(request)[0] == JSON or ("application/json" in accept and "text/html" not in accept)


def _page(
    snapshot: Snapshot,
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
    base = snapshot.link_base(survey)
    survey_url = f"{base}/{lang}/surveys/{survey.id}/" if survey and status != 404 else None
    values = {"heading": heading, "paragraphs": list(paragraphs), "problems": list(problems), "survey_url": survey_url}
    plan = PagePlan(tree, lang, "", "collector.html", values)
    html = render_page(snapshot.environment, snapshot.shared, plan, snapshot.site.files.root, link_base=base)
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
    snapshot: Snapshot,
    request: Request,
    status: int,
    survey: Survey | None,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    translate_detail: bool = True,
    lang: str | None = None,
) -> Response:
    """An error answer in the form the client understands (`detail` may already be in the page's language).

    A page is in `lang` (the language the respondent posted in) if given, else in the one the request asks for.
    """
    if _wants_json(request):
        return _problem_json(status, title, detail, headers=headers)
    lang = lang or _page_language(snapshot, request)
    ui = UiText(lang)
    paragraph = ui.gettext(detail) if translate_detail else detail
    return _page(snapshot, status, survey, lang, ui.gettext(title), [paragraph] if paragraph else [], headers=headers)


def _page_language(snapshot: Snapshot, request: Request) -> str:
    """The page's language from `?lang=` or Accept-Language, else the site's default."""
    languages = snapshot.site.languages
    wanted = request.query_params.get("lang")
    if wanted in languages:
        return str(wanted)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in languages:
            return code
    return languages[0]


async def submit(request: Request) -> Response:
    collector: Collector = request.app.state.collector
    snapshot = collector.surveys.snapshot  # read once: a reload while this request runs does not change it
    survey = snapshot.surveys.get(request.path_params["survey_id"])
    if survey is None:
        return _refuse(snapshot, request, 404, None, N_("Survey not found"), N_("There is no survey at this address."))
    if request.method != "POST":
        return _refuse(
            snapshot,
            request,
            405,
            survey,
            N_("Method not allowed"),
            N_("Answers are sent with POST."),
            {"Allow": "POST"},
        )
    own_origin = origin_of(str(request.base_url))
    if not is_origin_allowed(request.headers.get("origin"), own_origin, snapshot.origins):
        return _refuse(
            snapshot,
            request,
            403,
            survey,
            N_("Origin not allowed"),
            N_("Answers are only taken from this site's own pages."),
        )
    wait = collector.limiter.check(_client_address(request))
    if wait:
        return _refuse(
            snapshot,
            request,
            429,
            survey,
            N_("Too many answers"),
            N_("Too many answers came from your network just now. Please try again in a few minutes."),
            {"Retry-After": str(int(wait))},
        )
    media_type, charset = _media_type(request)
    submit_body = BODY_READERS.get(media_type)
    if submit_body is None:
        return _refuse(
            snapshot, request, 415, survey, N_("Unsupported media type"), N_("Send answers as a form or as JSON.")
        )
    if charset not in CHARSETS:
        return _refuse(
            snapshot, request, 415, survey, N_("Unsupported media type"), N_("Send the answers encoded as UTF-8.")
        )
    try:
        body = await read_limited(request.stream(), request.headers.get("content-length"), snapshot.max_body)
    except BodyTooLarge:
        return _refuse(
            snapshot,
            request,
            413,
            survey,
            N_("Too much data"),
            N_("The answers are larger than this survey can take."),
        )
    if collector.is_closed(snapshot, survey):
        lang = _page_language(snapshot, request)
        detail = open_period(survey, lang)
        return _refuse(snapshot, request, 410, survey, N_("This survey is closed."), detail, translate_detail=False)
    return await submit_body(collector, snapshot, request, survey, body)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _store_once(
    collector: Collector, snapshot: Snapshot, request: Request, survey: Survey, version: str, submission: Submission
) -> tuple[str, bool] | Response:
    """Store a checked submission once: the id it is stored under and whether it is new, or the error answer.

    A post without a rid that repeats one of the last minutes is not stored again (`sitegen.collector.dedupe`).
    """
    result: bool | Response | None = None
    if submission.has_client_id:
        result = await _store(collector, snapshot, request, survey, version, submission)
        return result if isinstance(result, Response) else (submission.response_id, result)
    key = post_key(collector.limiter.client_key(_client_address(request)), submission)
    while True:
        is_first, outcome = collector.recent.claim(key)
        if is_first:
            break
        earlier_id = await asyncio.shield(outcome)
        if earlier_id is not None:
            return earlier_id, False
    try:
        result = await _store(collector, snapshot, request, survey, version, submission)
    finally:  # also when the client leaves: the posts waiting for this one must hear
        is_kept = isinstance(result, bool)
        collector.recent.settle(key, outcome, submission.response_id if is_kept else None)
    return result if isinstance(result, Response) else (submission.response_id, result)


async def _store_answer(
    collector: Collector,
    snapshot: Snapshot,
    request: Request,
    survey: Survey,
    version: str,
    submission: Submission,
    token: str | None,
) -> tuple[str, bool] | Response:
    """`_store_once`, with the post's invitation claimed first (`sitegen.collector.invited`) and given back if the
    answer could not be stored."""
    if token is None and not survey.invitation_only:
        return await _store_once(collector, snapshot, request, survey, version, submission)
    invitation = await run_in_threadpool(claim_invitation, collector.store.invitations, survey, token)
    if isinstance(invitation, Refusal):
        return _refuse(
            snapshot, request, invitation.status, survey, invitation.title, invitation.detail, lang=submission.lang
        )
    if invitation is None:
        return await _store_once(collector, snapshot, request, survey, version, submission)
    stored = await _store_once(
        collector, snapshot, request, survey, version, with_segment(survey, submission, invitation)
    )
    if isinstance(stored, Response):
        await run_in_threadpool(release_invitation, collector.store.invitations, survey, invitation)
    return stored


async def _opened_by(request: Request, survey: Survey) -> str:
    """Who opens the case an answer may open: the signed-in staff member logging an entry, else the collector."""
    if survey.follow_up is None or survey.is_anonymous or SESSION_COOKIE not in request.cookies:
        return "collector"
    session = await run_in_threadpool(current_session, request)
    return session.member.email if session is not None else "collector"


async def _store(
    collector: Collector, snapshot: Snapshot, request: Request, survey: Survey, version: str, submission: Submission
) -> bool | Response:
    """Store a checked submission (False: its id was stored already), or the error answer if the store cannot."""
    user_agent = request.headers.get("user-agent")
    response = collector.stored_response(
        snapshot, survey, version, submission, user_agent, await _opened_by(request, survey)
    )
    try:
        return await collector.writer.add(response)
    except ResponseRefused:
        return _refuse(
            snapshot,
            request,
            422,
            survey,
            N_("Answers not stored"),
            N_("Your answers could not be stored as they were sent. Please check them and send them again."),
            lang=submission.lang,
        )
    except StoreUnavailable:
        return _refuse(
            snapshot,
            request,
            503,
            survey,
            N_("Answers not stored yet"),
            N_("Your answers could not be stored just now. Please send them again in a minute."),
            {"Retry-After": str(STORE_RETRY_SECONDS)},
            lang=submission.lang,
        )


async def _submit_form(
    collector: Collector, snapshot: Snapshot, request: Request, survey: Survey, body: bytes
) -> Response:
    try:
        text = body.decode("utf-8")
        # errors="strict": a percent-encoded byte sequence that is not UTF-8 is refused, not turned into U+FFFD.
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return _refuse(snapshot, request, 400, survey, N_("Bad request"), N_("The form could not be read."))
    languages = snapshot.site.languages
    posted_lang = next((value for name, value in pairs if name == "lang" and value in languages), languages[0])
    thanks = f"{snapshot.link_base(survey)}/{posted_lang}/surveys/{survey.id}/thanks/"
    if any(name == HONEYPOT_FIELD and value for name, value in pairs):
        return RedirectResponse(thanks, status_code=303)  # a bot: pretend, keep nothing
    posted_version = next((value for name, value in pairs if name == VERSION_FIELD), None)
    token = next((value for name, value in pairs if name == INVITATION_FIELD), None)
    pairs = [(name, value) for name, value in pairs if name != INVITATION_FIELD]
    checked = collector.surveys.choose_version(snapshot, survey.id, posted_version)
    try:
        submission = read_form(checked.survey, languages, pairs)
    except InvalidSubmission as invalid:
        rows = problem_rows(checked.survey, posted_lang, languages[0], invalid.problems)
        ui = UiText(posted_lang)
        changed = [ui.gettext(SURVEY_CHANGED)] if checked.is_stale else []
        return _page(snapshot, 422, survey, posted_lang, ui.gettext("Please check your answers"), changed, rows)
    stored = await _store_answer(collector, snapshot, request, survey, checked.version, submission, token)
    if isinstance(stored, Response):
        return stored
    code = collector.code_of(survey, stored[0])
    if code is not None:
        return collector.thanks.answer(snapshot, survey, submission.lang, code)
    if token is not None:
        return thanks_page(snapshot, survey, submission.lang)
    return RedirectResponse(
        f"{snapshot.link_base(survey)}/{submission.lang}/surveys/{survey.id}/thanks/", status_code=303
    )


async def _submit_json(
    collector: Collector, snapshot: Snapshot, request: Request, survey: Survey, body: bytes
) -> Response:
    try:
        document = parse_json(body)
    except MalformedJson as malformed:
        return _problem_json(400, "Malformed JSON", f"{malformed}.")
    posted_version = document.get(VERSION_FIELD) if isinstance(document, dict) else None
    token = document.pop(INVITATION_FIELD, None) if isinstance(document, dict) else None
    if token is not None and not isinstance(token, str):
        return _problem_json(422, "Invalid answers", f"'{INVITATION_FIELD}' must be the token of a personal link.")
    checked = collector.surveys.choose_version(snapshot, survey.id, posted_version)
    try:
        submission = read_json(checked.survey, snapshot.site.languages, document)
    except InvalidSubmission as invalid:
        errors = [{"field": p.field, "code": p.code, "message": p.message} for p in invalid.problems]
        detail = f"{len(errors)} answer(s) could not be accepted." + (f" {SURVEY_CHANGED}" if checked.is_stale else "")
        return _problem_json(422, "Invalid answers", detail, errors)
    stored = await _store_answer(collector, snapshot, request, survey, checked.version, submission, token)
    if isinstance(stored, Response):
        return stored
    response_id, is_new = stored
    answer = {"id": response_id, "status": "stored" if is_new else "already stored"}
    code = collector.code_of(survey, response_id)
    if code is None:
        return JSONResponse(answer, status_code=201)
    return JSONResponse({**answer, "code": code}, status_code=201, headers={"Cache-Control": "no-store"})


BODY_READERS: dict[str, Callable[[Collector, Snapshot, Request, Survey, bytes], Awaitable[Response]]] = {
    FORM: _submit_form,
    JSON: _submit_json,
}
"""Each media type a survey's answers may come in, and what reads, checks and stores them."""


async def health(request: Request) -> Response:
    """Up, and which version of each survey it checks answers against (an edit taken shows here)."""
    collector: Collector = request.app.state.collector
    return JSONResponse({"status": "ok", "surveys": dict(collector.surveys.snapshot.versions)})


async def _forget_departed_client(request: Request, exc: Exception) -> Response:
    """A client that left mid-request hears nothing and is not worth a log line (let alone a traceback)."""
    return Response(status_code=400)


def collector_routes(site: Site) -> list[BaseRoute]:
    """Every address the collector answers, and with which methods: the app's routes, which `sitegen check --links`
    also matches the built pages' forms and links against."""
    return [
        Route("/s/{survey_id}", submit, methods=ALL_METHODS),
        Route("/healthz", health, methods=["GET", "HEAD"]),
        *staff_routes(served_intranet(site)),
        *case_routes(),
        *invitation_routes(),
    ]


def create_app(
    project: Path, store_url: str | None = None, clock: Clock = utc_now, limiter: RateLimiter | None = None
) -> ASGIApp:
    """The collector for the project in `project`, with its guards; the store from sitegen.yaml unless `store_url`.

    It follows the survey files and sitegen.yaml while it runs (`sitegen.collector.snapshots`); the store, the rate
    limit and the headers are taken from the project as it was at start.
    """
    site = load_site(project)
    config = site.config.model
    code_key = required_key(source.model for source in site.surveys)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anonymous = [source.model.id for source in site.surveys if source.model.is_anonymous]
        store = ResponseStore.open(store_url or config.store, site.files.root, anonymous_surveys=anonymous)
        writer = BatchWriter(store)
        rate = config.collector.rate_limit
        client_limiter = limiter or RateLimiter(rate.per_hour, rate.burst, rate.max_clients)
        surveys = ServedSurveys(project, site, clock, keeper=store)
        app.state.collector = Collector(surveys, store, writer, client_limiter, clock, code_key)
        app.state.cases = store.cases
        app.state.codes = CodeDesk(code_key, store.codes, clock)
        app.state.staff = StaffDesk(StaffAccounts(store.engine), config.staff, clock, lambda: surveys.snapshot)
        alerts = start_sender(site, Outbox(store.engine), clock)  # cases opened by answers queue their alerts
        stop_watching = asyncio.Event()
        watcher = asyncio.create_task(follow_files(surveys, stop_watching))
        await asyncio.sleep(0)  # the watcher's first step registers its watches: an edit right after start is seen
        try:
            yield
        finally:
            stop_watching.set()
            try:
                await watcher
            finally:
                if alerts is not None:
                    alerts.stop()
                writer.close()
                store.close()

    handlers = {ClientDisconnect: _forget_departed_client, **EXCEPTION_HANDLERS, **CASE_HANDLERS}
    app = Starlette(routes=collector_routes(site), lifespan=lifespan, exception_handlers=handlers)
    return SecurityHeaders(app, collector_headers(config))  # outside Starlette's error handling: its 500s too


def served_intranet(site: Site) -> Path:
    """The intranet tree staff see: the deployed release when `deploy.intranet` is a folder on this machine.

    That is what `sitegen deploy` made current (`<folder>/current`, followed at each request, so a switch or a
    rollback shows at once); otherwise the project's own build, output/intranet.
    """
    deploy = site.config.model.deploy
    deployed = deploy.intranet.served_folder if deploy is not None and deploy.intranet.path is not None else None
    return Path(deployed) if deployed is not None else site.files.output / INTRANET


LOG_CONFIG = {
    **uvicorn.config.LOGGING_CONFIG,
    "loggers": {
        **uvicorn.config.LOGGING_CONFIG["loggers"],
        "sitegen": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}
"""uvicorn's logging, with the collector's own lines (errors, refused rows, surveys reloaded) in the same form."""
PROJECT_VARIABLE = "SITEGEN_PROJECT"
STORE_VARIABLE = "SITEGEN_STORE"


def app_from_environment() -> ASGIApp:
    """The app for uvicorn's worker processes, which can only import it by name.

    The project's models, templates and libraries as loaded at start (most
    live as long as the process) are frozen out of the garbage collector's
    full passes, which otherwise stall every request in flight for about
    100 ms now and then.
    """
    app = create_app(Path(os.environ[PROJECT_VARIABLE]), os.environ.get(STORE_VARIABLE) or None)
    gc.freeze()
    return app


def serve(project: Path, host: str, port: int, store_url: str | None, workers: int, config: SiteConfig) -> None:
    """Run the collector on uvicorn until interrupted, with the limits of `config.collector`.

    No access log: it would write every respondent's address to the server's
    logs, which the collector otherwise never keeps (and it costs a fifth of
    the time per submission). Forwarded headers only from `trusted_proxies`:
    from anyone else they would let a client pick the address it is limited by.
    """
    limits = config.collector
    os.environ[PROJECT_VARIABLE] = str(project.resolve())
    os.environ[STORE_VARIABLE] = store_url or ""
    os.environ[HEADER_TIMEOUT_VARIABLE] = str(limits.timeouts.header_s)
    os.environ[BODY_TIMEOUT_VARIABLE] = str(limits.timeouts.body_s)
    trusted_proxies = [str(network) for network in limits.trusted_proxies]
    uvicorn.run(
        "sitegen.collector.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=GuardedHttpProtocol,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies,
        limit_concurrency=connection_cap(limits.max_connections, raise_file_limit()),
        timeout_keep_alive=limits.timeouts.idle_s,
        server_header=False,
        access_log=False,
        log_level="info",
        log_config=LOG_CONFIG,
    )
