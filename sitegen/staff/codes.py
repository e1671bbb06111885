"""The till's page for incentive codes (`/staff/codes`): check a code a customer shows, and mark it used once.

Both steps are CSRF-checked posts, so a code never travels in an address
(history, logs). A code that is malformed, made up, made with another secret,
or of a location the member does not see is "not valid", all alike: nothing
tells a guesser which part was wrong, and every look-up spends one of the
member's tokens (`RateLimiter`, per account), so guessing is slow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_datetime
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sitegen.collector.guards import RateLimiter
from sitegen.i18n import UiText
from sitegen.incentive_codes import CodeKey, canonical_code, grouped
from sitegen.refusals import N_
from sitegen.staff.accounts import StaffMember
from sitegen.staff.auth import CSRF_FIELD, Clock, checked_form, csrf_token, require_staff, staff_desk
from sitegen.staff.pages import page_language, render_staff_page
from sitegen.store.codes import CodeState, CodeStore, UnknownCode

CODES_PATH = "/staff/codes"
USE_PATH = "/staff/codes/use"
CODE_FIELD = "code"
LOOKUPS_PER_HOUR = 120
"""A busy till's hour, checked and marked; a guesser's hour finds one of a million 50-bit codes once in 10^7 years."""
LOOKUP_BURST = 20
MAX_TYPED = 64
HEADING = N_("Incentive codes")


@dataclass
class CodeDesk:
    """What the codes page shares between requests: the site secret's key, the codes in the store, the limit."""

    key: CodeKey | None
    store: CodeStore
    clock: Clock
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(LOOKUPS_PER_HOUR, LOOKUP_BURST))


@dataclass(frozen=True)
class Verdict:
    """What the page says about a code: its class (for the look), the sentence, and whether it may be used now."""

    kind: str
    message: str
    may_use: bool = False


def code_desk(request: Request) -> CodeDesk:
    desk: CodeDesk = request.app.state.codes
    return desk


async def codes_page(request: Request) -> Response:
    require_staff(request)
    return _page(request, None, "")


async def check_code(request: Request) -> Response:
    """What a typed code is: not valid, valid and unused (with the button to use it), or used (when, by whom)."""
    posted = await _posted_code(request)
    if isinstance(posted, Response):
        return posted
    _member, _typed, canonical, state = posted
    lang = _lang(request)
    if state.is_used:
        return _page(request, _used_before(request, lang, state), grouped(canonical))
    verdict = Verdict("valid", UiText(lang).gettext(N_("Valid, not used yet.")), may_use=True)
    return _page(request, verdict, grouped(canonical))


async def use_code(request: Request) -> Response:
    """Mark a valid code used by the signed-in member; a code used before is refused (409) with when and by whom."""
    posted = await _posted_code(request)
    if isinstance(posted, Response):
        return posted
    member, typed, canonical, _state = posted
    lang = _lang(request)
    desk = code_desk(request)
    assert desk.key is not None  # _look_up found the code, so there is a key
    lookup = desk.key.lookup(canonical)
    try:
        state, is_first = await run_in_threadpool(desk.store.mark_used, lookup, member.email, desk.clock())
    except UnknownCode:  # erased and gone between the look-up and now: as good as never shown
        return _page(request, _not_valid(lang), typed, 404)
    if not is_first:
        return _page(request, _used_before(request, lang, state, refused=True), grouped(canonical), 409)
    message = UiText(lang).gettext(N_("Marked as used. Give the customer the reward."))
    return _page(request, Verdict("done", message), "")


async def _posted_code(request: Request) -> tuple[StaffMember, str, str, CodeState] | Response:
    """Who posted, the code as typed, in its one spelling, and its state; or the page to answer with (not valid, no
    secret, too many tries). The start of both code forms, after their session and CSRF token are checked."""
    member, form = await checked_form(request)
    typed = str(form.get(CODE_FIELD, ""))[:MAX_TYPED]
    found = await _look_up(request, member, typed)
    if isinstance(found, Response):
        return found
    if found is None:
        return _page(request, _not_valid(_lang(request)), typed, 404)
    return member, typed, *found


async def _look_up(request: Request, member: StaffMember, typed: str) -> tuple[str, CodeState] | Response | None:
    """The code in its one spelling and its state, None if it is not valid for this member, or the page saying why
    nothing was looked up (no secret, too many tries)."""
    desk = code_desk(request)
    lang = _lang(request)
    if desk.key is None:
        message = UiText(lang).gettext(N_("No survey of this site shows incentive codes."))
        return _page(request, Verdict("not-valid", message), typed, 404)
    wait = desk.limiter.check(member.email)
    if wait:
        minutes = max(1, round(wait / 60))
        message = UiText(lang).gettext(
            N_("Too many codes were checked just now. Please try again in %(minutes)s min."), minutes=minutes
        )
        return _page(request, Verdict("not-valid", message), typed, 429)
    canonical = canonical_code(typed)
    if canonical is None:
        return None
    state = await run_in_threadpool(desk.store.state, desk.key.lookup(canonical))
    if state is None or (state.location is not None and not member.can_see(state.location)):
        return None  # another location's code reads as no code at all, as another location's case does
    return canonical, state


def _not_valid(lang: str) -> Verdict:
    return Verdict("not-valid", UiText(lang).gettext(N_("This code is not valid.")))


def _used_before(request: Request, lang: str, state: CodeState, refused: bool = False) -> Verdict:
    assert state.used_at is not None
    zone = staff_desk(request).snapshot().zone
    when = format_datetime(state.used_at, format="medium", tzinfo=zone, locale=lang)
    ui = UiText(lang)
    sentence = ui.gettext(N_("Already used on %(when)s by %(who)s."), when=when, who=state.used_by or "")
    if refused:
        sentence = f"{ui.gettext(N_('Not marked again: a code works once.'))} {sentence}"
    return Verdict("used", sentence)


def _lang(request: Request) -> str:
    return page_language(staff_desk(request).snapshot(), request)


def _page(request: Request, verdict: Verdict | None, code: str, status: int = 200) -> Response:
    values: dict[str, Any] = {
        "verdict": verdict,
        "code": code,
        "code_field": CODE_FIELD,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "check_path": CODES_PATH,
        "use_path": USE_PATH,
    }
    return render_staff_page(request, "staff_codes.html", HEADING, values, status)


def code_routes() -> list[BaseRoute]:
    """The codes page and its two posts, for `staff_routes`."""
    return [
        Route(CODES_PATH, codes_page, methods=["GET", "HEAD"]),
        Route(CODES_PATH, check_code, methods=["POST"]),
        Route(USE_PATH, use_code, methods=["POST"]),
    ]
