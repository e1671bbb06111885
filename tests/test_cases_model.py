"""The rules of a case: the steps that may follow each other, due times in working days, overdue cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sitegen.cases.model import Case, CaseEvent, StepRefused, due_at
from sitegen.models.survey import FollowUp

RIGA = ZoneInfo("Europe/Riga")
OPENED = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)  # a Friday, 15:00 in Riga


def a_case(status: str = "open", due: dt.datetime = OPENED + dt.timedelta(hours=48)) -> Case:
    return Case("c1", "after-visit", "r1", "riga-centre", "lv", {}, "a@example.com", OPENED, due, status)  # type: ignore[arg-type]


def due(text: str) -> dt.datetime:
    return due_at(FollowUp.model_validate({"due": text}).due, OPENED, RIGA)


def test_hours_and_days_are_elapsed_time() -> None:
    assert due("48 hours") == OPENED + dt.timedelta(hours=48)
    assert due("3 days") == due("72 hours")


def test_working_days_skip_the_weekend_and_keep_the_local_time() -> None:
    assert due("2 working days") == dt.datetime(2026, 5, 5, 12, 0, tzinfo=dt.UTC)  # Tuesday 15:00 in Riga
    assert due("1 working day") == dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def test_an_answer_on_a_saturday_counts_its_working_days_from_monday() -> None:
    saturday = dt.datetime(2026, 5, 2, 9, 0, tzinfo=dt.UTC)
    assert due_at(FollowUp.model_validate({"due": "1 working day"}).due, saturday, RIGA) == dt.datetime(
        2026, 5, 5, 9, 0, tzinfo=dt.UTC
    )


def test_working_days_keep_the_wall_clock_across_a_change_of_clocks() -> None:
    before_dst = dt.datetime(2026, 3, 27, 10, 0, tzinfo=dt.UTC)  # Friday 12:00 EET; Riga moves to EEST on the 29th
    assert due_at(FollowUp.model_validate({"due": "1 working day"}).due, before_dst, RIGA) == dt.datetime(
        2026, 3, 30, 9, 0, tzinfo=dt.UTC
    )


@pytest.mark.parametrize("text", ["soon", "0 days", "2 weeks", "-1 hours", "2 working"])
def test_an_unreadable_due_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a time such as"):
        FollowUp.model_validate({"due": text})


@pytest.mark.parametrize(
    ("status", "step", "after"),
    [
        ("open", "contacted", "contacted"),
        ("open", "dismissed", "dismissed"),
        ("contacted", "resolved", "resolved"),
        ("contacted", "dismissed", "dismissed"),
    ],
)
def test_a_case_moves_from_opened_to_contacted_to_resolved_or_is_dismissed(status: str, step: str, after: str) -> None:
    assert a_case(status).check_step(step) == after  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("open", "resolved"),
        ("open", "opened"),
        ("contacted", "contacted"),
        ("resolved", "dismissed"),
        ("dismissed", "contacted"),
    ],
)
def test_a_step_out_of_order_is_refused(status: str, step: str) -> None:
    with pytest.raises(StepRefused, match=f"case c1 is {status}"):
        a_case(status).check_step(step)  # type: ignore[arg-type]


def test_only_a_case_still_waiting_after_its_due_time_is_overdue() -> None:
    later = OPENED + dt.timedelta(hours=49)
    assert a_case("open").is_overdue(later) and a_case("contacted").is_overdue(later)
    assert not a_case("open").is_overdue(OPENED + dt.timedelta(hours=47))
    assert not a_case("resolved").is_overdue(later) and not a_case("dismissed").is_overdue(later)


def test_a_case_nobody_is_to_be_answered_at_may_be_resolved_without_contact() -> None:
    logged = dataclasses.replace(a_case("open"), contact=None)
    assert logged.check_step("resolved") == "resolved" and "resolved" in logged.next_steps
    assert "resolved" not in a_case("open").next_steps


@pytest.mark.parametrize("step", ["noted", "completed"])
def test_a_note_or_a_completed_entry_keeps_the_status(step: str) -> None:
    assert a_case("open").check_step(step) == "open"  # type: ignore[arg-type]
    assert a_case("contacted").check_step(step) == "contacted"  # type: ignore[arg-type]


def test_a_step_cannot_come_before_the_latest_one() -> None:
    case = dataclasses.replace(
        a_case("contacted"), events=(CaseEvent("contacted", "anna", OPENED + dt.timedelta(hours=2)),)
    )
    assert case.last_step_at == OPENED + dt.timedelta(hours=2)
    with pytest.raises(StepRefused, match="cannot come before its latest"):
        case.check_step("resolved", OPENED + dt.timedelta(hours=1))
    assert case.check_step("resolved", OPENED + dt.timedelta(hours=2)) == "resolved"
    with pytest.raises(StepRefused, match="cannot come before its latest"):
        a_case("open").check_step("contacted", OPENED - dt.timedelta(minutes=1))  # before it was opened
