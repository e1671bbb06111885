"""What a case is and the rules of its history: which step may follow which, when it is due, when overdue.

Pure values and functions: the store (`sitegen.store.cases`) keeps cases, the
collector opens them (`sitegen.cases.opening`), and both ask these rules.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from sitegen.models.survey import Due

Status = Literal["open", "contacted", "resolved", "dismissed"]
Step = Literal["opened", "contacted", "resolved", "dismissed", "noted", "completed"]

STATUS_AFTER: Mapping[Step, Status] = {
    "opened": "open",
    "contacted": "contacted",
    "resolved": "resolved",
    "dismissed": "dismissed",
}
"""The status a case has once a step is taken; a step not named here (a note, an entry completed) keeps it."""
NEXT_STEPS: Mapping[Status, tuple[Step, ...]] = {
    "open": ("contacted", "dismissed", "noted", "completed"),
    "contacted": ("resolved", "dismissed", "noted", "completed"),
    "resolved": (),
    "dismissed": (),
}
"""opened -> contacted -> resolved, or dismissed before it is resolved; notes and a completed entry while it is open;
a closed case takes no more steps."""
WITHOUT_CONTACT: Mapping[Status, tuple[Step, ...]] = {**NEXT_STEPS, "open": (*NEXT_STEPS["open"], "resolved")}
"""A case nobody is to be answered at (a complaint entry staff logged) may be resolved without being contacted."""
OPEN_STATUSES: tuple[Status, ...] = ("open", "contacted")
"""Statuses of a case still waiting for staff: the inbox's, and the only ones that can be overdue."""


class StepRefused(ValueError):
    """A step the case's status does not allow (resolving a case never contacted, anything after it is closed)."""


@dataclass(frozen=True)
class CaseEvent:
    """One step of a case's history: what was done, by whom, when, and a note (what was said, found or changed)."""

    step: Step
    who: str
    at: dt.datetime
    note: str = ""


@dataclass(frozen=True)
class CaseOpening:
    """A case to open with a response, in its transaction: what the answer said, whom to answer, by when.

    `summary` holds the answer's score, comment, location and language (and the consent version agreed to).
    """

    location: str | None
    lang: str
    summary: Mapping[str, Any]
    contact: str | None
    opened_at: dt.datetime
    due_at: dt.datetime
    who: str = "collector"
    is_alerted: bool = False
    """An alert rule listens for this survey's cases (`alerts:` in sitegen.yaml): only then the outbox hears of it."""


@dataclass(frozen=True)
class Case:
    """A case as kept: the answer it came from, its contact, its times, status and history (oldest step first)."""

    id: str
    survey_id: str
    response_id: str
    location: str | None
    lang: str
    summary: Mapping[str, Any]
    contact: str | None
    opened_at: dt.datetime
    due_at: dt.datetime
    status: Status
    resolved_at: dt.datetime | None = None
    events: tuple[CaseEvent, ...] = field(default_factory=tuple)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: dt.datetime) -> bool:
        """Still waiting for staff after its due time."""
        return self.is_open and now > self.due_at

    @property
    def next_steps(self) -> tuple[Step, ...]:
        """The steps the case's status allows now: a case with a contact is answered before it is resolved."""
        return (NEXT_STEPS if self.contact else WITHOUT_CONTACT)[self.status]

    @property
    def last_step_at(self) -> dt.datetime:
        """When the latest step was taken (the opening if no history is loaded)."""
        return max((event.at for event in self.events), default=self.opened_at)

    def check_step(self, step: Step, at: dt.datetime | None = None) -> Status:
        """The status after `step` taken `at`; StepRefused if the status does not allow it, or if `at` comes
        before the case's latest step (a complaint resolved before it was received)."""
        allowed = self.next_steps
        if step not in allowed:
            after = f"one of {', '.join(allowed)}" if allowed else "no step: it is closed"
            raise StepRefused(f"case {self.id} is {self.status}: it can take {after}, not '{step}'")
        if at is not None and at < self.last_step_at:
            raise StepRefused(
                f"case {self.id}: a step at {at.isoformat()} cannot come before its latest, at "
                f"{self.last_step_at.isoformat()}"
            )
        return STATUS_AFTER.get(step, self.status)


def due_at(due: Due, opened_at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """When a case opened at `opened_at` is due: hours and days are elapsed time, working days skip weekends.

    Working days are counted on the local calendar of `zone` with numpy's business-day calendar (Monday to
    Friday, `numpy.busday_offset`): the local day rolls forward to a working day, moves `amount` working days on,
    and keeps its wall-clock time, so Friday 15:00 plus 2 working days is Tuesday 15:00. Holidays are not
    skipped yet: a `holidays:` list in sitegen.yaml would be passed to busday_offset's `holidays`.
    """
    if due.unit == "hours":
        return opened_at + dt.timedelta(hours=due.amount)
    if due.unit == "days":
        return opened_at + dt.timedelta(days=due.amount)
    local = opened_at.astimezone(zone)
    wall = dt.datetime.combine(working_days_after(local.date(), due.amount), local.time().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(dt.UTC)


@functools.lru_cache(maxsize=256)
def working_days_after(day: dt.date, amount: int) -> dt.date:
    """`day` rolled forward to a working day, then `amount` working days on (`numpy.busday_offset`).

    Cached: the collector asks it for every case it opens, and all of a day's cases ask the same question; numpy's
    conversions cost more than the rest of opening a case.
    """
    return np.busday_offset(np.datetime64(day, "D"), amount, roll="forward").astype(dt.date)  # type: ignore[no-any-return]
