"""`sitegen cases import`: steps recorded elsewhere, taken on the cases their responses opened, once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sitegen.cases.model import CaseOpening
from sitegen.cases.steps_file import import_steps
from sitegen.store import ResponseStore, StoredResponse

OPENED = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def with_case(store: ResponseStore, response_id: str = "resp-0001") -> None:
    opening = CaseOpening("jelgava", "lv", {}, "guest@example.com", OPENED, OPENED + dt.timedelta(days=2))
    store.add([StoredResponse(response_id, "complaint-log", "v", OPENED, "lv", {}, {}, opens_case=opening)])


def steps_file(tmp_path: Path, *lines: Any) -> Path:
    path = tmp_path / "steps.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


CONTACTED = {"response": "resp-0001", "step": "contacted", "who": "Marta", "at": "2026-05-04T10:00:00Z"}
RESOLVED = {**CONTACTED, "step": "resolved", "at": "2026-05-04T15:00:00+03:00", "note": "Root cause: grinder"}


def test_steps_are_taken_in_order_and_importing_again_changes_nothing(store: ResponseStore, tmp_path: Path) -> None:
    with_case(store)
    path = steps_file(tmp_path, CONTACTED, RESOLVED)
    first = import_steps(store.cases, path)
    again = import_steps(store.cases, path)
    assert (first.taken, first.skipped, first.problems) == (2, 0, [])
    assert (again.taken, again.skipped, again.problems) == (0, 2, [])
    case = store.cases.for_response("resp-0001")
    assert case is not None and case.status == "resolved"
    assert case.resolved_at == dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)
    assert [(event.step, event.who, event.note) for event in case.events] == [
        ("opened", "collector", ""),
        ("contacted", "Marta", ""),
        ("resolved", "Marta", "Root cause: grinder"),
    ]


def test_no_step_is_taken_while_a_line_is_invalid(store: ResponseStore, tmp_path: Path) -> None:
    with_case(store)
    path = steps_file(tmp_path, CONTACTED, {**RESOLVED, "step": "opened"}, {**RESOLVED, "at": "2026-05-04T15:00"})
    report = import_steps(store.cases, path)
    assert report.taken == 0
    assert report.problems == [
        f"{path}:2: step must be one of contacted, resolved, dismissed, noted (got 'opened')",
        f"{path}:3: 'at' needs a time zone, such as 2026-05-02T09:00:00Z (got '2026-05-04T15:00')",
    ]
    case = store.cases.for_response("resp-0001")
    assert case is not None and case.status == "open"


def test_a_step_the_rules_refuse_stops_the_import_at_its_line(store: ResponseStore, tmp_path: Path) -> None:
    with_case(store)
    report = import_steps(store.cases, steps_file(tmp_path, RESOLVED))
    assert report.taken == 0 and len(report.problems) == 1
    assert report.problems[0].endswith(":1: case " + report.problems[0].split("case ")[1])
    assert "can take one of contacted, dismissed, noted, completed, not 'resolved'" in report.problems[0]


def test_a_response_without_a_case_is_named(store: ResponseStore, tmp_path: Path) -> None:
    path = steps_file(tmp_path, CONTACTED)
    assert import_steps(store.cases, path).problems == [f"{path}:1: response 'resp-0001' opened no case"]
