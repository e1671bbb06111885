"""Keep responses: add them idempotently and durably, read them back in order.

The collector and `responses import` write through `ResponseStore.add`;
metrics and `responses export` read through `ResponseStore.responses`.
Nothing here updates or deletes a stored response.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Engine, Text, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import DBAPIError

from sitegen.models.survey import Survey
from sitegen.store.engine import WRITE, StoreError, Synchronous, create_store_engine, database_url
from sitegen.store.limits import storable_problems
from sitegen.store.schema import migrate
from sitegen.store.schema import responses as table

STREAM_BATCH = 1000
"""Rows fetched at a time by `ResponseStore.responses`."""
FRAME_BATCH = 50_000
"""Rows fetched at a time by `ResponseStore.frame`: big enough for pandas to be fast, small enough to bound memory."""

FieldKind = Literal["number", "text", "json"]


@dataclass(frozen=True)
class Field:
    """One column to read for figures: an answer or a meta value, as a number, text or JSON text."""

    name: str
    source: Literal["answers", "meta"]
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


def survey_version(survey: Survey) -> str:
    """A short hash of the survey's definition: which version of the questions a response answered."""
    definition = survey.model_dump(mode="json", by_alias=True)
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


class ResponseStore:
    """The responses of one project, in SQLite or PostgreSQL; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str, project_root: Path, *, synchronous: Synchronous = "FULL") -> ResponseStore:
        """Connect to the store at `url` (SQLite paths relative to `project_root`), creating or migrating its schema.

        `synchronous="NORMAL"` trades SQLite's durability on power loss for speed (bulk loads, tests).
        """
        location = database_url(url, project_root)
        engine = create_store_engine(location, synchronous=synchronous)
        try:
            migrate(engine)
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

    def add(self, batch: list[StoredResponse]) -> list[bool]:
        """Store new responses in one durable transaction; per response, True if new, False if its id was stored already.

        A stored response is never changed: a second one with the same id
        (in the store or earlier in `batch`) is left out, whatever its
        answers. Raises ValueError, before writing anything, for a response
        no back end can keep (a time without a time zone, a NUL character, NaN).
        """
        for response in batch:
            check_storable(response)
        first: dict[str, StoredResponse] = {}
        for response in batch:
            first.setdefault(response.id, response)
        if not first:
            return []
        # Rows in id order: concurrent PostgreSQL writers then lock ids in one order and cannot deadlock.
        rows = [_row(first[response_id]) for response_id in sorted(first)]
        with self._writing() as connection:
            statement = _insert(connection).on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)
            stored = set(connection.scalars(statement, rows))
        seen: set[str] = set()
        is_new = []
        for response in batch:
            is_new.append(response.id in stored and response.id not in seen)
            seen.add(response.id)
        return is_new

    def get(self, response_id: str) -> StoredResponse | None:
        """The response stored under `response_id`, if any."""
        with self._engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.id == response_id)).mappings().first()
        return _response(row) if row is not None else None

    def responses(self, survey_id: str | None = None) -> Iterator[StoredResponse]:
        """Every response (of one survey), oldest first, ties by id; fetched in batches, never all at once.

        The generator holds a database connection until it is exhausted or closed.
        """
        query = select(table).order_by(table.c.submitted_at, table.c.id)
        if survey_id is not None:
            query = query.where(table.c.survey_id == survey_id)
        with self._engine.connect() as connection:
            result = connection.execution_options(yield_per=STREAM_BATCH).execute(query).mappings()
            for row in result:
                yield _response(row)

    def frame(self, survey_id: str, fields: list[Field]) -> pd.DataFrame:
        """The responses of one survey as a table, oldest first (ties by id): `submitted_at` (UTC) and one column per field.

        The database picks the values out of the JSON itself (json_extract on
        SQLite, ->> on PostgreSQL) and the driver's rows go to pandas a batch
        at a time, so a million responses are never decoded one by one in
        Python nor held as a million tuples at once.
        """
        columns = [table.c.submitted_at]
        for field in fields:
            value = table.c[field.source][field.key]
            extracted = {"number": value.as_float(), "text": value.as_string(), "json": cast(value.as_json(), Text)}[
                field.kind
            ]
            columns.append(extracted.label(field.name))
        query = select(*columns).where(table.c.survey_id == survey_id).order_by(table.c.submitted_at, table.c.id)
        names = ["submitted_at", *(field.name for field in fields)]
        with self._engine.connect() as connection:
            # SQLAlchemy writes the SQL (the ids and keys inlined, quoted by the dialect);
            # the driver's own cursor fetches it as plain tuples, without a Row object each.
            sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
            cursor = connection.connection.cursor()
            try:
                cursor.execute(sql)
                batches = [
                    _batch_frame(rows, names, fields) for rows in iter(lambda: cursor.fetchmany(FRAME_BATCH), [])
                ]
            finally:
                cursor.close()
        if not batches:
            return _batch_frame([], names, fields)
        frame = pd.concat(batches, ignore_index=True)
        for field in fields:
            if field.kind == "text":  # batches found different values: one set of categories for all
                frame[field.name] = union_categoricals([batch[field.name] for batch in batches], sort_categories=True)
        return frame

    def count(self, survey_id: str | None = None) -> int:
        """How many responses are stored (for one survey)."""
        query = select(func.count()).select_from(table)
        if survey_id is not None:
            query = query.where(table.c.survey_id == survey_id)
        with self._engine.connect() as connection:
            return int(connection.scalar(query) or 0)

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


def _batch_frame(rows: list[tuple[Any, ...]], names: list[str], fields: list[Field]) -> pd.DataFrame:
    """One batch of driver rows as typed columns, before the next batch is fetched."""
    frame = pd.DataFrame.from_records(rows, columns=names)
    # The database's own time value (UTC text on SQLite), parsed in bulk rather than row by row.
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601")
    for field in fields:
        if field.kind == "json":
            frame[field.name] = _decoded(frame[field.name])
        elif field.kind == "text":
            # Locations, channels and choices repeat: small integer codes instead of a million strings.
            frame[field.name] = frame[field.name].astype("category")
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
    return {
        "id": response.id,
        "survey_id": response.survey_id,
        "survey_version": response.survey_version,
        "submitted_at": response.submitted_at,
        "lang": response.lang,
        "meta": response.meta,
        "answers": response.answers,
    }


def _response(row: RowMapping) -> StoredResponse:
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
