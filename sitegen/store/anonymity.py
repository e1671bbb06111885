"""Anonymous answers kept so that nothing in the store says in which order, or at what time of day, they came.

An anonymous response keeps only its day (`sitegen.answers.kept_moment`);
the store must not give the rest back through the back door. So anonymous
rows live in their own table (`schema.anonymous_responses`), apart from the
customer rows whose exact times would place them among their neighbours,
keyed by a hash of the response id (random order, and no time a client may
have put into its id). SQLite keeps that table WITHOUT ROWID, i.e. in the
order of its primary key: survey, day, key. PostgreSQL appends rows to its heap in arrival order (`ctid`) and
stamps each with the inserting transaction (`xmin`), so every transaction
that adds anonymous rows rewrites all rows of the same survey and day, in
key order: afterwards they share one `ctid` run in key order and one `xmin`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sitegen.store.changes import note_change
from sitegen.store.schema import anonymous_responses, responses, version_tallies
from sitegen.store.tallies import lock_tallies

ANONYMOUS_KEY = re.compile(r"^anon\.[0-9a-f]{40}$")
"""The key of an anonymous row; the '.' is outside the response id syntax, so no client id looks like a key."""
KEY_DOMAIN = b"sitegen anonymous response\x00"

Day = tuple[str, dt.datetime]
"""(survey id, the day a response is kept at): the rows that are rewritten together on PostgreSQL."""


def is_anonymous_key(response_id: str) -> bool:
    """Whether `response_id` is the key of an anonymous row (as export writes it), not a client's id."""
    return bool(ANONYMOUS_KEY.match(response_id))


def anonymous_key(response_id: str) -> str:
    """The key an anonymous response is stored under: a SHA-256 of its id, or the id if it is such a key already.

    A key stays a key, so an exported anonymous response imports back to the same row.
    """
    if is_anonymous_key(response_id):
        return response_id
    return "anon." + hashlib.sha256(KEY_DOMAIN + response_id.encode("utf-8")).hexdigest()[:40]


def insert_anonymous(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert anonymous rows (keyed already) that are not stored yet; the keys that were new."""
    if not rows:
        return set()
    days = sorted({(row["survey_id"], row["submitted_at"]) for row in rows})
    rewrites_heap = connection.dialect.name == "postgresql"
    if rewrites_heap:
        # One writer per day at a time, taken in one order (no deadlock): the rewrite below sees every row of the day.
        for day in days:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(day)})
        # Then the version tallies the rows change, in key order (`sitegen.store.tallies`): days first, tallies next.
        lock_tallies(connection, version_tallies, [(row["survey_id"], row["survey_version"], 1) for row in rows])
    dialect = postgresql if rewrites_heap else sqlite
    statement = dialect.insert(anonymous_responses).on_conflict_do_nothing(index_elements=[anonymous_responses.c.key])
    stored = set(connection.scalars(statement.returning(anonymous_responses.c.key), rows))
    if rewrites_heap:
        _rewrite_in_key_order(connection, sorted({_day(row) for row in rows if row["key"] in stored}))
    return stored


def set_apart(connection: Connection, survey_ids: Collection[str]) -> int:
    """Move the rows of anonymous surveys that an older sitegen kept among the others; how many moved.

    Called on opening the store for a site, in the caller's transaction: cheap (one indexed query) once
    nothing is left to move.
    """
    if not survey_ids:
        return 0
    query = select(responses).where(responses.c.survey_id.in_(sorted(survey_ids))).order_by(responses.c.id)
    moved = [dict(row) for row in connection.execute(query).mappings()]
    if not moved:
        return 0
    rows = [{**{name: row[name] for name in row if name != "id"}, "key": anonymous_key(row["id"])} for row in moved]
    insert_anonymous(connection, sorted(rows, key=lambda row: row["key"]))
    connection.execute(delete(responses).where(responses.c.id.in_([row["id"] for row in moved])))
    note_change(connection)
    return len(moved)


def _day(row: dict[str, Any]) -> Day:
    return row["survey_id"], row["submitted_at"]


def _lock_key(day: Day) -> int:
    """A 64-bit advisory-lock key for one survey's day."""
    survey_id, moment = day
    digest = hashlib.sha256(f"{survey_id}\x00{moment.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _rewrite_in_key_order(connection: Connection, days: Iterable[Day]) -> None:
    """Delete and re-insert each day's rows in key order, in this transaction: new heap places and one xmin for all.

    A day's anonymous rows of one survey are few (a team's answers), so the rewrite costs little.
    """
    table = anonymous_responses
    for survey_id, moment in days:
        condition = (table.c.survey_id == survey_id) & (table.c.submitted_at == moment)
        # One statement, rows never leave the server; a row this statement deletes is no conflict for its insert.
        gone = delete(table).where(condition).returning(*table.c).cte("gone")
        in_key_order = select(*gone.c).order_by(gone.c.key)
        connection.execute(insert(table).from_select([column.name for column in table.c], in_key_order))
