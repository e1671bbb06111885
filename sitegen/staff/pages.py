"""The staff pages of `sitegen collect` (sign-in, sign-out, home) and the built intranet served behind them.

`staff_routes()` is what the collector mounts; pages of other staff
features join it under `/staff/` and use `sitegen.staff.auth` for who is
signed in and for their forms' CSRF tokens (docs/DESIGN.md, "Staff side").
Every answer here is private (`Cache-Control: no-store`) and carries a
policy that lets the site's stylesheet in and the pages' forms post to this
origin only.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from sitegen.collector.guards import SECURITY_HEADERS, error_page_policy, origin_of
from sitegen.collector.snapshots import Snapshot
from sitegen.i18n import UiText
from sitegen.language_choice import CHOICE_COOKIE, preferred_language
from sitegen.refusals import N_
from sitegen.render.pages import PagePlan, render_page
from sitegen.staff.auth import (
    CSRF_FIELD,
    HOME_PATH,
    LOGIN_CSRF_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    CsrfRefused,
    NotSignedIn,
    check_login_csrf,
    checked_form,
    csrf_token,
    current_session,
    read_form,
    require_staff,
    safe_next,
    set_cookie,
    staff_desk,
)

PRIVATE = {"Cache-Control": "no-store"}
"""Staff pages and intranet files stay out of every cache (RFC 9111 section 5.2.2.5)."""
INTRANET_PATH = "/intranet"
STAFF_KEY = "staff/"
"""The staff pages' place in the navigation: under no section, so no section is marked as the current one."""
SIGN_IN_REFUSED = N_(
    "The e-mail address or the password is not right, or there were too many tries: "
    "then the account is locked for a while."
)

ROLE_NAMES = {"owner": N_("owner"), "manager": N_("manager"), "staff": N_("staff member")}


def staff_page_headers(snapshot: Snapshot) -> dict[str, str]:
    """The collector's headers, with forms allowed to post to this origin, and no caching."""
    config = snapshot.config
    origins = [url for url in (config.base_url, config.intranet_url) if url]
    policy = error_page_policy((origin_of(url) for url in origins), form_action="'self'")
    return {**dict(SECURITY_HEADERS), "Content-Security-Policy": policy, **PRIVATE}


def page_language(snapshot: Snapshot, request: Request) -> str:
    """`?lang=`, else the visitor's earlier choice on the site, else the browser's language."""
    chosen = request.query_params.get("lang") or request.cookies.get(CHOICE_COOKIE)
    return preferred_language(snapshot.site.languages, chosen, request.headers.get("accept-language"))


def render_staff_page(
    request: Request, template: str, heading: str, values: dict[str, Any], status: int = 200
) -> Response:
    """A staff page from the site's templates, in the visitor's language; `heading` is translated here.

    Signed in, it is a page of the intranet (its look, navigation and links, served here under /intranet);
    before that, of the public site, whose stylesheet a visitor without a session can load.
    """
    snapshot = staff_desk(request).snapshot()
    lang = page_language(snapshot, request)
    tree, base = ("intranet", INTRANET_PATH) if current_session(request) else ("public", snapshot.link_base(None))
    values = {
        "heading": UiText(lang).gettext(heading),
        "intranet_url": f"{INTRANET_PATH}/{lang}/",
        "language_links": language_links(request, snapshot),
        "staff_page": template,
        **values,
    }
    plan = PagePlan(tree, lang, STAFF_KEY, template, values)
    html = render_page(snapshot.environment, snapshot.shared, plan, snapshot.site.files.root, link_base=base)
    headers = staff_page_headers(snapshot)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def language_links(request: Request, snapshot: Snapshot) -> dict[str, str]:
    """This page in each language: the same address and query with `lang=` set."""
    others = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return {lang: f"{request.url.path}?{urlencode([*others, ('lang', lang)])}" for lang in snapshot.site.languages}


def _login_form(request: Request, email: str = "", status: int = 200, is_refused: bool = False) -> Response:
    """The sign-in form with a token that its cookie repeats (kept while the cookie lasts: two tabs both work)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    lang = page_language(staff_desk(request).snapshot(), request)
    values = {
        "csrf_field": CSRF_FIELD,
        "csrf": token,
        "email": email,
        "next": request.query_params.get("next", ""),
        "problem": UiText(lang).gettext(SIGN_IN_REFUSED) if is_refused else None,
    }
    response = render_staff_page(request, "staff_login.html", N_("Sign in"), values, status)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, None, LOGIN_PATH)
    return response


async def login_page(request: Request) -> Response:
    if current_session(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303, headers=PRIVATE)
    return _login_form(request)


async def login(request: Request) -> Response:
    form = await read_form(request)
    check_login_csrf(request, form)
    email = str(form.get("email", ""))
    session_id = await run_in_threadpool(staff_desk(request).sign_in, email, str(form.get("password", "")))
    if session_id is None:
        return _login_form(request, email, 401, is_refused=True)
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303, headers=PRIVATE)
    hours = staff_desk(request).settings.session_hours
    set_cookie(request, response, SESSION_COOKIE, session_id, hours * 3600, "/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


async def logout(request: Request) -> Response:
    await checked_form(request)
    await run_in_threadpool(staff_desk(request).accounts.end_session, request.cookies[SESSION_COOKIE])
    response = RedirectResponse(LOGIN_PATH, status_code=303, headers=PRIVATE)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def home(request: Request) -> Response:
    member = require_staff(request)
    lang = page_language(staff_desk(request).snapshot(), request)
    role_name = UiText(lang).gettext(ROLE_NAMES[member.role])
    values = {"member": member, "role_name": role_name, "csrf_field": CSRF_FIELD, "csrf": csrf_token(request)}
    return render_staff_page(request, "staff_home.html", N_("Staff"), values)


async def not_signed_in(request: Request, exc: Exception) -> Response:
    """A page asked for without a session goes to the sign-in page (and back after); anything else is 401."""
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='/')}", status_code=303, headers=PRIVATE)
    heading = N_("Please sign in")
    values: dict[str, Any] = {"paragraphs": [], "problems": [], "survey_url": None}
    return render_staff_page(request, "collector.html", heading, values, 401)


async def csrf_refused(request: Request, exc: Exception) -> Response:
    """A form without its token (an old page, another site's form): 403, and the way to go on."""
    lang = page_language(staff_desk(request).snapshot(), request)
    paragraph = UiText(lang).gettext(N_("This form has expired. Open the page again and send the form again."))
    values = {"paragraphs": [paragraph], "problems": [], "survey_url": None}
    return render_staff_page(request, "collector.html", N_("Form expired"), values, 403)


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Any]] = {
    NotSignedIn: not_signed_in,
    CsrfRefused: csrf_refused,
}
"""What the collector answers when a staff route finds no session, or a form without its token."""


class WholeFiles(StaticFiles):
    """StaticFiles that read each file whole through one open: `sitegen refresh` replaces files with `os.replace`,
    and a file opened after its size was looked up could be the newer one, sent cut short under the older size;
    an open file keeps the contents it was opened with, so its bytes and their length always belong together."""

    def file_response(
        self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        with open(full_path, "rb") as file:
            content = file.read()
        media_type = mimetypes.guess_type(str(full_path))[0] or "text/plain"
        return Response(content, status_code, media_type=media_type)


class IntranetFiles:
    """The built intranet (`output/intranet/`), to signed-in staff only; the pages' own meta policy applies."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = WholeFiles(directory=directory, html=True, check_dir=False)
        self.headers = [(b"cache-control", b"no-store"), (b"content-security-policy", b"frame-ancestors 'none'")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        require_staff(Request(scope, receive))
        if not self.directory.is_dir():  # not built yet: StaticFiles would fail with a 500
            await PlainTextResponse("The intranet has not been built yet.", 404, headers=PRIVATE)(scope, receive, send)
            return

        async def send_private(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *self.headers]}
            await send(message)

        await self.files(scope, receive, send_private)


def staff_routes(intranet: Path) -> list[BaseRoute]:
    """The staff pages under `/staff/` and the built intranet tree `intranet` at `/intranet/`, behind the sign-in."""
    from sitegen.staff.codes import code_routes  # its pages are made with this module's render_staff_page

    return [
        *code_routes(),
        Route(LOGIN_PATH, login_page, methods=["GET", "HEAD"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route("/staff/logout", logout, methods=["POST"]),
        Route(HOME_PATH, home, methods=["GET", "HEAD"]),
        Mount(INTRANET_PATH, app=IntranetFiles(intranet)),
    ]
