"""Keep cases and their history: open them (with their response, or later), list, read and take steps.

The collector opens a case in the transaction that stores its response
(`insert_openings`, called by `ResponseStore.add`), keyed by the response id,
so a response stored once opens one case however often it is posted. The
case's first step, `opened`, is its row (`opened_by`, `opened_at`), so that
opening one is a single insert; `get` and `find` give it back as the first
`CaseEvent` of `Case.events`. Staff take the later steps through `CaseStore`,
each step a row of `case_events` and the case's status changed in the same
transaction. The alerts outbox hears of an opening in the same transaction, where a
rule listens (`sitegen.store.outbox`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import uuid6
from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from sitegen.cases.model import Case, CaseEvent, CaseOpening, Status, Step, StepRefused
from sitegen.store.changes import note_change
from sitegen.store.engine import WRITE, StoreError
from sitegen.store.outbox import QueuedEvent, queue_events
from sitegen.store.schema import case_events, cases, responses

CASE_COLUMNS = ("survey_id", "location", "status", "opened_at", "due_at", "resolved_at")
"""The columns figures read (`frame`): one row per case."""


class UnknownCase(StoreError):
    """No case has this id."""


def insert_openings(connection: Connection, openings: Iterable[tuple[str, str, CaseOpening]]) -> None:
    """Open a case for each (survey id, response id, opening) in the caller's transaction, and queue an alert for
    each one a rule listens for (`CaseOpening.is_alerted`).

    One row per case, its `opened` step included, in one executemany: nothing is read back. The responses are ones
    this transaction stored (`ResponseStore.add`) or found without a case (`CaseStore.open`); the unique response
    id keeps a second case out all the same, so a retry changes nothing.
    """
    given = list(openings)
    rows = [_case_row(survey_id, response_id, opening) for survey_id, response_id, opening in given]
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(cases).on_conflict_do_nothing(index_elements=[cases.c.response_id]), rows)
    alerted = [_opened_alert(row) for row, (_, _, opening) in zip(rows, given, strict=True) if opening.is_alerted]
    if alerted:
        queue_events(connection, alerted)


def _opened_alert(row: dict[str, Any]) -> QueuedEvent:
    """The outbox's note that a case opened (`sitegen.alerts`): what an alert may say, never the contact."""
    payload = {
        "case": row["id"],
        "survey": row["survey_id"],
        "location": row["location"],
        "score": row["summary"].get("score"),
        "opened_at": row["opened_at"].isoformat(),
        "due_at": row["due_at"].isoformat(),
    }
    return QueuedEvent(f"case:{row['id']}", "case_opened", row["survey_id"], payload, row["opened_at"])


def _case_row(survey_id: str, response_id: str, opening: CaseOpening) -> dict[str, Any]:
    """The row of a case opening now, its id a UUIDv7: ids grow with time, so each insert into the id's index (and
    `case_events`') lands at its end, not on a random page (with uuid4 ids, a batch of 32 answers opening cases
    wrote 67 WAL pages instead of 41)."""
    return {
        "id": uuid6.uuid7().hex,
        "survey_id": survey_id,
        "response_id": response_id,
        "location": opening.location,
        "lang": opening.lang,
        "summary": dict(opening.summary),
        "contact": opening.contact,
        "opened_at": opening.opened_at,
        "due_at": opening.due_at,
        "status": "open",
        "resolved_at": None,
        "opened_by": opening.who,
    }


class CaseStore:
    """The cases of one store (`ResponseStore.cases`), on the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def open(self, survey_id: str, response_id: str, opening: CaseOpening) -> Case:
        """Open a case for a stored response (staff, or an import); the response's case if it has one already."""
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            insert_openings(connection, [(survey_id, response_id, opening)])
            case_id = connection.scalar(select(cases.c.id).where(cases.c.response_id == response_id))
        return self.get(str(case_id))

    def get(self, case_id: str) -> Case:
        """The case with its history, oldest step first; UnknownCase if there is none."""
        with self._engine.connect() as connection:
            row = connection.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
            if row is None:
                raise UnknownCase(f"there is no case {case_id!r}")
            return _case(row, _events(connection, [case_id]).get(case_id, ()))

    def for_response(self, response_id: str) -> Case | None:
        """The case a response opened, if it opened one."""
        with self._engine.connect() as connection:
            case_id = connection.scalar(select(cases.c.id).where(cases.c.response_id == response_id))
        return None if case_id is None else self.get(str(case_id))

    def answers_of(self, case: Case) -> dict[str, Any]:
        """The answers of the response the case came from, as stored now (with what staff completed since)."""
        with self._engine.connect() as connection:
            kept = connection.scalar(select(responses.c.answers).where(responses.c.id == case.response_id))
        return dict(kept or {})

    def find(
        self,
        now: dt.datetime,
        *,
        locations: Collection[str] | None = None,
        statuses: Collection[Status] = ("open", "contacted"),
        survey_id: str | None = None,
    ) -> list[Case]:
        """Cases of these statuses (and locations, survey): overdue first, then by due time, then by opening."""
        overdue = case((cases.c.status.in_(["open", "contacted"]) & (cases.c.due_at < now), 0), else_=1)
        query = select(cases).where(cases.c.status.in_(sorted(statuses)))
        if locations is not None:
            query = query.where(cases.c.location.in_(sorted(locations)))
        if survey_id is not None:
            query = query.where(cases.c.survey_id == survey_id)
        query = query.order_by(overdue, cases.c.due_at, cases.c.opened_at, cases.c.id)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            history = _events(connection, [row["id"] for row in rows])
        return [_case(row, history.get(row["id"], ())) for row in rows]

    def add_step(self, case_id: str, step: Step, who: str, note: str = "", at: dt.datetime | None = None) -> Case:
        """Take a step (contacted, resolved, dismissed, a note) with who, when and a note; StepRefused if the
        status does not allow it or `at` comes before the case's latest step.

        The case row is locked first (PostgreSQL: FOR UPDATE; SQLite's write transaction holds the file), so two
        staff taking a step at once cannot both move a case from the same status.
        """
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            _take_step(connection, case_id, step, who, note, at or dt.datetime.now(dt.UTC))
        return self.get(case_id)

    def complete_entry(
        self, case_id: str, answers: Mapping[str, Any], who: str, at: dt.datetime, resolves: bool = False
    ) -> Case:
        """Add `answers` to the response the case came from (questions it left empty) as a step at `at`: `resolved`
        if `resolves`, else `completed`, its note naming the questions. One transaction: all or nothing.

        The response keeps every answer it had (an answer given is never overwritten), so a figure that read it
        before reads the same value after; only what was empty is filled in.
        """
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            row = connection.execute(select(cases.c.response_id).where(cases.c.id == case_id)).first()
            if row is None:
                raise UnknownCase(f"there is no case {case_id!r}")
            kept = connection.scalar(select(responses.c.answers).where(responses.c.id == row.response_id))
            if kept is None:
                raise UnknownCase(f"case {case_id!r} has no stored response to complete")
            if overlap := sorted(set(answers) & set(kept)):
                raise StepRefused(f"case {case_id}: {', '.join(overlap)} answered already; an answer is never replaced")
            _take_step(connection, case_id, "resolved" if resolves else "completed", who, ", ".join(answers), at)
            connection.execute(
                update(responses).where(responses.c.id == row.response_id).values(answers={**kept, **answers})
            )
            note_change(connection)
        return self.get(case_id)

    def step_count(self) -> int:
        """How many steps all cases have taken (their openings too): what changes when any case changes."""
        with self._engine.connect() as connection:
            openings = connection.scalar(select(func.count()).select_from(cases))
            later = connection.scalar(select(func.count()).select_from(case_events))
        return int(openings or 0) + int(later or 0)

    def frame(self, survey_id: str) -> pd.DataFrame:
        """One row per case of a survey, oldest first, for figures: `CASE_COLUMNS`, times as UTC timestamps."""
        query = (
            select(*(cases.c[name] for name in CASE_COLUMNS))
            .where(cases.c.survey_id == survey_id)
            .order_by(cases.c.opened_at, cases.c.id)
        )
        with self._engine.connect() as connection:
            frame = pd.DataFrame(connection.execute(query).all(), columns=list(CASE_COLUMNS))
        for name in ("opened_at", "due_at", "resolved_at"):
            frame[name] = pd.to_datetime(frame[name], utc=True)
        return frame


def _take_step(
    connection: Connection,
    case_id: str,
    step: Step,
    who: str,
    note: str,
    moment: dt.datetime,
) -> None:
    """`add_step` in the caller's transaction, the case row locked first."""
    row = connection.execute(select(cases).where(cases.c.id == case_id).with_for_update()).mappings().first()
    if row is None:
        raise UnknownCase(f"there is no case {case_id!r}")
    history = _events(connection, [case_id]).get(case_id, ())
    status = _case(row, history).check_step(step, moment)
    seq = connection.scalar(select(func.max(case_events.c.seq)).where(case_events.c.case_id == case_id))
    connection.execute(
        case_events.insert().values(case_id=case_id, seq=int(seq or 0) + 1, step=step, who=who, at=moment, note=note)
    )
    values: dict[str, Any] = {"status": status}
    if step == "resolved":
        values["resolved_at"] = moment
    connection.execute(update(cases).where(cases.c.id == case_id).values(**values))


def _events(connection: Connection, case_ids: Sequence[str]) -> dict[str, tuple[CaseEvent, ...]]:
    """The steps of these cases after `opened`, each oldest first."""
    if not case_ids:
        return {}
    query = select(case_events).where(case_events.c.case_id.in_(case_ids)).order_by(case_events.c.seq)
    found: dict[str, list[CaseEvent]] = {}
    for row in connection.execute(query).mappings():
        found.setdefault(row["case_id"], []).append(CaseEvent(row["step"], row["who"], row["at"], row["note"]))
    return {case_id: tuple(events) for case_id, events in found.items()}


def _case(row: RowMapping, later: tuple[CaseEvent, ...]) -> Case:
    """The case of `row`, its history the `opened` step its row records, then `later`."""
    fields = dict(row)
    opened = CaseEvent("opened", fields.pop("opened_by"), row["opened_at"])
    return Case(**fields, events=(opened, *later))


def delete_case_of_response(connection: Connection, response_id: str) -> bool:
    """Delete the case a response opened, with its steps, in the caller's transaction (an erasure); whether it had one.

    The only delete of cases: `sitegen responses erase` removes an answer and everything made from it.
    """
    case_id = connection.scalar(select(cases.c.id).where(cases.c.response_id == response_id))
    if case_id is None:
        return False
    connection.execute(delete(case_events).where(case_events.c.case_id == case_id))
    connection.execute(delete(cases).where(cases.c.id == case_id))
    return True
