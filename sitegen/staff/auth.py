"""Who is signed in: passwords (Argon2), sign-in with lock-out, session cookies, and CSRF tokens for staff forms.

The cookie holds a random session id; the store keeps its hash
(`sitegen.staff.accounts`), so signing out, a new password or a removed
account ends the session for real, and there is no signing key to keep or
rotate. Every form of a staff page carries its session's CSRF token, checked
with `hmac.compare_digest`; the sign-in form, before there is a session,
carries a token that must match its own cookie (double submit).
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from sitegen.collector.guards import BodyTooLarge, read_limited
from sitegen.collector.snapshots import Snapshot
from sitegen.models.site import Staff
from sitegen.staff.accounts import Session, StaffAccounts, StaffError, StaffMember

SESSION_COOKIE = "sitegen_staff"
LOGIN_CSRF_COOKIE = "sitegen_staff_login"
CSRF_FIELD = "csrf"
LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff/"
SIGNED_IN_PREFIXES = ("/staff/", "/intranet/")
"""Where a sign-in may lead on to (`?next=`): the collector's own staff pages and intranet, nowhere else."""
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
"""Long passphrases welcome (NIST SP 800-63B section 3.1.1.2), but not a megabyte for Argon2 to chew on."""

hasher = PasswordHasher()
"""argon2-cffi's defaults: Argon2id with RFC 9106's second recommended parameter set (64 MiB, 3 passes)."""
Clock = Callable[[], dt.datetime]


class NotSignedIn(Exception):
    """A staff route was asked for without a live session: the app sends the browser to the sign-in page."""


class CsrfRefused(Exception):
    """A staff form came without its session's CSRF token (or with another): the app answers 403."""


def hash_password(password: str) -> str:
    """The Argon2 hash to keep, or a StaffError if the password is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise StaffError(f"the password must have at most {MAX_PASSWORD} characters")
    return hasher.hash(password)


@functools.cache
def _unknown_account_hash() -> str:
    """Verified against when the e-mail has no account or is locked, so the answer takes as long as for a real one."""
    return hasher.hash(secrets.token_urlsafe(16))


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class StaffDesk:
    """What every staff request shares: the accounts, the sign-in settings of sitegen.yaml, the clock, and the
    collector's current snapshot of the site (for its templates)."""

    accounts: StaffAccounts
    settings: Staff
    clock: Clock
    snapshot: Callable[[], Snapshot]

    def sign_in(self, email: str, password: str) -> str | None:
        """A new session id if the password is right and the account not locked; None otherwise, whichever it was.

        `settings.max_failures` wrong passwords in a row lock the account for
        `settings.lockout_minutes`, right password or not. A hash made with
        older parameters is made again while the password is at hand.
        """
        now = self.clock()
        credentials = self.accounts.credentials(email) if len(password) <= MAX_PASSWORD else None
        is_locked = credentials is not None and credentials.locked_until is not None and credentials.locked_until > now
        if credentials is None or is_locked:
            _verifies(_unknown_account_hash(), password)
            return None
        address = credentials.member.email
        if not _verifies(credentials.password_hash, password):
            lockout = dt.timedelta(minutes=self.settings.lockout_minutes)
            self.accounts.record_failure(address, now, self.settings.max_failures, lockout)
            return None
        if hasher.check_needs_rehash(credentials.password_hash):
            self.accounts.set_password(address, hasher.hash(password), end_sessions=False)
        else:
            self.accounts.record_success(address)
        return self.accounts.start_session(address, now, dt.timedelta(hours=self.settings.session_hours))


def staff_desk(request: Request) -> StaffDesk:
    desk: StaffDesk = request.app.state.staff
    return desk


def current_session(request: Request) -> Session | None:
    """The request's live session, looked up once per request."""
    session: Session | bool | None = getattr(request.state, "staff_session", False)
    if session is False:
        session_id = request.cookies.get(SESSION_COOKIE)
        desk = staff_desk(request)
        session = desk.accounts.session(session_id, desk.clock()) if session_id else None
        request.state.staff_session = session
    return session if isinstance(session, Session) else None


def require_staff(request: Request) -> StaffMember:
    """The signed-in staff member; raises NotSignedIn (answered with the sign-in page or 401) if there is none."""
    session = current_session(request)
    if session is None:
        raise NotSignedIn
    return session.member


def csrf_token(request: Request) -> str:
    """The token a staff page puts in each of its forms, as the hidden field `csrf`."""
    session = current_session(request)
    if session is None:
        raise NotSignedIn
    return session.csrf_token


def check_csrf(request: Request, form: FormData) -> None:
    """Raise CsrfRefused (403) unless the form carries the session's token."""
    posted = form.get(CSRF_FIELD)
    if not isinstance(posted, str) or not hmac.compare_digest(posted.encode(), csrf_token(request).encode()):
        raise CsrfRefused


async def read_form(request: Request) -> FormData:
    """A form post's fields (UTF-8, at most 64 KiB): unreadable or too large counts as no token (403)."""
    try:
        body = await read_limited(request.stream(), request.headers.get("content-length"), MAX_FORM_BYTES)
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except (BodyTooLarge, UnicodeDecodeError, ValueError):
        raise CsrfRefused from None
    return FormData(list[tuple[str, str | UploadFile]](pairs))


async def checked_form(request: Request) -> tuple[StaffMember, FormData]:
    """Who posted, and the form, once the session and its CSRF token are checked: the start of every staff POST."""
    member = require_staff(request)
    form = await read_form(request)
    check_csrf(request, form)
    return member, form


def check_login_csrf(request: Request, form: FormData) -> None:
    """The sign-in form's token must match the cookie its page set (no session exists yet to hold one)."""
    posted, expected = form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE)
    if not isinstance(posted, str) or not expected or not hmac.compare_digest(posted.encode(), expected.encode()):
        raise CsrfRefused


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None, path: str) -> None:
    """HttpOnly, SameSite=Lax, and Secure whenever the request came over TLS (as a trusted proxy reports it)."""
    secure = request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax", secure=secure)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: `target` if it is a staff page or intranet path here, else the staff home."""
    if not target or "\\" in target or any(ord(character) < 0x20 for character in target):
        return HOME_PATH
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(SIGNED_IN_PREFIXES) or "/.." in parts.path:
        return HOME_PATH
    return target
