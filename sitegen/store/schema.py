"""The store's tables, and the migrations that create and later change them.

`schema_version` records each migration applied. Opening a store applies
the missing ones in one transaction, under a lock, so two collector
processes starting at once cannot both create the tables. A migration
describes a change, not the current shape: when a later version changes
`responses`, write version 1's DDL out in full before changing the table
below.

Anonymous answers live apart, in `anonymous_responses` (docs/DESIGN.md section 6,
README "Anonymity in the store"): keyed by a hash of the response id, with no
rowid on SQLite, so that nothing in the table follows the order they came in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

from sitegen.store.engine import WRITE, StoreError
from sitegen.store.tallies import create_tallies

MIGRATION_LOCK = 0x5179_6E67_656E
"""PostgreSQL advisory-lock key that serialises migrations ("sitegen")."""


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A moment in UTC: timestamptz on PostgreSQL, a sortable UTC text on SQLite; aware datetimes in and out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a time without a time zone cannot be stored: {value.isoformat()}")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Json = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData()

responses = Table(
    "responses",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("survey_id", String(200), nullable=False),
    Column("survey_version", String(16), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("meta", Json, nullable=False),
    Column("answers", Json, nullable=False),
    Index("ix_responses_survey_submitted", "survey_id", "submitted_at", "id"),
    Index("ix_responses_submitted", "submitted_at", "id"),
)

anonymous_responses = Table(
    "anonymous_responses",
    metadata,
    # Stored in the order of its primary key on SQLite (WITHOUT ROWID): survey, day, then the key, so the rows a
    # scorecard reads lie together, and within a day in key order, with no rowid counting arrivals.
    Column("survey_id", String(200), primary_key=True),
    Column("submitted_at", UtcDateTime(), primary_key=True),
    # A hash of the response id (anonymity.anonymous_key): random order, and no time a client put into its id.
    Column("key", String(64), primary_key=True),
    Column("survey_version", String(16), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("meta", Json, nullable=False),
    Column("answers", Json, nullable=False),
    Index("ux_anonymous_responses_key", "key", unique=True),  # one row per response id, whatever its survey
    Index("ix_anonymous_responses_submitted", "submitted_at", "key"),
    sqlite_with_rowid=False,
)

survey_versions = Table(
    "survey_versions",
    metadata,
    # One row per version of a survey's meaning (sitegen.versions), written once by whoever first stores it.
    Column("survey_id", String(200), primary_key=True),
    Column("version", String(16), primary_key=True),
    Column("questions", Json, nullable=False),
    Column("definition", Json, nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
)

staff = Table(
    "staff",
    metadata,
    # One row per staff account (sitegen.staff.accounts); the e-mail is kept lower-cased.
    Column("email", String(254), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("locations", Json, nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime(), nullable=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    # A signed-in browser: the SHA-256 of the cookie's random id (a copy of the table signs nobody in).
    Column("id_hash", String(64), primary_key=True),
    Column("email", String(254), ForeignKey("staff.email"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Index("ix_staff_sessions_email", "email"),
)

cases = Table(
    "cases",
    metadata,
    # A case answers one response (`sitegen.cases`); its id is made when it opens, never from the response's.
    Column("id", String(32), primary_key=True),
    Column("survey_id", String(200), nullable=False),
    Column("response_id", String(64), nullable=False),
    Column("location", String(200)),
    Column("lang", String(16), nullable=False),
    Column("summary", Json, nullable=False),  # the answer's score, comment, location and language
    Column("contact", String(320)),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # open, contacted, resolved, dismissed
    Column("resolved_at", UtcDateTime()),
    # The case's first step, `opened`, is the row itself (by `opened_by`, at `opened_at`): one insert per case.
    Column("opened_by", String(200), nullable=False, server_default="collector"),
    Index("ux_cases_response", "response_id", unique=True),  # one case per response: a retried post opens none
    Index("ix_cases_status_due", "status", "due_at"),  # the inbox: open cases, overdue first
    # Kept in the order of its id (time-ordered: the end of the table is where a case goes), with no rowid B-tree
    # and no index for figures (their read of a survey's cases is a scan, ordered by time as the ids are): each
    # case a collector opens writes three B-trees, not five (migration 10).
    sqlite_with_rowid=False,
)

case_events = Table(
    "case_events",
    metadata,
    # The steps after `opened` (which is the case row): contacted, resolved, dismissed.
    Column("case_id", String(32), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),  # 1, 2, ... (0 was `opened` before migration 6)
    Column("step", String(16), nullable=False),
    Column("who", String(200), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("note", Text, nullable=False),
)

alert_events = Table(
    "alert_events",
    metadata,
    # The outbox (`sitegen.store.outbox`): what is to be told, written in the transaction that made it happen.
    Column("key", String(400), primary_key=True),  # `case:<id>`, `signal:<scorecard>:<metric>:<period>:...`
    Column("event", String(32), nullable=False),  # case_opened, signal
    Column("subject", String(200), nullable=False),  # the survey or scorecard the rules match on
    Column("payload", Json, nullable=False),  # what the message says: never a contact's address
    Column("created_at", UtcDateTime(), nullable=False),
    Column("settled_at", UtcDateTime()),  # every recipient has it (or was given up): the sender looks no more
    Index("ix_alert_events_pending", "settled_at", "created_at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    # One event to one recipient (an e-mail address or a webhook URL): tries, the next try, and when it got through.
    Column("event_key", String(400), primary_key=True),
    Column("channel", String(600), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_at", UtcDateTime(), nullable=False),  # also the claim: a sender sets it ahead before it tries
    Column("delivered_at", UtcDateTime()),
    Column("given_up_at", UtcDateTime()),
    Column("last_error", Text, nullable=False),
)

incentive_codes = Table(
    "incentive_codes",
    metadata,
    # One row per incentive code shown (`sitegen.store.codes`). The code itself is never kept: `lookup` is an HMAC of
    # it under the site secret, and `sealed` the stored response's key, encrypted with a key only the code and the
    # secret together give. Keyed by the lookup, WITHOUT ROWID on SQLite: nothing in the table counts arrivals.
    Column("lookup", String(64), primary_key=True),
    Column("survey_id", String(200), nullable=False),
    Column("location", String(200)),  # who may check it (`StaffMember.can_see`); None: a survey without locations
    Column("sealed", LargeBinary),  # None once `responses erase` removed its answer
    sqlite_with_rowid=False,
)

codes_used = Table(
    "codes_used",
    metadata,
    # A code marked used at the till: once (the primary key), when, by whom.
    Column("lookup", String(64), primary_key=True),
    Column("used_at", UtcDateTime(), nullable=False),
    Column("used_by", String(254), nullable=False),
    sqlite_with_rowid=False,
)

invitations = Table(
    "invitations",
    metadata,
    # One row per person invited to a survey (`sitegen.store.invitations`). The token is never kept: `lookup` is a
    # hash of it. Keyed by the lookup, WITHOUT ROWID on SQLite: the table's order follows no sending and no answer.
    # `answered` is a flag and nothing more: no time, so no moment to set beside an anonymous answer's day.
    Column("lookup", String(64), primary_key=True),
    Column("survey_id", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("segment", Json, nullable=False),  # the invitee list's hidden-field values (location, team)
    Column("sent_on", Date),  # the day the invitation was delivered; None until then
    Column("reminded_on", Date),  # the day of the last reminder (one a day at most); cleared when it is answered
    Column("answered", Boolean, nullable=False),
    Index("ux_invitations_survey_email", "survey_id", "email", unique=True),
    sqlite_with_rowid=False,
)

mail_opt_outs = Table(
    "mail_opt_outs",
    metadata,
    # An address no invitation of the site e-mails again: it bounced, or its owner unsubscribed.
    Column("email", String(320), primary_key=True),
    Column("reason", String(16), nullable=False),  # bounced, unsubscribed
    Column("on", Date, nullable=False),
    sqlite_with_rowid=False,
)

version_tallies = Table(
    "version_tallies",
    metadata,
    # One row per (survey, version, table of responses: 0 `responses`, 1 `anonymous_responses`), kept by triggers
    # in the transaction of every insert and delete (`sitegen.store.tallies`): counts without reading every row.
    Column("survey_id", String(200), primary_key=True),
    Column("survey_version", String(16), primary_key=True),
    Column("source", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("first_at", UtcDateTime(), nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
)

store_changes = Table(
    "store_changes",
    metadata,
    # One row: bumped by every change to stored responses other than an insert (a purge, an erasure, a case entry
    # completed, rows set apart), in that change's transaction; the answer snapshots (`sitegen.answer_snapshots`)
    # extend themselves only while it stays what it was when they were written.
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
    # Drawn once, when the store is made: a store made again at the same place is another store.
    Column("store_id", String(32), nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
)


VERSION_INDEXES = [
    Index(f"ix_{kept.name}_survey_version", kept.c.survey_id, kept.c.survey_version, kept.c.submitted_at)
    for kept in (responses, anonymous_responses)
]
"""How many answers each version has (`sitegen check` asks on every load) is read from these, not the rows."""


def _versions_kept(connection: Connection) -> None:
    survey_versions.create(connection)
    for index in VERSION_INDEXES:  # a store made by this version has them from migration 1 and 2 already
        index.create(connection, checkfirst=True)


def _staff_kept(connection: Connection) -> None:
    staff.create(connection)
    staff_sessions.create(connection)


def _cases_kept(connection: Connection) -> None:
    """Migration 5 as it was, written out: `cases` before migration 6 gave it `opened_by`, and `case_events`."""
    version_5 = MetaData()
    Table(
        "cases",
        version_5,
        Column("id", String(32), primary_key=True),
        Column("survey_id", String(200), nullable=False),
        Column("response_id", String(64), nullable=False),
        Column("location", String(200)),
        Column("lang", String(16), nullable=False),
        Column("summary", Json, nullable=False),
        Column("contact", String(320)),
        Column("opened_at", UtcDateTime(), nullable=False),
        Column("due_at", UtcDateTime(), nullable=False),
        Column("status", String(16), nullable=False),
        Column("resolved_at", UtcDateTime()),
        Index("ux_cases_response", "response_id", unique=True),
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_survey_opened", "survey_id", "opened_at"),
    )
    Table(
        "case_events",
        version_5,
        Column("case_id", String(32), primary_key=True),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("step", String(16), nullable=False),
        Column("who", String(200), nullable=False),
        Column("at", UtcDateTime(), nullable=False),
        Column("note", Text, nullable=False),
    )
    version_5.create_all(connection)


def _opened_on_the_case_row(connection: Connection) -> None:
    """Each case's `opened` step (seq 0 of `case_events`) moves onto its row as `opened_by`.

    Opening a case is then one insert, not two (nor one read back with RETURNING): the collector opens cases in the
    transaction that stores the answers, where the two cost its writer 58 µs of CPU per case (one: 31 µs, with
    time-ordered ids). No step is lost: `opened` always had an empty note and the case's own `opened_at` as its time.
    """
    connection.execute(text("ALTER TABLE cases ADD COLUMN opened_by VARCHAR(200) DEFAULT 'collector' NOT NULL"))
    opened = select(case_events.c.who).where(case_events.c.case_id == cases.c.id, case_events.c.seq == 0)
    connection.execute(
        update(cases)
        .values(opened_by=opened.scalar_subquery())
        .where(cases.c.id.in_(select(case_events.c.case_id).where(case_events.c.seq == 0)))
    )
    connection.execute(delete(case_events).where(case_events.c.seq == 0))


def _cases_by_id(connection: Connection) -> None:
    """`cases` without the figures' index, and on SQLite WITHOUT ROWID, clustered by its time-ordered id.

    SQLite cannot change a table's rowid: the table is made again and its rows copied. PostgreSQL ignores the
    rowid option, and only loses the index.
    """
    connection.execute(text("DROP INDEX ix_cases_survey_opened"))
    if connection.dialect.name != "sqlite":
        return
    columns = ", ".join(column.name for column in cases.columns)
    connection.execute(text("ALTER TABLE cases RENAME TO cases_before_10"))
    for index in ("ux_cases_response", "ix_cases_status_due"):
        connection.execute(text(f"DROP INDEX {index}"))
    cases.create(connection)
    connection.execute(text(f"INSERT INTO cases ({columns}) SELECT {columns} FROM cases_before_10"))
    connection.execute(text("DROP TABLE cases_before_10"))


def _versions_tallied(connection: Connection) -> None:
    version_tallies.create(connection)
    create_tallies(connection)


def _changes_counted(connection: Connection) -> None:
    store_changes.create(connection)
    connection.execute(store_changes.insert().values(id=1, generation=0, store_id=uuid.uuid4().hex))


@dataclass(frozen=True)
class Migration:
    """One step from `version - 1` to `version`."""

    version: int
    description: str
    apply: Callable[[Connection], Any]


MIGRATIONS = [
    Migration(1, "create the responses table", lambda connection: responses.create(connection)),
    Migration(2, "keep anonymous responses apart", lambda connection: anonymous_responses.create(connection)),
    Migration(3, "keep what each survey version's answers mean", lambda connection: _versions_kept(connection)),
    Migration(4, "keep staff accounts and their sessions", lambda connection: _staff_kept(connection)),
    Migration(5, "keep cases and their history", lambda connection: _cases_kept(connection)),
    Migration(6, "keep who opened a case on its row", lambda connection: _opened_on_the_case_row(connection)),
    Migration(
        7,
        "keep incentive codes and their use",
        lambda connection: metadata.create_all(connection, [incentive_codes, codes_used]),
    ),
    Migration(
        8,
        "keep the alerts outbox",
        lambda connection: metadata.create_all(connection, [alert_events, alert_deliveries]),
    ),
    Migration(
        9,
        "keep survey invitations and the addresses that opted out",
        lambda connection: metadata.create_all(connection, [invitations, mail_opt_outs]),
    ),
    Migration(10, "keep cases in the order of their ids, with the indexes they need", _cases_by_id),
    Migration(
        11, "count the changes to stored responses other than inserts", lambda connection: _changes_counted(connection)
    ),
    Migration(12, "tally each survey version's responses as they are stored and removed", _versions_tallied),
]
LATEST_VERSION = MIGRATIONS[-1].version


def migrate(engine: Engine) -> int:
    """Bring the store's schema up to LATEST_VERSION; the version it had before (0: new).

    Every step the store has not recorded is applied, in order, even one numbered below a step it has: a store
    opened by a sitegen that had later steps but not an earlier one (two branches' migrations) still gets it.
    A store that has every step is only read: a build never waits for the write lock that collectors hold.
    """
    applied = _applied_steps(engine)
    if applied is not None and applied >= {step.version for step in MIGRATIONS} and max(applied) <= LATEST_VERSION:
        return max(applied)
    with engine.connect().execution_options(**WRITE) as connection, connection.begin():
        _lock(connection)
        schema_version.create(connection, checkfirst=True)
        applied = {int(version) for version in connection.scalars(select(schema_version.c.version))}
        current = max(applied, default=0)
        if current > LATEST_VERSION:
            raise StoreError(
                f"the response store has schema version {current}, newer than this sitegen knows ({LATEST_VERSION}); "
                "upgrade sitegen"
            )
        for migration in (step for step in MIGRATIONS if step.version not in applied):
            migration.apply(connection)
            connection.execute(
                schema_version.insert().values(
                    version=migration.version,
                    description=migration.description,
                    applied_at=dt.datetime.now(dt.UTC),
                )
            )
    return current


def _applied_steps(engine: Engine) -> set[int] | None:
    """The steps the store has recorded, read without a lock; None before its first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(schema_version.name):
            return None
        return {int(version) for version in connection.scalars(select(schema_version.c.version))}


def _lock(connection: Connection) -> None:
    """Hold off other migrators until this transaction ends (SQLite: BEGIN IMMEDIATE already did)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
