"""The collector follows the files: an edit that loads is served whole, an old form is checked against its version."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import run
from starlette.testclient import TestClient

from sitegen.collector.app import Collector, create_app
from sitegen.collector.snapshots import ServedSurveys
from sitegen.site import load_site
from sitegen.store import ResponseStore
from sitegen.versions import survey_version

JUNE = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
SURVEY = "surveys/after-visit.yaml"
NEW_QUESTION = """  - id: coffee
    type: rating
    points: 5
    label: {lv: Kafija, en: The coffee}
"""


def edit(project: Path, old: str, new: str) -> None:
    path = project / SURVEY
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {SURVEY}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def remove_visits(project: Path) -> None:
    """The question `visits` (the one before `visited_at`) goes."""
    source = (project / SURVEY).read_text(encoding="utf-8")
    start, end = source.index("  - id: visits"), source.index("  - id: visited_at")
    (project / SURVEY).write_text(source[:start] + source[end:], encoding="utf-8")


def add_question(project: Path) -> None:
    with (project / SURVEY).open("a", encoding="utf-8") as survey:
        survey.write(NEW_QUESTION)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = JUNE

    def __call__(self) -> dt.datetime:
        return self.now


def served_surveys(project: Path, clock: Clock) -> ServedSurveys:
    return ServedSurveys(project, load_site(project), clock)


# ---- the snapshot and the grace rule ----------------------------------------------------------


def test_a_reload_swaps_in_a_new_snapshot_and_leaves_the_one_a_request_holds_as_it_was(minimal_project: Path) -> None:
    served = served_surveys(minimal_project, Clock())
    held = served.snapshot
    add_question(minimal_project)
    assert run(served.reload())
    assert served.snapshot is not held
    assert served.snapshot.surveys["after-visit"].question("coffee") is not None
    assert held.surveys["after-visit"].question("coffee") is None
    assert held.versions["after-visit"] != served.snapshot.versions["after-visit"]


def test_an_edit_that_does_not_load_keeps_the_last_good_snapshot_and_logs_where_it_broke(
    minimal_project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = served_surveys(minimal_project, Clock())
    held = served.snapshot
    edit(minimal_project, "points: 5\n", "points: [5\n")
    with caplog.at_level(logging.ERROR, logger="sitegen.collector"):
        assert not run(served.reload())
    assert served.snapshot is held
    assert f"{SURVEY}:" in caplog.text and "does not load" in caplog.text


def test_a_post_is_checked_against_the_version_its_form_names_while_that_is_in_its_grace(
    minimal_project: Path,
) -> None:
    clock = Clock()
    served = served_surveys(minimal_project, clock)
    old_version = served.snapshot.versions["after-visit"]
    clock.now += dt.timedelta(hours=1)
    add_question(minimal_project)
    run(served.reload())
    snapshot = served.snapshot
    current = snapshot.versions["after-visit"]

    for named in (None, current):
        checked = served.choose_version(snapshot, "after-visit", named)
        assert (checked.version, checked.is_stale) == (current, False)
    clock.now += dt.timedelta(days=7) - dt.timedelta(seconds=1)
    checked = served.choose_version(snapshot, "after-visit", old_version)
    assert (checked.version, checked.is_stale) == (old_version, False)
    assert checked.survey.question("coffee") is None
    clock.now += dt.timedelta(seconds=1)  # seven days after the edit: the grace is over
    checked = served.choose_version(snapshot, "after-visit", old_version)
    assert (checked.version, checked.is_stale) == (current, True)


@pytest.mark.parametrize("named", ["0123456789abcdef", "", ["0123456789abcdef"], 7])
def test_a_version_the_collector_never_served_is_checked_against_the_current_one(
    minimal_project: Path, named: Any
) -> None:
    served = served_surveys(minimal_project, Clock())
    checked = served.choose_version(served.snapshot, "after-visit", named)
    assert (checked.version, checked.is_stale) == (served.snapshot.versions["after-visit"], True)


def test_with_no_grace_a_replaced_version_is_never_taken(minimal_project: Path) -> None:
    served = served_surveys(minimal_project, Clock())
    old_version = served.snapshot.versions["after-visit"]
    (minimal_project / "sitegen.yaml").write_text(
        (minimal_project / "sitegen.yaml").read_text(encoding="utf-8") + "collector: {version_grace_days: 0}\n",
        encoding="utf-8",
    )
    add_question(minimal_project)
    run(served.reload())
    assert served.choose_version(served.snapshot, "after-visit", old_version).is_stale
    assert served.superseded("after-visit", old_version) is None


def test_a_version_restored_by_a_later_edit_is_current_again(minimal_project: Path) -> None:
    clock = Clock()
    served = served_surveys(minimal_project, clock)
    first = served.snapshot.versions["after-visit"]
    original = (minimal_project / SURVEY).read_text(encoding="utf-8")
    add_question(minimal_project)
    run(served.reload())
    second = served.snapshot.versions["after-visit"]
    clock.now += dt.timedelta(days=1)
    (minimal_project / SURVEY).write_text(original, encoding="utf-8")
    run(served.reload())
    assert served.snapshot.versions["after-visit"] == first
    assert served.superseded("after-visit", first) is None
    replaced = served.superseded("after-visit", second)
    assert replaced is not None and replaced.at == clock.now


def test_the_version_a_page_states_is_the_version_its_rows_are_stored_with(minimal_project: Path) -> None:
    survey = load_site(minimal_project).surveys[0].model
    served = served_surveys(minimal_project, Clock())
    assert served.snapshot.versions["after-visit"] == survey_version(survey)


# ---- a running collector -----------------------------------------------------------------------


def await_condition(condition: Callable[[], bool], timeout: float = 20) -> bool:
    """Whether `condition` came true within `timeout` seconds (checked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def post_form(client: TestClient, pairs: list[tuple[str, str]]) -> Any:
    return client.post(
        "/s/after-visit", content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def stored_versions(project: Path) -> dict[str, str]:
    store = ResponseStore.open(f"sqlite:///{project / 'responses.sqlite3'}", project)
    try:
        return {row.id: row.survey_version for row in store.responses()}
    finally:
        store.close()


def collector_of(client: TestClient) -> Collector:
    collector: Collector = client.app.app.state.collector  # type: ignore[attr-defined]  # inside SecurityHeaders
    return collector


def current_version(client: TestClient) -> str:
    return str(client.get("/healthz").json()["surveys"]["after-visit"])


def test_a_question_added_to_the_file_of_a_running_collector_is_taken_without_a_restart(minimal_project: Path) -> None:
    app = create_app(minimal_project, f"sqlite:///{minimal_project / 'responses.sqlite3'}")
    with TestClient(app, follow_redirects=False) as client:
        before = current_version(client)
        refused = post_form(client, [("recommend", "9"), ("coffee", "5"), ("lang", "en")])
        assert refused.status_code == 422
        add_question(minimal_project)
        assert await_condition(lambda: current_version(client) != before), "the collector did not see the edit"
        after = current_version(client)
        form = post_form(client, [("recommend", "9"), ("coffee", "5"), ("rid", "added-0001"), ("lang", "en")])
        assert form.status_code == 303
        body = {"rid": "added-0002", "v": after, "answers": {"recommend": 9, "coffee": 4}}
        assert client.post("/s/after-visit", json=body).status_code == 201
    assert stored_versions(minimal_project) == {"added-0001": after, "added-0002": after}


def test_a_form_from_before_an_edit_is_stored_with_its_version_within_the_grace_and_told_the_survey_changed_after(
    minimal_project: Path,
) -> None:
    clock = Clock()
    app = create_app(minimal_project, f"sqlite:///{minimal_project / 'responses.sqlite3'}", clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        old = current_version(client)
        remove_visits(minimal_project)
        assert client.portal.call(collector_of(client).surveys.reload)  # type: ignore[union-attr]
        new = current_version(client)
        old_form = [("recommend", "9"), ("channel", "friends"), ("visits", "3"), ("v", old), ("lang", "lv")]

        kept = post_form(client, [*old_form, ("rid", "oldform-0001")])
        assert kept.status_code == 303
        json_body = {"rid": "oldform-0002", "v": old, "answers": {"recommend": 9, "visits": 2}}
        assert client.post("/s/after-visit", json=json_body).status_code == 201
        fitting = post_form(client, [("recommend", "8"), ("v", old), ("rid", "oldform-0003"), ("lang", "lv")])
        assert fitting.status_code == 303

        clock.now += dt.timedelta(days=8)
        late = post_form(client, [*old_form, ("rid", "oldform-0004")])
        assert late.status_code == 422
        assert "Šī aptauja ir mainījusies" in late.text and 'href="/lv/surveys/after-visit/"' in late.text
        late_json = client.post("/s/after-visit", json={**json_body, "rid": "oldform-0005"})
        assert late_json.status_code == 422 and "changed" in late_json.json()["detail"]
        still_fitting = post_form(client, [("recommend", "8"), ("v", old), ("rid", "oldform-0006"), ("lang", "lv")])
        assert still_fitting.status_code == 303
    assert stored_versions(minimal_project) == {
        "oldform-0001": old,
        "oldform-0002": old,
        "oldform-0003": old,
        "oldform-0006": new,
    }


def test_a_form_that_states_its_version_twice_is_refused(minimal_project: Path) -> None:
    app = create_app(minimal_project, f"sqlite:///{minimal_project / 'responses.sqlite3'}")
    with TestClient(app, follow_redirects=False) as client:
        version = current_version(client)
        answer = post_form(client, [("recommend", "9"), ("v", version), ("v", version), ("lang", "en")])
    assert answer.status_code == 422


def test_after_a_restart_an_old_form_is_still_checked_against_its_version_from_the_store(minimal_project: Path) -> None:
    """The store keeps each version's definition: a collector started after an edit still knows the old questions,
    replaced when the next version was first seen, and stores the post under the old version within the grace."""
    clock = Clock()
    with ResponseStore.open("sqlite://", minimal_project) as store:
        first = ServedSurveys(minimal_project, load_site(minimal_project), clock, keeper=store)
        old_version = first.snapshot.versions["after-visit"]
        clock.now += dt.timedelta(days=2)
        add_question(minimal_project)
        restarted = ServedSurveys(minimal_project, load_site(minimal_project), clock, keeper=store)
        assert store.versions("after-visit")[0].version == old_version
        clock.now += dt.timedelta(days=6)
        checked = restarted.choose_version(restarted.snapshot, "after-visit", old_version)
        assert (checked.version, checked.is_stale) == (old_version, False)
        assert checked.survey.question("coffee") is None
        clock.now += dt.timedelta(days=1)  # seven days after the new version was first seen
        assert restarted.choose_version(restarted.snapshot, "after-visit", old_version).is_stale
