"""Keep cases and their history: open them (with their response, or later), list, read and take steps.

The collector opens a case in the transaction that stores its response
(`insert_openings`, called by `ResponseStore.add`), keyed by the response id,
so a response stored once opens one case however often it is posted. The
case's first step, `opened`, is its row (`opened_by`, `opened_at`), so that
opening one is a single insert; `get` and `find` give it back as the first
`CaseEvent` of `Case.events`. Staff take the later steps through `CaseStore`,
each step a row of `case_events` and the case's status changed in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import pandas as pd
import uuid6
from sqlalchemy import Engine, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from sitegen.cases.model import Case, CaseEvent, CaseOpening, Status, Step
from sitegen.store.engine import WRITE, StoreError
from sitegen.store.schema import case_events, cases

CASE_COLUMNS = ("survey_id", "location", "status", "opened_at", "due_at", "resolved_at")
"""The columns figures read (`frame`): one row per case."""


class UnknownCase(StoreError):
    """No case has this id."""


def insert_openings(connection: Connection, openings: Iterable[tuple[str, str, CaseOpening]]) -> None:
    """Open a case for each (survey id, response id, opening) in the caller's transaction.

    One row per case, its `opened` step included, in one executemany: nothing is read back. A response that has a
    case already opens none (the unique response id), so a retry changes nothing.
    """
    rows = [_case_row(survey_id, response_id, opening) for survey_id, response_id, opening in openings]
    if rows:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(dialect.insert(cases).on_conflict_do_nothing(index_elements=[cases.c.response_id]), rows)


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
        """Take a step (contacted, resolved, dismissed) with who, when and a note; StepRefused if not allowed.

        The case row is locked first (PostgreSQL: FOR UPDATE; SQLite's write transaction holds the file), so two
        staff taking a step at once cannot both move a case from the same status.
        """
        moment = at or dt.datetime.now(dt.UTC)
        with self._engine.connect().execution_options(**WRITE) as connection, connection.begin():
            row = connection.execute(select(cases).where(cases.c.id == case_id).with_for_update()).mappings().first()
            if row is None:
                raise UnknownCase(f"there is no case {case_id!r}")
            status = _case(row, ()).check_step(step)
            seq = connection.scalar(select(func.max(case_events.c.seq)).where(case_events.c.case_id == case_id))
            connection.execute(
                case_events.insert().values(
                    case_id=case_id, seq=int(seq or 0) + 1, step=step, who=who, at=moment, note=note
                )
            )
            values: dict[str, Any] = {"status": status}
            if step == "resolved":
                values["resolved_at"] = moment
            connection.execute(update(cases).where(cases.c.id == case_id).values(**values))
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
