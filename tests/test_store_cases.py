"""Cases in the store, on SQLite and PostgreSQL: opened with their response once, listed overdue first, stepped."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sitegen.cases.model import CaseOpening, StepRefused
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.cases import UnknownCase

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
