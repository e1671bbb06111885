"""Staff accounts and their sessions as kept in the store, and the rules a new account must meet.

An account is an e-mail address (lower-cased), a role, the locations it
sees, and an Argon2 hash of its password. A session is the SHA-256 of a
random cookie value, so a copy of the table signs nobody in; ending an
account's sessions is one DELETE, which is what makes a removal or a new
password sign the person out everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from sitegen.errors import SitegenError
from sitegen.site import Site
from sitegen.store.engine import WRITE
from sitegen.store.schema import staff, staff_sessions

Role = Literal["owner", "manager", "staff"]
ROLES: tuple[Role, ...] = get_args(Role)
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
"""An address with a local part and a dotted domain: enough to catch typos; the person's own mail proves the rest."""
MAX_EMAIL = 254
"""RFC 5321's limit on a forward path, less its angle brackets."""
LOCATION_FIELD = "location"
"""The hidden field of the surveys whose values are the site's locations."""


class StaffError(SitegenError):
    """A staff account that cannot be added or changed as asked."""


@dataclass(frozen=True)
class StaffMember:
    """A staff account as the pages see it: who, in which role, for which locations."""

    email: str
    role: Role
    locations: tuple[str, ...] = ()

    @property
    def sees_everything(self) -> bool:
        """Owners see every location; the locations of anyone else are those they were given."""
        return self.role == "owner"

    def can_see(self, location: str) -> bool:
        return self.sees_everything or location in self.locations


@dataclass(frozen=True)
class Credentials:
    """What a sign-in is checked against."""

    member: StaffMember
    password_hash: str
    failed_logins: int
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class Session:
    """A signed-in browser: whose, until when, and the token its forms must carry."""

    member: StaffMember
    expires_at: dt.datetime
    csrf_token: str


def site_locations(site: Site) -> list[str]:
    """Every value of the surveys' hidden `location` field, in the order first written."""
    found: dict[str, None] = {}
    for source in site.surveys:
        field = source.model.hidden.get(LOCATION_FIELD)
        found.update(dict.fromkeys(field.ids if field else ()))
    return list(found)


def new_member(email: str, role: str, locations: Sequence[str], known_locations: Collection[str]) -> StaffMember:
    """The account to add, or a StaffError naming the value that is wrong.

    An owner sees every location, so is given none; a manager sees only the
    locations given, at least one; staff may be given locations or none.
    """
    address = checked_email(email)
    if role not in ROLES:
        raise StaffError(f"role '{role}' is not one of {', '.join(ROLES)}")
    unknown = [location for location in locations if location not in known_locations]
    if unknown:
        known = ", ".join(known_locations) or "none: no survey has a hidden 'location' field"
        raise StaffError(f"location '{unknown[0]}' is not one of the site's locations ({known})")
    if role == "owner" and locations:
        raise StaffError("an owner sees every location; give no --location")
    if role == "manager" and not locations:
        raise StaffError("a manager sees only the locations given; give at least one --location")
    return StaffMember(address, role, tuple(dict.fromkeys(locations)))


def checked_email(email: str) -> str:
    """The address lower-cased, as accounts are kept, or a StaffError."""
    address = email.strip().lower()
    if len(address) > MAX_EMAIL or not EMAIL.match(address):
        raise StaffError(f"'{email}' is not an e-mail address such as anna@saulite.example")
    return address


def session_key(session_id: str) -> str:
    """What the store keeps of a session id: its SHA-256 (the id is 256 random bits, so no salt or stretching)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _already_there(email: str) -> StaffError:
    return StaffError(f"{email} already has an account; 'sitegen staff passwd' changes its password")


class StaffAccounts:
    """The staff accounts and sessions in one store's database; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, member: StaffMember, password_hash: str, now: dt.datetime) -> None:
        row = {"email": member.email, "role": member.role, "locations": list(member.locations)}
        try:
            with self._writing() as connection:
                connection.execute(
                    staff.insert().values(**row, password_hash=password_hash, created_at=now, failed_logins=0)
                )
        except IntegrityError:
            raise _already_there(member.email) from None

    def check_absent(self, email: str) -> None:
        """Raise the StaffError `add` would, before a password is asked for in vain."""
        if self.credentials(email) is not None:
            raise _already_there(email)

    def members(self) -> list[StaffMember]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(staff.c.email, staff.c.role, staff.c.locations).order_by(staff.c.email))
            return [StaffMember(row.email, row.role, tuple(row.locations)) for row in rows]

    def credentials(self, email: str) -> Credentials | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(staff).where(staff.c.email == email.strip().lower())).first()
        if row is None:
            return None
        member = StaffMember(row.email, row.role, tuple(row.locations))
        return Credentials(member, row.password_hash, row.failed_logins, row.locked_until)

    def remove(self, email: str) -> None:
        """Remove the account and end its sessions."""
        address = email.strip().lower()
        with self._writing() as connection:
            connection.execute(delete(staff_sessions).where(staff_sessions.c.email == address))
            if not connection.execute(delete(staff).where(staff.c.email == address)).rowcount:
                raise StaffError(f"{address} has no account")

    def set_password(self, email: str, password_hash: str, *, end_sessions: bool) -> None:
        """Keep a new hash (a new password, or the old one hashed with newer parameters), unlocking the account."""
        address = email.strip().lower()
        with self._writing() as connection:
            changed = connection.execute(
                update(staff)
                .where(staff.c.email == address)
                .values(password_hash=password_hash, failed_logins=0, locked_until=None)
            )
            if not changed.rowcount:
                raise StaffError(f"{address} has no account")
            if end_sessions:
                connection.execute(delete(staff_sessions).where(staff_sessions.c.email == address))

    def record_failure(self, email: str, now: dt.datetime, max_failures: int, lockout: dt.timedelta) -> None:
        """Count a wrong password; the last of `max_failures` in a row locks the account for `lockout`."""
        account = staff.c.email == email
        with self._writing() as connection:  # counted in the database: two tries at once both count
            connection.execute(update(staff).where(account).values(failed_logins=staff.c.failed_logins + 1))
            failed = connection.scalar(select(staff.c.failed_logins).where(account))
            if failed is not None and failed >= max_failures:
                connection.execute(update(staff).where(account).values(failed_logins=0, locked_until=now + lockout))

    def record_success(self, email: str) -> None:
        with self._writing() as connection:
            connection.execute(update(staff).where(staff.c.email == email).values(failed_logins=0, locked_until=None))

    def start_session(self, email: str, now: dt.datetime, lasts: dt.timedelta) -> str:
        """A new session for the account: the id for its cookie (kept only as a hash); expired ones are dropped."""
        session_id = secrets.token_urlsafe(32)
        with self._writing() as connection:
            connection.execute(delete(staff_sessions).where(staff_sessions.c.expires_at <= now))
            connection.execute(
                staff_sessions.insert().values(
                    id_hash=session_key(session_id),
                    email=email,
                    created_at=now,
                    expires_at=now + lasts,
                    csrf_token=secrets.token_urlsafe(32),
                )
            )
        return session_id

    def session(self, session_id: str, now: dt.datetime) -> Session | None:
        """The session with this id, if it has not ended or expired."""
        query = (
            select(
                staff.c.email, staff.c.role, staff.c.locations, staff_sessions.c.expires_at, staff_sessions.c.csrf_token
            )
            .select_from(staff_sessions)
            .join(staff, staff.c.email == staff_sessions.c.email)
            .where(staff_sessions.c.id_hash == session_key(session_id))
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or row.expires_at <= now:
            return None
        return Session(StaffMember(row.email, row.role, tuple(row.locations)), row.expires_at, row.csrf_token)

    def end_session(self, session_id: str) -> None:
        with self._writing() as connection:
            connection.execute(delete(staff_sessions).where(staff_sessions.c.id_hash == session_key(session_id)))

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            yield connection
