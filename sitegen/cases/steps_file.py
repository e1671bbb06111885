"""Read case steps from a JSON Lines file and take them: histories kept elsewhere, and the example's sample.

One line per step, in the order taken:
`{"response": "<response id>", "step": "contacted", "who": "anna", "at": "2026-05-02T09:00:00Z", "note": "..."}`.
The case is the one the response opened. Every line is checked before any step is taken; a step the case
took already (the same step at the same moment) is skipped, so importing a file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from sitegen.cases.model import Step, StepRefused

if TYPE_CHECKING:
    from sitegen.store.cases import CaseStore

LATER_STEPS = tuple(step for step in get_args(Step) if step not in ("opened", "completed"))
"""What a line may record: a case is opened by its response, and an entry completed with its answers, never by
a line."""


@dataclass(frozen=True)
class StepLine:
    """One checked line: the step to take on the case of `response`."""

    line: int
    response: str
    step: Step
    who: str
    at: dt.datetime
    note: str


@dataclass
class StepsReport:
    """What an import of steps did, or why it did nothing."""

    taken: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def import_steps(cases: CaseStore, path: Path) -> StepsReport:
    """Take every step of the file at `path`, in order; none while a line is invalid (see the module docstring)."""
    report = StepsReport()
    lines = list(_read(path, report.problems))
    if report.problems:
        return report
    for line in lines:
        case = cases.for_response(line.response)
        if case is None:
            report.problems.append(f"{path}:{line.line}: response '{line.response}' opened no case")
            return report
        if any(event.step == line.step and event.at == line.at for event in case.events):
            report.skipped += 1
            continue
        try:
            cases.add_step(case.id, line.step, line.who, line.note, line.at)
        except StepRefused as refused:
            report.problems.append(f"{path}:{line.line}: {refused}")
            return report
        report.taken += 1
    return report


def _read(path: Path, problems: list[str]) -> list[StepLine]:
    found = []
    with path.open(encoding="utf-8") as text:
        for number, raw in enumerate(text, start=1):
            if not raw.strip():
                continue
            try:
                found.append(_step_line(number, json.loads(raw)))
            except (ValueError, TypeError, KeyError) as problem:
                problems.append(f"{path}:{number}: {problem}")
    return found


def _step_line(number: int, record: Any) -> StepLine:
    """One line as a step; ValueError (or KeyError for a missing key) saying what is wrong."""
    if not isinstance(record, dict):
        raise ValueError('expected one JSON object per line: {"response": ..., "step": ..., "who": ..., "at": ...}')
    if record["step"] not in LATER_STEPS:
        raise ValueError(f"step must be one of {', '.join(LATER_STEPS)} (got {record['step']!r})")
    at = dt.datetime.fromisoformat(record["at"])
    if at.tzinfo is None:
        raise ValueError(f"'at' needs a time zone, such as 2026-05-02T09:00:00Z (got {record['at']!r})")
    texts = {key: record.get(key, "") for key in ("response", "who", "note")}
    if not all(isinstance(value, str) for value in texts.values()) or not texts["response"] or not texts["who"]:
        raise ValueError("'response' and 'who' are required texts; 'note' is a text")
    return StepLine(number, texts["response"], record["step"], texts["who"], at.astimezone(dt.UTC), texts["note"])
