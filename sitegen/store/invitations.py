"""Keep who was invited to a survey, whether they answered, and the addresses that must not be e-mailed again.

An invitation is keyed by its token's `lookup` (`sitegen.invitations.tokens`);
the token itself is never kept. The collector `claim`s an invitation before it
stores the answer that uses it: the claim sets `answered`, a flag with no time,
and clears the day of the last reminder, and a second claim finds it set. The answer row carries nothing of the token.
On PostgreSQL a claim on an anonymous survey rewrites all of the survey's
invitation rows in lookup order (as `anonymity` does for answers), so no row's
heap place or `xmin` says which invitation was claimed last; such claims
take the survey's advisory lock, one at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sitegen.store.engine import WRITE
from sitegen.store.schema import invitations, mail_opt_outs

if TYPE_CHECKING:
    import pandas as pd

BOUNCED = "bounced"
UNSUBSCRIBED = "unsubscribed"
LOCK_DOMAIN = b"sitegen invitations\x00"


@dataclass(frozen=True)
class Invitation:
    """One invitation as kept: whose survey, to whom, in which language, with which segment values."""

    lookup: str
    survey_id: str
    email: str
    lang: str
    segment: dict[str, str] = field(default_factory=dict)
    answered: bool = False


class Claim(Enum):
    """What claiming an invitation for an answer found."""

    CLAIMED = "claimed"
    USED = "used"
    UNKNOWN = "unknown"


class InvitationStore:
    """The invitations and opt-outs of one store (`ResponseStore.invitations`), on the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, rows: Sequence[Invitation]) -> int:
        """Keep these invitations (sorted by lookup); one kept already (the list sent again) stays; how many new."""
        values = [
            {
                "lookup": row.lookup,
                "survey_id": row.survey_id,
                "email": row.email,
                "lang": row.lang,
                "segment": row.segment,
                "answered": False,
            }
            for row in sorted(rows, key=lambda row: row.lookup)
        ]
        if not values:
            return 0
        with self._writing() as connection:
            statement = _dialect(connection).insert(invitations).on_conflict_do_nothing()
            return len(list(connection.scalars(statement.returning(invitations.c.lookup), values)))

    def find(self, lookup: str) -> Invitation | None:
        """The invitation with this lookup; None if there is none."""
        with self._engine.connect() as connection:
            row = connection.execute(select(invitations).where(invitations.c.lookup == lookup)).mappings().first()
        return None if row is None else _invitation(row)

    def unsent(self, survey_id: str) -> list[Invitation]:
        """The survey's invitations not delivered yet, to addresses that did not opt out."""
        return self._pending(survey_id, invitations.c.sent_on.is_(None))

    def to_remind(self, survey_id: str, day: dt.date) -> list[Invitation]:
        """The survey's delivered, unanswered invitations not reminded on `day` yet, to addresses still reachable."""
        reminded_before = invitations.c.reminded_on.is_(None) | (invitations.c.reminded_on < day)
        condition = invitations.c.sent_on.is_not(None) & invitations.c.answered.is_(False) & reminded_before
        return self._pending(survey_id, condition)

    def mark_sent(self, lookup: str, day: dt.date) -> None:
        with self._writing() as connection:
            connection.execute(update(invitations).where(invitations.c.lookup == lookup).values(sent_on=day))

    def mark_reminded(self, lookup: str, day: dt.date) -> None:
        with self._writing() as connection:
            connection.execute(update(invitations).where(invitations.c.lookup == lookup).values(reminded_on=day))

    def opt_out(self, emails: Sequence[str], reason: str, day: dt.date) -> int:
        """Never e-mail these addresses again (an address opted out already keeps its first reason); how many new."""
        values = [{"email": email.lower(), "reason": reason, "on": day} for email in sorted(set(emails))]
        if not values:
            return 0
        with self._writing() as connection:
            statement = _dialect(connection).insert(mail_opt_outs).on_conflict_do_nothing()
            return len(list(connection.scalars(statement.returning(mail_opt_outs.c.email), values)))

    def opted_out(self) -> dict[str, str]:
        """Every address that opted out, with why."""
        with self._engine.connect() as connection:
            return {row.email: row.reason for row in connection.execute(select(mail_opt_outs))}

    def claim(self, lookup: str, survey_id: str, hides_order: bool) -> Claim:
        """Mark the survey's invitation answered, once: CLAIMED the first time, USED after, UNKNOWN if none.

        `hides_order` (an anonymous survey) rewrites the survey's rows on PostgreSQL, see the module docstring.
        """
        with self._writing() as connection:
            if hides_order:
                _lock_survey(connection, survey_id)
            condition = (invitations.c.lookup == lookup) & (invitations.c.survey_id == survey_id)
            claimed = connection.scalar(
                update(invitations)
                .where(condition & invitations.c.answered.is_(False))
                # The last reminder's day goes: beside the flag it would say the answer came after that day.
                .values(answered=True, reminded_on=None)
                .returning(invitations.c.lookup)
            )
            if claimed is None:
                is_known = connection.scalar(select(invitations.c.lookup).where(condition)) is not None
                return Claim.USED if is_known else Claim.UNKNOWN
            if hides_order:
                _rewrite_in_lookup_order(connection, survey_id)
        return Claim.CLAIMED

    def release(self, lookup: str, survey_id: str, hides_order: bool) -> None:
        """Undo a claim whose answer could not be stored, so the link works again."""
        with self._writing() as connection:
            if hides_order:
                _lock_survey(connection, survey_id)
            condition = (invitations.c.lookup == lookup) & (invitations.c.survey_id == survey_id)
            connection.execute(update(invitations).where(condition).values(answered=False))
            if hides_order:
                _rewrite_in_lookup_order(connection, survey_id)

    def frame(self, survey_id: str) -> pd.DataFrame:
        """The survey's delivered invitations: `day` sent (midnight, no zone) and one column per segment value."""
        import pandas as pd

        query = (
            select(invitations.c.sent_on, invitations.c.segment)
            .where((invitations.c.survey_id == survey_id) & invitations.c.sent_on.is_not(None))
            .order_by(invitations.c.lookup)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        segments = pd.DataFrame([row.segment for row in rows], index=range(len(rows)), dtype="object")
        days = pd.to_datetime(pd.Series([row.sent_on for row in rows], dtype="object")).astype("datetime64[ns]")
        return pd.concat([pd.DataFrame({"day": days}), segments], axis=1)

    def sent_count(self) -> int:
        """How many invitations of any survey were delivered: a build's figures change with it."""
        with self._engine.connect() as connection:
            return int(connection.scalar(select(func.count()).where(invitations.c.sent_on.is_not(None))) or 0)

    def _pending(self, survey_id: str, condition: Any) -> list[Invitation]:
        reachable = invitations.c.email.not_in(select(mail_opt_outs.c.email))
        query = (
            select(invitations)
            .where((invitations.c.survey_id == survey_id) & condition & reachable)
            .order_by(invitations.c.email)
        )
        with self._engine.connect() as connection:
            return [_invitation(row) for row in connection.execute(query).mappings()]

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            yield connection


def _dialect(connection: Connection) -> Any:
    return postgresql if connection.dialect.name == "postgresql" else sqlite


def _invitation(row: Any) -> Invitation:
    return Invitation(row["lookup"], row["survey_id"], row["email"], row["lang"], dict(row["segment"]), row["answered"])


def _lock_survey(connection: Connection, survey_id: str) -> None:
    """On PostgreSQL, one claim of a survey at a time: a claim that waited on rows another claim's rewrite deleted
    would find no row to update and take the invitation for used."""
    if connection.dialect.name == "postgresql":
        digest = hashlib.sha256(LOCK_DOMAIN + survey_id.encode()).digest()
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
        )


def _rewrite_in_lookup_order(connection: Connection, survey_id: str) -> None:
    """On PostgreSQL, delete and re-insert the survey's rows in lookup order: new heap places, one xmin for all.

    SQLite keeps the table in lookup order already (WITHOUT ROWID) and has no transaction ids on rows.
    """
    if connection.dialect.name != "postgresql":
        return
    gone = delete(invitations).where(invitations.c.survey_id == survey_id).returning(*invitations.c).cte("gone")
    in_lookup_order = select(*gone.c).order_by(gone.c.lookup)
    connection.execute(insert(invitations).from_select([column.name for column in invitations.c], in_lookup_order))
