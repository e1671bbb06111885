"""Cases in the store, on SQLite and PostgreSQL: opened with their response once, listed overdue first, stepped."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from sitegen.cases.model import CaseEvent, CaseOpening, StepRefused
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.cases import UnknownCase
from sitegen.store.engine import create_store_engine, database_url
from sitegen.store.schema import MIGRATIONS, case_events, cases, schema_version

UTC = dt.UTC
MOMENT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def opening(location: str = "riga-centre", hours: int = 48, at: dt.datetime = MOMENT) -> CaseOpening:
    summary = {"score": 3, "comment": "Cold coffee", "location": location, "language": "lv"}
    return CaseOpening(location, "lv", summary, "guest@example.com", at, at + dt.timedelta(hours=hours))


def response(response_id: str, case: CaseOpening | None = None, **changes: object) -> StoredResponse:
    stored = StoredResponse(
        id=response_id,
        survey_id="after-visit",
        survey_version="0123456789abcdef",
        submitted_at=MOMENT,
        lang="lv",
        meta={"location": "riga-centre"},
        answers={"recommend": 3},
        opens_case=case,
    )
    return dataclasses.replace(stored, **changes)


def test_a_response_opens_its_case_in_the_same_transaction_once(store: ResponseStore) -> None:
    assert store.add([response("resp-0001", opening()), response("resp-0001", opening())]) == [True, False]
    assert store.add([response("resp-0001", opening())]) == [False]
    [case] = store.cases.find(MOMENT)
    assert case.response_id == "resp-0001" and case.status == "open" and case.contact == "guest@example.com"
    assert case.summary == {"score": 3, "comment": "Cold coffee", "location": "riga-centre", "language": "lv"}
    assert case.opened_at == MOMENT and case.due_at == MOMENT + dt.timedelta(hours=48)
    assert [(event.step, event.who, event.at) for event in case.events] == [("opened", "collector", MOMENT)]


def test_a_response_without_an_opening_opens_no_case(store: ResponseStore) -> None:
    store.add([response("resp-0001")])
    assert store.cases.find(MOMENT) == [] and store.cases.for_response("resp-0001") is None


def test_a_refused_batch_opens_no_case(store: ResponseStore) -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        store.add([response("resp-0001", opening()), response("resp-0002", opening(), answers={"x": "\x00"})])
    assert store.count() == 0 and store.cases.find(MOMENT) == []


def test_the_inbox_lists_overdue_cases_first_then_by_due_time(store: ResponseStore) -> None:
    store.add(
        [
            response("resp-soon", opening(hours=2)),
            response("resp-late", opening(hours=72, at=MOMENT - dt.timedelta(days=5))),
            response("resp-later", opening(hours=24)),
            response("resp-jelgava", opening("jelgava", hours=1)),
        ]
    )
    now = MOMENT + dt.timedelta(hours=1, minutes=30)
    listed = store.cases.find(now)
    assert [case.response_id for case in listed] == [
        "resp-late",
        "resp-jelgava",
        "resp-soon",
        "resp-later",
    ]
    assert [case.is_overdue(now) for case in listed] == [True, True, False, False]
    assert [case.response_id for case in store.cases.find(now, locations=["jelgava"])] == ["resp-jelgava"]


def test_steps_are_kept_with_who_when_and_a_note_and_resolving_sets_the_time(store: ResponseStore) -> None:
    store.add([response("resp-0001", opening())])
    [case] = store.cases.find(MOMENT)
    store.cases.add_step(case.id, "contacted", "anna", "Called, apologised", MOMENT + dt.timedelta(hours=1))
    resolved = store.cases.add_step(case.id, "resolved", "anna", "Root cause: grinder", MOMENT + dt.timedelta(hours=5))
    assert resolved.status == "resolved" and resolved.resolved_at == MOMENT + dt.timedelta(hours=5)
    assert [(event.step, event.who, event.note) for event in resolved.events] == [
        ("opened", "collector", ""),
        ("contacted", "anna", "Called, apologised"),
        ("resolved", "anna", "Root cause: grinder"),
    ]
    assert store.cases.find(MOMENT) == []
    assert [found.id for found in store.cases.find(MOMENT, statuses=["resolved"])] == [case.id]


def test_a_step_out_of_order_changes_nothing(store: ResponseStore) -> None:
    store.add([response("resp-0001", opening())])
    [case] = store.cases.find(MOMENT)
    with pytest.raises(StepRefused, match="can take one of contacted, dismissed, noted, completed, not 'resolved'"):
        store.cases.add_step(case.id, "resolved", "anna")
    assert store.cases.get(case.id) == case


def test_an_unknown_case_is_named(store: ResponseStore) -> None:
    with pytest.raises(UnknownCase, match="there is no case 'nope'"):
        store.cases.get("nope")


def test_staff_open_a_case_for_a_stored_response_once(store: ResponseStore) -> None:
    store.add([response("resp-0001")])
    first = store.cases.open("after-visit", "resp-0001", dataclasses.replace(opening(), who="anna"))
    again = store.cases.open("after-visit", "resp-0001", opening())
    assert first == again and first.events[0].who == "anna"


def test_the_frame_has_one_row_per_case_with_utc_times(store: ResponseStore) -> None:
    later = opening("jelgava", at=MOMENT + dt.timedelta(hours=1))
    store.add([response("resp-0002", later), response("resp-0001", opening())])
    frame = store.cases.frame("after-visit")
    assert list(frame["location"]) == ["riga-centre", "jelgava"]
    assert str(frame["opened_at"].dt.tz) == "UTC" and list(frame["opened_at"]) == [MOMENT, later.opened_at]
    assert frame["resolved_at"].isna().all()
    assert store.cases.frame("other").empty


def test_the_opened_step_is_the_case_row_with_who_opened_it_and_no_row_of_its_own(store: ResponseStore) -> None:
    store.add([response("resp-0001", opening())])
    store.add([response("resp-0002")])
    store.cases.open("after-visit", "resp-0002", dataclasses.replace(opening(), who="anna"))
    by_collector, by_staff = sorted(store.cases.find(MOMENT), key=lambda case: case.response_id)
    assert by_collector.events == (CaseEvent("opened", "collector", MOMENT, ""),)
    assert by_staff.events == (CaseEvent("opened", "anna", MOMENT, ""),) == store.cases.get(by_staff.id).events
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(case_events)) == 0
    assert store.cases.step_count() == 2
    store.cases.add_step(by_collector.id, "contacted", "anna", at=MOMENT + dt.timedelta(hours=1))
    assert store.cases.step_count() == 3


def test_case_ids_grow_in_the_order_cases_open(store: ResponseStore) -> None:
    for number in range(20):
        store.add([response(f"resp-{number:04d}", opening())])
    with store.engine.connect() as connection:
        ids = list(connection.scalars(select(cases.c.id).order_by(cases.c.response_id)))
    assert ids == sorted(ids) and len(set(ids)) == 20 and all(len(case_id) == 32 for case_id in ids)


def version_5_store(store_url: str, project_root: Path) -> None:
    """A store as sitegen kept cases before migration 6: each case's `opened` step a row of `case_events` (seq 0)."""
    engine = create_store_engine(database_url(store_url, project_root))
    with engine.begin() as connection:
        schema_version.create(connection)
        for migration in MIGRATIONS[:5]:
            migration.apply(connection)
            connection.execute(
                schema_version.insert().values(version=migration.version, description="", applied_at=MOMENT)
            )
        for case_id, response_id, who in (("c1", "resp-0001", "collector"), ("c2", "resp-0002", "anna")):
            connection.execute(
                cases.insert().values(
                    id=case_id,
                    survey_id="after-visit",
                    response_id=response_id,
                    location="riga-centre",
                    lang="lv",
                    summary={"score": 3},
                    contact="guest@example.com",
                    opened_at=MOMENT,
                    due_at=MOMENT + dt.timedelta(hours=48),
                    status="open",
                )
            )
            connection.execute(
                case_events.insert().values(case_id=case_id, seq=0, step="opened", who=who, at=MOMENT, note="")
            )
        later = MOMENT + dt.timedelta(hours=1)
        connection.execute(
            case_events.insert().values(case_id="c2", seq=1, step="contacted", who="anna", at=later, note="Called")
        )
        connection.execute(cases.update().where(cases.c.id == "c2").values(status="contacted"))
    engine.dispose()


def test_migration_6_moves_each_opened_step_onto_its_case_and_keeps_the_history(store_url: str, tmp_path: Path) -> None:
    version_5_store(store_url, tmp_path)
    with ResponseStore.open(store_url, tmp_path) as store:
        first, second = store.cases.get("c1"), store.cases.get("c2")
        assert first.events == (CaseEvent("opened", "collector", MOMENT, ""),)
        assert second.events == (
            CaseEvent("opened", "anna", MOMENT, ""),
            CaseEvent("contacted", "anna", MOMENT + dt.timedelta(hours=1), "Called"),
        )
        assert store.cases.step_count() == 3
        resolved = store.cases.add_step("c2", "resolved", "anna", "Done", MOMENT + dt.timedelta(hours=2))
        assert [event.step for event in resolved.events] == ["opened", "contacted", "resolved"]
        with store.engine.connect() as connection:
            steps = connection.execute(select(case_events.c.case_id, case_events.c.seq).order_by("case_id", "seq"))
            assert steps.all() == [("c2", 1), ("c2", 2)]


def test_migration_10_keeps_every_case_with_only_the_indexes_it_needs(store_url: str, tmp_path: Path) -> None:
    version_5_store(store_url, tmp_path)
    with ResponseStore.open(store_url, tmp_path) as store:
        assert [case.id for case in store.cases.find(MOMENT)] == ["c1", "c2"]
        with pytest.raises(IntegrityError), store.engine.begin() as connection:  # a response's case is still unique
            connection.execute(cases.insert().values(dict(store_row(connection, "c1"), id="c3")))
        indexes = {index["name"] for index in inspect(store.engine).get_indexes("cases")}
        assert indexes == {"ux_cases_response", "ix_cases_status_due"}
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as connection:
                assert connection.scalar(text("SELECT count(*) FROM pragma_table_list WHERE name = 'cases' AND wr"))
                assert (
                    connection.scalar(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'cases_before%'")) == 0
                )


def test_a_store_that_skipped_migration_6_gets_it_when_opened(store_url: str, tmp_path: Path) -> None:
    """A store recorded 7 and 8 (a branch that had them) but not 6: opening it applies 6, then what follows."""
    version_5_store(store_url, tmp_path)
    engine = create_store_engine(database_url(store_url, tmp_path))
    with engine.begin() as connection:
        for migration in (step for step in MIGRATIONS if step.version in (7, 8)):
            migration.apply(connection)
            connection.execute(
                schema_version.insert().values(version=migration.version, description="", applied_at=MOMENT)
            )
    engine.dispose()
    with ResponseStore.open(store_url, tmp_path) as store:
        assert store.cases.get("c2").events[0] == CaseEvent("opened", "anna", MOMENT, "")
        with store.engine.connect() as connection:
            versions = connection.scalars(select(schema_version.c.version).order_by(schema_version.c.version))
            assert list(versions) == [step.version for step in MIGRATIONS]


def store_row(connection: Connection, case_id: str) -> dict[str, object]:
    return dict(connection.execute(select(cases).where(cases.c.id == case_id)).mappings().one())


def test_an_entry_is_completed_once_per_question_and_never_overwritten(store: ResponseStore) -> None:
    store.add([response("resp-0001", dataclasses.replace(opening(), contact=None))])
    [case] = store.cases.find(MOMENT)
    later = MOMENT + dt.timedelta(hours=2)
    done = store.cases.complete_entry(case.id, {"root_cause": "wait-time"}, "anna", later)
    assert done.status == "open" and (done.events[-1].step, done.events[-1].note) == ("completed", "root_cause")
    with pytest.raises(StepRefused, match="recommend answered already; an answer is never replaced"):
        store.cases.complete_entry(case.id, {"recommend": 10, "prevention": "x"}, "anna", later, resolves=True)
    assert store.cases.answers_of(store.cases.get(case.id)) == {"recommend": 3, "root_cause": "wait-time"}
    with pytest.raises(StepRefused, match="cannot come before its latest"):
        store.cases.complete_entry(case.id, {"prevention": "Two tills"}, "anna", MOMENT, resolves=True)
    closed = store.cases.complete_entry(case.id, {"prevention": "Two tills"}, "anna", later, resolves=True)
    assert closed.status == "resolved" and closed.resolved_at == later
    assert store.get("resp-0001").answers == {"recommend": 3, "root_cause": "wait-time", "prevention": "Two tills"}  # type: ignore[union-attr]
