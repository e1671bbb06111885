"""Keep responses: add them idempotently and durably, read them back in order.

The collector writes through `ResponseStore.add`, `responses import` through
`ResponseStore.transaction` (one transaction for a whole file); metrics and
`responses export` read through `ResponseStore.frame` and `.responses`.
Anonymous responses are kept apart (`sitegen.store.anonymity`); reads give
both kinds back together. Nothing here updates or deletes a stored response
(a respondent's erasure request does: `sitegen.store.codes`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import heapq
import json
from collections.abc import Callable, Collection, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Engine, Select, Table, Text, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, RowMapping
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from sitegen.cases.model import CaseOpening
from sitegen.incentive_codes import IssuedCode
from sitegen.store.anonymity import anonymous_key, insert_anonymous, is_anonymous_key, set_apart
from sitegen.store.cases import CaseStore, insert_openings
from sitegen.store.changes import Changes, changes
from sitegen.store.codes import CodeStore, insert_codes
from sitegen.store.engine import WRITE, StoreError, Synchronous, create_store_engine, database_url
from sitegen.store.invitations import InvitationStore
from sitegen.store.limits import storable_problems
from sitegen.store.schema import anonymous_responses, migrate, survey_versions, version_tallies
from sitegen.store.schema import responses as table
from sitegen.store.tallies import TALLIED, lock_tallies
from sitegen.versions import SurveyVersion

STREAM_BATCH = 1000
"""Rows fetched at a time by `ResponseStore.responses`."""
INSERT_PAGE = 1000
"""Rows per INSERT statement on SQLite (7 parameters each, well within SQLite's 32,766), as SQLAlchemy pages them."""
FRAME_BATCH = 50_000
"""Rows fetched at a time by `ResponseStore.frame`: big enough for pandas to be fast, small enough to bound memory."""

ID_COLUMNS = {table.name: "id", anonymous_responses.name: "key"}
"""The column that tells a table's rows apart: ties in time are ordered by it."""
KEPT_TABLES = {table.name: table, anonymous_responses.name: anonymous_responses}
FieldKind = Literal["number", "text", "open_text", "json"]
"""How a field's values reach pandas: floats; categories of texts that repeat (choices, locations); strings for texts
that seldom do (a moment, a comment: as categories they would cost a Python string and a hash entry a row); JSON."""
Adding = Callable[[Sequence["StoredResponse | PreparedRow"]], list[bool]]
"""`add` inside an open transaction: store a batch (responses, or the rows `ResponseStore.prepared` made of them),
True per new id."""


@dataclass(frozen=True)
class Field:
    """One column to read for figures: an answer or a meta value, as a number, text or JSON text, or the version of
    the survey a response answered (`source` "version")."""

    name: str
    source: Literal["answers", "meta", "version"]
    key: str
    kind: FieldKind


@dataclass(frozen=True)
class StoredResponse:
    """One response as stored: answers that passed the survey's rules, with where and when."""

    id: str
    survey_id: str
    survey_version: str
    submitted_at: dt.datetime
    lang: str
    meta: dict[str, Any]
    answers: dict[str, Any]
    is_anonymous: bool = False
    """Kept apart, under a hash of its id (`anonymity.anonymous_key`), which is then its `id` when read back."""
    opens_case: CaseOpening | None = dataclasses.field(default=None, compare=False)
    """The case its survey's `follow_up` opens with it (`sitegen.cases.opening`), in the same transaction."""
    shows_code: IssuedCode | None = dataclasses.field(default=None, compare=False)
    """The incentive code its thank-you page shows (`sitegen.incentive_codes`), kept in the same transaction."""

    @functools.cached_property
    def key(self) -> str:
        """The id it is stored under: its own, or the hash an anonymous response is kept by.

        Kept once worked out (the fields never change): storing a batch asks for it several times per response.
        """
        return anonymous_key(self.id) if self.is_kept_apart else self.id

    @functools.cached_property
    def is_kept_apart(self) -> bool:
        """Anonymous, or read back from the anonymous rows (an id that is such a key stays anonymous)."""
        return self.is_anonymous or is_anonymous_key(self.id)


class PreparedRow(NamedTuple):
    """A response as its table's INSERT takes it (`ResponseStore.prepared`), made where it was checked: the import's
    checking processes hand these back, so that storing one is only the insert.

    A tuple of plain values, cheap to pickle; `values` is the row bound by its columns' own types (SQLite: text and
    numbers in column order) or, on PostgreSQL, the row for SQLAlchemy to bind.
    """

    id: str
    key: str
    is_kept_apart: bool
    survey_id: str
    survey_version: str
    submitted_at: dt.datetime
    values: tuple[Any, ...] | dict[str, Any]
    opens_case: CaseOpening | None = None
    shows_code: IssuedCode | None = None


@dataclass(frozen=True)
class VersionCount:
    """How many stored responses answered one version of a survey, and when the first and the last came."""

    survey_id: str
    version: str
    count: int
    first: dt.datetime | None = None
    last: dt.datetime | None = None


def _utc(moment: Any) -> dt.datetime:
    """A moment from an aggregate, which skips the column's type: SQLite gives UTC text, PostgreSQL a datetime."""
    value = moment if isinstance(moment, dt.datetime) else dt.datetime.fromisoformat(str(moment))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class UnstorableResponse(StoreError):
    """The database refused one response of a batch; nothing of the transaction was kept."""

    def __init__(self, response: StoredResponse | PreparedRow, reason: str) -> None:
        super().__init__(f"response {response.id!r} cannot be stored: {reason}")
        self.response = response
        self.reason = reason


ROW_REFUSALS = (IntegrityError, DataError, UnicodeError)
"""What a database raises for a row it will not keep (a constraint, a value out of range, text it cannot encode)."""


def is_refusal(error: BaseException) -> bool:
    """Whether a failed `add` was caused by the rows written (a constraint, a value out of range), not the store.

    ValueError is what `add` raises, before writing, for a response that `storable_problems` finds fault with;
    UnstorableResponse names the one response of a batch that the database refused on its own.
    """
    return isinstance(error, (UnstorableResponse, ValueError, *ROW_REFUSALS))


class _StoringFailed(Exception):
    """A batch the database refused, carried out of its transaction to be diagnosed once it is rolled back."""

    def __init__(self, batch: Sequence[StoredResponse | PreparedRow], error: Exception) -> None:
        self.batch = batch
        self.error = error


class ResponseStore:
    """The responses of one project, in SQLite or PostgreSQL; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        with engine.connect() as connection:
            kept_apart = connection.scalars(select(anonymous_responses.c.survey_id).distinct())
            self._surveys_apart: set[str] = set(kept_apart)
        """Surveys with rows in `anonymous_responses`: only their other responses need a look there (see _add)."""

    @classmethod
    def open(
        cls,
        url: str,
        project_root: Path,
        *,
        synchronous: Synchronous = "FULL",
        anonymous_surveys: Collection[str] = (),
    ) -> ResponseStore:
        """Connect to the store at `url` (SQLite paths relative to `project_root`), creating or migrating its schema.

        `synchronous="NORMAL"` trades SQLite's durability on power loss for speed (bulk loads, tests).
        Rows of `anonymous_surveys` that an older sitegen kept among the others are moved apart.
        """
        location = database_url(url, project_root)
        engine = create_store_engine(location, synchronous=synchronous)
        try:
            migrate(engine)
            if anonymous_surveys:
                with engine.connect().execution_options(**WRITE) as connection, connection.begin():
                    set_apart(connection, anonymous_surveys)
        except DBAPIError as error:  # cannot connect, no such database, not a database file, ...
            engine.dispose()
            reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
            raise StoreError(
                f"cannot open the response store {location.render_as_string(hide_password=True)}: {reason}"
            ) from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_for_reading(cls, url: str, project_root: Path) -> ResponseStore:
        """The store to read figures from; a SQLite file that does not exist yet reads as empty (and is not created)."""
        database = database_url(url, project_root)
        if database.drivername.startswith("sqlite") and database.database and not Path(database.database).exists():
            return cls.open("sqlite://", project_root)
        return cls.open(url, project_root)

    @property
    def engine(self) -> Engine:
        """The database itself, for the other tables it keeps (`sitegen.staff.accounts`), opened and migrated."""
        return self._engine

    def add(self, batch: list[StoredResponse]) -> list[bool]:
        """Store new responses in one durable transaction; per response, True if new, False if stored already.

        A stored response is never changed: a second one with the same id
        (in the store or earlier in `batch`) is left out, whatever its
        answers. Raises ValueError, before writing anything, for a response
        no back end can keep (a time without a time zone, a NUL character, NaN),
        and UnstorableResponse, having written nothing, for one the database refuses.
        """
        with self.transaction() as add:
            return add(batch)

    def prepared(self, response: StoredResponse) -> PreparedRow:
        """`response` as this store's INSERT takes it; the same stored bytes as adding the response itself.

        Uses only the engine's dialect, never a connection: a forked process may call it (`responses import`).
        Raises for a value the columns' types cannot bind (`storable_problems` finds those first).
        """
        return _prepared(self._engine.dialect, response)

    @contextmanager
    def transaction(self, *, is_checked: bool = False) -> Iterator[Adding]:
        """One durable write transaction for many batches (`responses import`): all of them kept, or none.

        `is_checked`: the caller has run `storable_problems` on every response it adds (the import does, line by
        line, to name the line), so `add` does not run it a second time.
        On SQLite it holds the write lock until it ends, so collectors on the same file wait for it.
        """
        try:
            with self._writing() as connection:
                yield functools.partial(_add, connection, self._surveys_apart, is_checked=is_checked)
        except _StoringFailed as failed:
            raise self._diagnosed(failed) from None

    def _diagnosed(self, failed: _StoringFailed) -> Exception:
        """The response of a refused batch that the database refuses on its own, tried one by one and rolled back.

        Without one (the server went away, say), the original error.
        """
        try:
            with self._engine.connect().execution_options(**WRITE) as connection:
                trial = connection.begin()
                try:
                    for response in failed.batch:
                        try:
                            with connection.begin_nested():
                                _add(connection, self._surveys_apart, [response])
                        except _StoringFailed as alone:
                            if not isinstance(alone.error, ROW_REFUSALS):
                                break  # the store itself fails (a table gone, the server away), not this row
                            return UnstorableResponse(response, _reason(alone.error))
                finally:
                    trial.rollback()
        except SQLAlchemyError:
            pass
        return failed.error

    @property
    def cases(self) -> CaseStore:
        """The cases kept beside the responses (`sitegen.store.cases`)."""
        return CaseStore(self._engine)

    @property
    def invitations(self) -> InvitationStore:
        """The survey invitations sent and answered, and the addresses that opted out (`sitegen.store.invitations`)."""
        return InvitationStore(self._engine)

    @property
    def codes(self) -> CodeStore:
        """The incentive codes shown and used (`sitegen.store.codes`)."""
        return CodeStore(self._engine)

    def get(self, response_id: str) -> StoredResponse | None:
        """The response stored under `response_id` (an anonymous one also under its key), if any."""
        with self._engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.id == response_id)).mappings().first()
            if row is not None:
                return _response(row)
            key = anonymous_key(response_id)
            apart = anonymous_responses
            row = connection.execute(select(apart).where(apart.c.key == key)).mappings().first()
        return _response(row) if row is not None else None

    def responses(self, survey_id: str | None = None) -> Generator[StoredResponse, None, None]:
        """Every response (of one survey), oldest first, ties by id; fetched in batches, never all at once.

        The generator holds a database connection until it is exhausted or closed.
        """
        with self._engine.connect() as connection:
            streaming = connection.execution_options(yield_per=STREAM_BATCH)
            results = [
                streaming.execute(_in_time_order(select(kept), kept, survey_id))
                for kept in (table, anonymous_responses)
            ]
            try:
                both = [map(_response, result.mappings()) for result in results]
                yield from heapq.merge(*both, key=lambda response: (response.submitted_at, response.id))
            finally:
                for result in results:  # a server-side cursor left open warns when collected (PostgreSQL)
                    result.close()

    def frame(self, survey_id: str, fields: list[Field]) -> pd.DataFrame:
        """One survey's responses as a table, oldest first (ties by id): `submitted_at` (UTC) and a column per field.

        The database picks the values out of the JSON itself (json_extract on
        SQLite, ->> on PostgreSQL) and the driver's rows go to pandas a batch
        at a time, so a million responses are never decoded one by one in
        Python nor held as a million tuples at once.
        """
        return decoded_frame(self.encoded_frame(survey_id, fields), fields)

    def encoded_frame(
        self, survey_id: str, fields: list[Field], since: dt.datetime | None = None, before: dt.datetime | None = None
    ) -> pd.DataFrame:
        """`frame` with JSON fields still JSON text (categorical, as text fields are), of the responses submitted at
        `since` or later and before `before` (all without them): that part of `frame`, row for row.

        Anonymous rows sort after the others of the same moment whatever `since`, so a frame cut at a moment and
        joined again (`joined_frames`) is the frame read whole.
        """
        names = ["submitted_at", *(field.name for field in fields)]
        with self._engine.connect() as connection:
            parts = [
                _frame_batches(
                    connection,
                    _in_time_order(_field_columns(kept, fields, since, before), kept, survey_id),
                    names,
                    fields,
                )
                for kept in (table, anonymous_responses)
            ]
        batches = [batch for part in parts for batch in part]
        if not batches:
            return _batch_frame([], names, fields)
        frame = joined_frames(batches, fields)
        if all(parts):  # a survey made anonymous later has rows in both tables: one time order for all
            frame = frame.sort_values("submitted_at", kind="stable", ignore_index=True)
        return frame

    def changes(self) -> Changes:
        """Which store this is, and how many changes other than inserts its responses have had."""
        with self._engine.connect() as connection:
            return changes(connection)

    def count(self, survey_id: str | None = None) -> int:
        """How many responses are stored (for one survey), from the tallies (`sitegen.store.tallies`)."""
        query = select(func.coalesce(func.sum(version_tallies.c.n), 0))
        if survey_id is not None:
            query = query.where(version_tallies.c.survey_id == survey_id)
        with self._engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def watermark(self) -> tuple[tuple[int, dt.datetime | None], ...]:
        """Per table of responses, how many rows it has and the latest `submitted_at`: changes with every row stored
        or removed. Counts, not the latest moment alone: a second collector on the same PostgreSQL may commit a row
        stamped earlier than one already seen (its clock, a slow commit), which only the count shows."""
        tallies = version_tallies.c
        query = select(tallies.source, func.sum(tallies.n), func.max(tallies.last_at)).group_by(tallies.source)
        with self._engine.connect() as connection:
            found = {source: (int(count), _utc(latest)) for source, count, latest in connection.execute(query)}
        return tuple(found.get(source, (0, None)) for source in TALLIED.values())

    def record_versions(self, versions: Collection[SurveyVersion]) -> None:
        """Keep what each version's answers mean, once: a version already kept keeps its first definition."""
        rows = [
            {
                "survey_id": version.survey_id,
                "version": version.version,
                "questions": version.questions,
                "definition": version.definition,
                "first_seen": version.first_seen,
            }
            for version in versions
        ]
        if not rows:
            return
        with self._writing() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            connection.execute(dialect.insert(survey_versions).on_conflict_do_nothing(), rows)

    def versions(self, survey_id: str | None = None) -> list[SurveyVersion]:
        """The kept versions (of one survey), oldest first."""
        query = select(survey_versions).order_by(survey_versions.c.first_seen, survey_versions.c.version)
        if survey_id is not None:
            query = query.where(survey_versions.c.survey_id == survey_id)
        with self._engine.connect() as connection:
            return [SurveyVersion(**row) for row in connection.execute(query).mappings()]

    def version_counts(self, survey_id: str | None = None) -> list[VersionCount]:
        """How many responses each stored survey version has, with its first and last (by survey, then first)."""
        tallies = version_tallies.c
        query = select(
            tallies.survey_id,
            tallies.survey_version,
            func.sum(tallies.n),
            func.min(tallies.first_at),
            func.max(tallies.last_at),
        ).group_by(tallies.survey_id, tallies.survey_version)
        if survey_id is not None:
            query = query.where(tallies.survey_id == survey_id)
        with self._engine.connect() as connection:
            found = [
                VersionCount(survey, version, int(count), _utc(first), _utc(last))
                for survey, version, count, first, last in connection.execute(query)
            ]
        return sorted(found, key=lambda counted: (counted.survey_id, counted.first, counted.version))

    def answer_count(self, survey_id: str, versions: Collection[str], question_id: str) -> int:
        """How many responses of these versions of a survey answered a question."""
        total = 0
        with self._engine.connect() as connection:
            for kept in (table, anonymous_responses):
                answered = kept.c.answers[question_id].as_string().is_not(None)
                query = select(func.count()).where(
                    kept.c.survey_id == survey_id, kept.c.survey_version.in_(sorted(versions)), answered
                )
                total += int(connection.scalar(query) or 0)
        return total

    def close(self) -> None:
        """Close every connection (an in-memory store is gone with it)."""
        self._engine.dispose(close=True)

    def __enter__(self) -> ResponseStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            yield connection


def _add(
    connection: Connection,
    surveys_apart: set[str],
    batch: Sequence[StoredResponse | PreparedRow],
    *,
    is_checked: bool = False,
) -> list[bool]:
    """`add` on an open write transaction; a refusal by the database comes out as _StoringFailed.

    `surveys_apart` (the store's, updated here) names the surveys with anonymous rows: a response of another survey
    cannot be stored already under an anonymous key, so it needs no look in that table, the one extra statement
    that would cost every batch about a tenth of the collector's throughput. (A process that took a survey for
    anonymous while this one does not, both running at once, is the case this leaves to the id's own uniqueness.)
    A prepared row was checked where it was made.
    """
    if not is_checked:
        for response in batch:
            if isinstance(response, StoredResponse):
                check_storable(response)
    try:
        rows = [
            _prepared(connection.dialect, row) if isinstance(row, StoredResponse) else row for row in batch
        ]  # binding may refuse text the database cannot encode, as the insert would
        first: dict[str, PreparedRow] = {}
        for row in rows:
            first.setdefault(row.key, row)
        if not first:
            return []
        stored = _insert_new(connection, first, surveys_apart)
        openings = [
            (row.survey_id, row.id, row.opens_case)
            for key, row in first.items()
            if row.opens_case is not None and key in stored and not row.is_kept_apart
        ]
        if openings:
            insert_openings(connection, openings)
        insert_codes(
            connection, [row.shows_code for key, row in first.items() if row.shows_code is not None and key in stored]
        )
    except (SQLAlchemyError, UnicodeError) as error:
        raise _StoringFailed(batch, error) from error
    seen: set[str] = set()
    is_new = []
    for row in rows:
        is_new.append(row.key in stored and row.key not in seen)
        seen.add(row.key)
    return is_new


def _insert_new(connection: Connection, by_key: dict[str, PreparedRow], surveys_apart: set[str]) -> set[str]:
    """Insert the rows whose id neither table holds; the keys that were new.

    Rows in key order: concurrent PostgreSQL writers then lock ids in one order and cannot deadlock.
    """
    apart = [by_key[key] for key in sorted(by_key) if by_key[key].is_kept_apart]
    among = [by_key[key] for key in sorted(by_key) if not by_key[key].is_kept_apart]
    # The same id can come to both tables only if a survey's anonymity changed; it is still stored once.
    clear_ids = [row.id for row in apart if row.id != row.key]
    taken = set(connection.scalars(select(table.c.id).where(table.c.id.in_(clear_ids)))) if clear_ids else set()
    keys = [anonymous_key(row.id) for row in among if row.survey_id in surveys_apart]
    apart_column = anonymous_responses.c.key
    taken_keys = set(connection.scalars(select(apart_column).where(apart_column.in_(keys)))) if keys else set()
    stored = _insert_apart(connection, [row for row in apart if row.id not in taken])
    surveys_apart.update(row.survey_id for row in apart if row.key in stored)
    rows = [row for row in among if not taken_keys or anonymous_key(row.id) not in taken_keys]
    if rows:
        # After the anonymous rows' day locks and tallies: every writer takes its locks in that one order.
        lock_tallies(connection, version_tallies, [(row.survey_id, row.survey_version, 0) for row in rows])
        stored |= _insert_rows(connection, rows)
    return stored


def _insert_apart(connection: Connection, rows: list[PreparedRow]) -> set[str]:
    """Insert anonymous rows (keyed already) that are not stored yet; the keys that were new.

    On SQLite the driver's own statement, as for the other rows; PostgreSQL's rewrite of each day's rows is
    `anonymity.insert_anonymous`'s.
    """
    if connection.dialect.name != "sqlite":
        return insert_anonymous(connection, [_unbound(row) for row in rows])
    return _insert_bound(connection, anonymous_responses, rows)


def _insert_rows(connection: Connection, rows: list[PreparedRow]) -> set[str]:
    """Insert rows of `responses` whose id is not stored yet; the ids that were new."""
    if connection.dialect.name != "sqlite":
        statement = _insert(connection).on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)
        return set(connection.scalars(statement, [_unbound(row) for row in rows]))
    return _insert_bound(connection, table, rows)


def _insert_bound(connection: Connection, kept: Table, rows: list[PreparedRow]) -> set[str]:
    """Insert bound rows of `kept` on SQLite, a page of rows per INSERT; the keys that were new.

    The statement is the driver's own, the rows of a page in one INSERT (one run of the tallies' trigger program for
    them all, not one per row as `executemany` would run it): SQLAlchemy's own work per row cost about as much as
    SQLite's (`responses import` stores millions of rows).
    """
    insert = _sqlite_insert(kept.name)
    stored: set[str] = set()
    for start in range(0, len(rows), INSERT_PAGE):
        page = rows[start : start + INSERT_PAGE]
        result = connection.exec_driver_sql(insert(len(page)), tuple(value for row in page for value in row.values))
        stored.update(key for (key,) in result)
    return stored


def _unbound(row: PreparedRow) -> dict[str, Any]:
    """The row for SQLAlchemy to bind (a PostgreSQL store prepares no other)."""
    assert isinstance(row.values, dict)
    return row.values


@functools.lru_cache(maxsize=2)
def _sqlite_insert(table_name: str) -> Callable[[int], str]:
    """The driver's INSERT of n rows of a table of responses, new keys only."""
    kept = KEPT_TABLES[table_name]
    names = [column.name for column in kept.c]
    row_marks = f"({', '.join('?' for _ in names)})"

    @functools.cache
    def insert(count: int) -> str:
        values = ", ".join(row_marks for _ in range(count))
        key = ID_COLUMNS[kept.name]
        columns = ", ".join(names)
        return f"INSERT INTO {kept.name} ({columns}) VALUES {values} ON CONFLICT ({key}) DO NOTHING RETURNING {key}"

    return insert


def _prepared(dialect: Dialect, response: StoredResponse) -> PreparedRow:
    row = _row(response)
    kept = anonymous_responses if response.is_kept_apart else table
    values = _binder(dialect, kept.name)(row) if dialect.name == "sqlite" else row
    return PreparedRow(
        response.id,
        response.key,
        response.is_kept_apart,
        response.survey_id,
        response.survey_version,
        response.submitted_at,
        values,
        response.opens_case,
        response.shows_code,
    )


@functools.lru_cache(maxsize=16)  # one per engine's dialect and table: its JSON serializer is the engine's
def _binder(dialect: Dialect, table_name: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """One row's parameters for the driver, in column order, each bound by its column's own type."""
    kept = KEPT_TABLES[table_name]
    names = [column.name for column in kept.c]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in kept.c]

    def bound(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[name] if process is None else process(row[name])
            for name, process in zip(names, processors, strict=True)
        )

    return bound


def _reason(error: Exception) -> str:
    """The first line of what the driver said."""
    orig = getattr(error, "orig", None)
    return str(orig if orig is not None else error).strip().splitlines()[0]


def _in_time_order(query: Select[Any], kept: Table, survey_id: str | None) -> Select[Any]:
    """`query` over `kept` (one survey's rows), oldest first, ties by id (by key for anonymous rows)."""
    if survey_id is not None:
        query = query.where(kept.c.survey_id == survey_id)
    return query.order_by(kept.c.submitted_at, kept.c[ID_COLUMNS[kept.name]])


def joined_frames(frames: Sequence[pd.DataFrame], fields: list[Field]) -> pd.DataFrame:
    """Encoded frames (`ResponseStore.encoded_frame`) one after the other, as one: text and JSON columns get one set
    of categories, sorted, whichever frames their values came from."""
    names = [field.name for field in fields if field.kind in ("text", "json")]
    categories = {
        name: union_categoricals(
            [pd.Categorical([], categories=part[name].cat.categories) for part in frames], sort_categories=True
        ).categories
        for name in names
    }
    # Each part recoded to the union's categories first (the kept million rows, whose categories it usually is
    # already, are left as they are), so the frames join as categoricals, never as a million Python strings.
    return pd.concat(
        [part.assign(**{name: part[name].cat.set_categories(categories[name]) for name in names}) for part in frames],
        ignore_index=True,
    )


def decoded_frame(frame: pd.DataFrame, fields: list[Field]) -> pd.DataFrame:
    """An encoded frame with its JSON fields as Python values (None where there is none), as `frame` gives them."""
    for field in fields:
        if field.kind == "json":
            frame[field.name] = _decoded(frame[field.name])
    return frame


def _field_columns(
    kept: Table, fields: list[Field], since: dt.datetime | None = None, before: dt.datetime | None = None
) -> Select[Any]:
    """`submitted_at` and each field picked out of the JSON by the database (of the rows from `since` on, before
    `before`)."""
    columns: list[Any] = [kept.c.submitted_at]
    for field in fields:
        if field.source == "version":
            columns.append(kept.c.survey_version.label(field.name))
            continue
        value = kept.c[field.source][field.key]
        text = value.as_string()
        extracted = {"number": value.as_float(), "text": text, "open_text": text, "json": cast(value.as_json(), Text)}[
            field.kind
        ]
        columns.append(extracted.label(field.name))
    query = select(*columns)
    if since is not None:
        query = query.where(kept.c.submitted_at >= since)
    return query if before is None else query.where(kept.c.submitted_at < before)


def _frame_batches(
    connection: Connection, query: Select[Any], names: list[str], fields: list[Field]
) -> list[pd.DataFrame]:
    """The rows of `query` as typed frames, a batch at a time."""
    # SQLAlchemy writes the SQL (the ids and keys inlined, quoted by the dialect);
    # the driver's own cursor fetches it as plain tuples, without a Row object each.
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    # On PostgreSQL a named (server-side) cursor: a client-side one holds the whole result in the client before
    # the first batch is fetched (a million rows at once); SQLite's cursor steps through the rows anyway.
    dbapi = connection.connection
    cursor = dbapi.cursor(name="sitegen_frame") if connection.dialect.name == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(sql)
        return [_batch_frame(rows, names, fields) for rows in iter(lambda: cursor.fetchmany(FRAME_BATCH), [])]
    finally:
        cursor.close()


def _batch_frame(rows: Sequence[Any], names: list[str], fields: list[Field]) -> pd.DataFrame:
    """One batch of driver rows as typed columns, before the next batch is fetched."""
    frame = pd.DataFrame.from_records(rows, columns=names)
    # The database's own time value (UTC text on SQLite), parsed in bulk rather than row by row.
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601")
    return typed_columns(frame, fields)


def typed_columns(frame: pd.DataFrame, fields: list[Field]) -> pd.DataFrame:
    """Each field's column in its one type, whatever values a batch happened to hold (all missing, all whole
    numbers): numbers as floats, open texts as strings, other texts and JSON as categories of strings, so that frames
    join without a change."""
    for field in fields:
        column = frame[field.name]
        if field.kind == "number":
            frame[field.name] = column.astype("float64")
            continue
        if field.kind == "open_text":
            frame[field.name] = column.astype("str")
            continue
        # Locations, channels, choices and their JSON repeat: small integer codes instead of a million strings.
        categorical = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
        frame[field.name] = categorical.cat.set_categories(categorical.cat.categories.astype("str"))
    return frame


def _decoded(texts: pd.Series) -> pd.Series:
    """JSON texts as Python values (None where there is none), each distinct text decoded once.

    A multiple-choice answer takes a handful of distinct values over a million
    responses: decoding each row on its own would dominate reading them.
    """
    codes, distinct = pd.factorize(texts)
    values = np.empty(len(distinct) + 1, dtype=object)
    for position, text in enumerate(distinct):
        values[position] = json.loads(text)
    values[-1] = None  # factorize's code for a missing text is -1
    return pd.Series(values[codes], index=texts.index, name=texts.name, dtype=object)


def _insert(connection: Connection) -> Any:
    """The back end's INSERT, which knows ON CONFLICT."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _row(response: StoredResponse) -> dict[str, Any]:
    """The row of `response`, in the table it is kept in."""
    return {
        ("key" if response.is_kept_apart else "id"): response.key,
        "survey_id": response.survey_id,
        "survey_version": response.survey_version,
        "submitted_at": response.submitted_at,
        "lang": response.lang,
        "meta": response.meta,
        "answers": response.answers,
    }


def _response(row: RowMapping) -> StoredResponse:
    if "key" in row:
        fields = {name: value for name, value in row.items() if name != "key"}
        return StoredResponse(id=row["key"], **fields, is_anonymous=True)
    return StoredResponse(**row)


def check_storable(response: StoredResponse) -> None:
    """Refuse, with a ValueError naming every reason, a response that `storable_problems` finds a problem in.

    `add` calls it for the whole batch before writing; a caller that batches
    other people's responses (the collector) calls `storable_problems` first,
    so that one bad response cannot fail a batch.
    """
    problems = storable_problems(response)
    if problems:
        raise ValueError(f"response {response.id!r} cannot be stored: {'; '.join(problems)}")
