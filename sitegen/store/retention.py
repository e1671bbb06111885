"""Delete what has outlived its retention: one survey's old responses with their cases, and its old contacts.

`sitegen.retention` decides the moments (`Cutoffs`); this module only
deletes, a batch of rows at a time, each batch in its own transaction, so a
purge of a million rows never holds them in memory nor the write lock for
long, and one interrupted half-way has kept whatever it finished. Rows are
found by the indexes on (survey, submitted_at); each batch changes its rows
so that they no longer match, and a second purge finds nothing left to do. The tables are the SQLAlchemy
objects of `schema`, so a column added to a case changes nothing here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.engine import Connection

from sitegen.cases.model import OPEN_STATUSES
from sitegen.store.changes import note_change
from sitegen.store.engine import WRITE
from sitegen.store.responses import ID_COLUMNS
from sitegen.store.schema import anonymous_responses, case_events, cases, responses

BATCH_SIZE = 1000
"""Rows changed per transaction: small enough that collectors waiting for SQLite's write lock barely notice."""


@dataclass(frozen=True)
class Cutoffs:
    """What one survey keeps: responses stored from `answers_before` on (anonymous rows from `anonymous_before`),
    and the `contact_questions`' answers and case contacts from `contacts_before` on. None: kept forever."""

    survey_id: str
    contact_questions: tuple[str, ...] = ()
    contacts_before: dt.datetime | None = None
    answers_before: dt.datetime | None = None
    anonymous_before: dt.datetime | None = None


@dataclass(frozen=True)
class SurveyPurge:
    """What a purge deleted of one survey (or, dry, would delete)."""

    survey_id: str
    responses: int = 0
    """Responses deleted whole (anonymous ones counted in `anonymous` instead)."""
    anonymous: int = 0
    cases: int = 0
    """Cases deleted with their response, and their history."""
    contacts: int = 0
    """Responses whose contact answers were dropped."""
    case_contacts: int = 0
    """Cases whose contact was cleared."""
    is_kept_forever: bool = False
    """The survey has no retention at all: nothing of it is ever purged."""

    @property
    def is_nothing(self) -> bool:
        return not (self.responses or self.anonymous or self.cases or self.contacts or self.case_contacts)


def purge_survey(
    engine: Engine, cutoffs: Cutoffs, *, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> SurveyPurge:
    """Delete (or with `dry_run` only count) what of one survey is past `cutoffs`: whole responses first, so a
    contact is counted only where its response stays."""
    purger = _Purger(engine, cutoffs, dry_run, batch_size)
    responses_deleted, cases_deleted = purger.answers(responses)
    anonymous_deleted, _none = purger.answers(anonymous_responses)
    return SurveyPurge(
        cutoffs.survey_id,
        responses=responses_deleted,
        anonymous=anonymous_deleted,
        cases=cases_deleted,
        contacts=purger.contacts(responses) + purger.contacts(anonymous_responses),
        case_contacts=purger.case_contacts(),
        is_kept_forever=cutoffs.answers_before is None and cutoffs.contacts_before is None,
    )


def _id_of(table: Table) -> Any:
    """The column that tells a table's rows apart (the key of an anonymous row)."""
    return table.c[ID_COLUMNS[table.name]]


def _without(answers: dict[str, Any], questions: Sequence[str]) -> dict[str, Any]:
    return {question: answer for question, answer in answers.items() if question not in questions}


def _closed_at() -> Any:
    """When a case closed: its latest step, since a closed case takes no more."""
    return select(func.max(case_events.c.at)).where(case_events.c.case_id == cases.c.id).scalar_subquery()


class _Purger:
    """One survey's purge: each kind of deletion walks its rows in batches, one transaction each."""

    def __init__(self, engine: Engine, cutoffs: Cutoffs, dry_run: bool, batch_size: int) -> None:
        self._engine = engine
        self._cutoffs = cutoffs
        self._dry_run = dry_run
        self._batch_size = batch_size

    def _expired(self, table: Table) -> ColumnElement[bool] | None:
        """The survey's rows of `table` whose answers are past retention; None while they are kept forever."""
        before = self._cutoffs.anonymous_before if table is anonymous_responses else self._cutoffs.answers_before
        if before is None:
            return None
        return (table.c.survey_id == self._cutoffs.survey_id) & (table.c.submitted_at < before)

    def answers(self, table: Table) -> tuple[int, int]:
        """Delete the survey's rows of `table` past retention, with their cases; (rows, cases)."""
        expired = self._expired(table)
        if expired is None:
            return 0, 0
        has_cases = table is responses
        if self._dry_run:
            with self._engine.connect() as connection:
                rows = int(connection.scalar(select(func.count()).select_from(table).where(expired)) or 0)
                if not has_cases:
                    return rows, 0
                in_cases = select(table.c.id).where(expired)
                count = select(func.count()).select_from(cases).where(cases.c.response_id.in_(in_cases))
                return rows, int(connection.scalar(count) or 0)
        cases_deleted = 0

        def delete_batch(connection: Connection, ids: Sequence[str]) -> int:
            nonlocal cases_deleted
            if has_cases:
                case_ids = list(connection.scalars(select(cases.c.id).where(cases.c.response_id.in_(ids))))
                if case_ids:
                    connection.execute(delete(case_events).where(case_events.c.case_id.in_(case_ids)))
                    connection.execute(delete(cases).where(cases.c.id.in_(case_ids)))
                cases_deleted += len(case_ids)
            connection.execute(delete(table).where(_id_of(table).in_(ids)))
            note_change(connection)
            return len(ids)

        return self._in_batches(_id_of(table), expired, delete_batch), cases_deleted

    def contacts(self, table: Table) -> int:
        """Drop the contact answers of the survey's rows of `table` stored before the cutoff, but not of a response
        whose case is open or closed since; how many responses lost them."""
        before, questions = self._cutoffs.contacts_before, self._cutoffs.contact_questions
        if before is None or not questions:
            return 0
        answered = or_(*(table.c.answers[question].as_string().is_not(None) for question in questions))
        # Rows the answers' expiry deletes are not counted twice (a dry run sees them still there).
        due = (table.c.survey_id == self._cutoffs.survey_id) & (table.c.submitted_at < before) & answered
        if (expired := self._expired(table)) is not None:
            due = due & ~expired
        if table is responses:
            case_keeps = or_(cases.c.status.in_(OPEN_STATUSES), _closed_at() >= before)
            due = due & ~exists().where((cases.c.response_id == table.c.id) & case_keeps)
        if self._dry_run:
            return self._count(table, due)
        column = _id_of(table)

        def drop_contacts(connection: Connection, ids: Sequence[str]) -> int:
            # In key order: on PostgreSQL an anonymous row's new version lands in the heap in this order, which says
            # nothing of the order the answers came in (`sitegen.store.anonymity`).
            kept = connection.execute(select(column, table.c.answers).where(column.in_(ids)).order_by(column)).all()
            rows = [{"row_id": row_id, "new_answers": _without(answers, questions)} for row_id, answers in kept]
            statement = update(table).where(column == bindparam("row_id")).values(answers=bindparam("new_answers"))
            connection.execute(statement, rows)
            note_change(connection)
            return len(rows)

        return self._in_batches(column, due, drop_contacts)

    def case_contacts(self) -> int:
        """Clear the contact of the survey's cases closed before the cutoff; how many."""
        before = self._cutoffs.contacts_before
        if before is None:
            return 0
        due = (
            (cases.c.survey_id == self._cutoffs.survey_id)
            & cases.c.contact.is_not(None)
            & cases.c.status.not_in(OPEN_STATUSES)
            & (_closed_at() < before)
        )
        if (expired := self._expired(responses)) is not None:  # deleted whole, not counted twice
            due = due & cases.c.response_id.not_in(select(responses.c.id).where(expired))
        if self._dry_run:
            return self._count(cases, due)

        def clear(connection: Connection, ids: Sequence[str]) -> int:
            connection.execute(update(cases).where(cases.c.id.in_(ids)).values(contact=None))
            return len(ids)

        return self._in_batches(cases.c.id, due, clear)

    def _count(self, table: Table, condition: ColumnElement[bool]) -> int:
        with self._engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(table).where(condition)) or 0)

    def _in_batches(
        self, column: Any, condition: ColumnElement[bool], change: Callable[[Connection, Sequence[str]], int]
    ) -> int:
        """Call `change` on the ids of `batch_size` rows meeting `condition`, each batch in its own write transaction,
        until none is left; how many rows it changed.

        Every change (a row deleted, its contacts dropped, a contact cleared) makes its rows stop meeting the
        condition, so each batch takes the next rows by whatever index the database likes best, with no sort and no
        position to keep: an `ORDER BY id` walk sorted the rest of the survey's old rows once per batch (measured:
        4 times the rows took 10 times as long)."""
        changed = 0
        query = select(column).where(condition).limit(self._batch_size)
        while True:
            with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
                if connection.dialect.name == "sqlite":  # freed space is zeroed, not left readable in the file
                    connection.exec_driver_sql("PRAGMA secure_delete = ON")
                ids = list(connection.scalars(query))
                if not ids:
                    return changed
                changed += change(connection, ids)
