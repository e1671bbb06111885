"""`sitegen refresh`: the files that show figures are written again when answers came, as a build makes them."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from test_collector_process import await_condition, configure, free_port, is_healthy, stop

from sitegen.build import build_project
from sitegen.cli import main
from sitegen.collector import refresher
from sitegen.refresh import TEMPORARY_PREFIX, Refresher, RefreshError, parse_interval, replace_changed
from sitegen.render.pages import computed_at
from sitegen.scorecards import LatestAnswer
from sitegen.store import ResponseStore, StoredResponse

AS_OF = dt.date(2026, 12, 1)
SCORECARD = "output/intranet/{lang}/scorecards/customer-experience/index.html"
SCORECARD_JSON = "output/intranet/scorecards/customer-experience/scorecard.json"
STANDARD = "output/intranet/en/standards/greeting/index.html"


def add_answers(project: Path, first: int, count: int, moment: dt.datetime) -> None:
    """`count` answers to after-visit, numbered from `first`, all at `moment`."""
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        store.add([answer(number, moment) for number in range(first, first + count)])


def output_tree(project: Path) -> dict[str, bytes]:
    output = project / "output"
    return {path.relative_to(output).as_posix(): path.read_bytes() for path in output.rglob("*") if path.is_file()}


def modification_times(project: Path) -> dict[str, int]:
    output = project / "output"
    return {path.relative_to(output).as_posix(): path.stat().st_mtime_ns for path in output.rglob("*")}


@pytest.fixture
def project(minimal_project: Path) -> Path:
    """The minimal project with 20 answers of 20 November 2026, built as of 1 December (November complete)."""
    add_answers(minimal_project, 0, 20, dt.datetime(2026, 11, 20, 12, 34, tzinfo=dt.UTC))
    build_project(minimal_project, as_of=AS_OF)
    return minimal_project


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", dt.timedelta(seconds=30)), ("10m", dt.timedelta(minutes=10)), ("1h", dt.timedelta(hours=1))],
)
def test_intervals_read_seconds_minutes_and_hours(text: str, expected: dt.timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["10", "0m", "5 min", "1d", "-1m", "1.5h", ""])
def test_an_interval_that_does_not_read_is_refused_with_the_forms_that_do(text: str) -> None:
    with pytest.raises(RefreshError, match=r"is not an interval: write a whole number and s, m or h, such as 30s"):
        parse_interval(text)


def test_the_command_line_refuses_a_bad_interval_by_its_option(minimal_project: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(minimal_project), "collect", "--refresh", "ten minutes"])
    assert result.exit_code == 2
    assert "Invalid value for '--refresh': 'ten minutes' is not an interval" in result.output


def test_the_scorecard_page_says_the_latest_answer_its_figures_count(project: Path) -> None:
    english = (project / SCORECARD.format(lang="en")).read_text(encoding="utf-8")
    latvian = (project / SCORECARD.format(lang="lv")).read_text(encoding="utf-8")
    assert "Figures computed from the answers up to Nov 20, 2026, 2:34\u202fPM." in english  # Riga time
    assert "Rādītāji aprēķināti no visām atbildēm līdz 2026. gada 20. nov. 14:34 ieskaitot." in latvian


def test_an_anonymous_surveys_latest_answer_is_told_by_its_day_alone() -> None:
    midnight = dt.datetime(2026, 11, 19, 22, tzinfo=dt.UTC)  # the kept moment: local midnight of 20 November
    assert computed_at(LatestAnswer(midnight, has_time=False), "ru", "Europe/Riga") == "20 нояб. 2026\u202fг."
    assert computed_at(LatestAnswer(midnight, has_time=True), "ru", "Europe/Riga") == "20 нояб. 2026\u202fг., 00:00"


def test_a_refresh_after_new_answers_writes_what_a_fresh_build_writes(project: Path) -> None:
    before = output_tree(project)
    add_answers(project, 20, 15, dt.datetime(2026, 11, 25, 9, 5, tzinfo=dt.UTC))

    lines = Refresher(project).run_once(AS_OF)

    refreshed = output_tree(project)
    changed = sorted(path for path in refreshed if refreshed[path] != before.get(path))
    assert changed == [
        "intranet/en/scorecards/customer-experience/index.html",
        "intranet/en/standards/greeting/index.html",
        "intranet/lv/scorecards/customer-experience/index.html",
        "intranet/lv/standards/greeting/index.html",
        "intranet/scorecards/customer-experience/nps.csv",
        "intranet/scorecards/customer-experience/scorecard.json",
    ]
    assert lines == [
        f"Figures as of 2026-12-01 computed in {lines[0].split(' in ')[1].split(' s;')[0]} s; 6 files replaced."
    ]
    assert json.loads(refreshed["intranet/scorecards/customer-experience/scorecard.json"])["generated_from"] == {
        "responses": 35
    }
    assert (
        "up to Nov 25, 2026, 11:05\u202fAM."
        in refreshed["intranet/en/scorecards/customer-experience/index.html"].decode()
    )
    build_project(project, as_of=AS_OF)
    assert output_tree(project) == refreshed


def test_a_refresh_without_new_answers_rewrites_nothing(project: Path) -> None:
    times = modification_times(project)
    refresher = Refresher(project)

    first = refresher.run_once(AS_OF)  # the figures computed once: the same bytes as the build's
    second = refresher.run_once(AS_OF)  # the watermark has not moved: nothing computed at all

    assert first == [first[0]] and first[0].endswith("; 0 files replaced.")
    assert second == []
    assert modification_times(project) == times


def test_a_new_day_moves_the_watermark_and_rolls_the_periods(project: Path) -> None:
    refresher = Refresher(project)
    refresher.run_once(AS_OF)
    lines = refresher.run_once(dt.date(2027, 1, 1))
    document = json.loads((project / SCORECARD_JSON).read_bytes())
    assert lines[0].startswith("Figures as of 2027-01-01") and document["latest_complete"] == "2026-12"


def test_a_refresh_before_any_build_writes_nothing_and_says_so(minimal_project: Path) -> None:
    lines = Refresher(minimal_project).run_once(AS_OF)
    assert lines == [
        f"{minimal_project / 'output'} has not been built yet: run 'sitegen build' first; figures not refreshed"
    ]
    assert not (minimal_project / "output").exists()


def test_a_project_with_errors_is_reported_and_its_figures_left_alone(project: Path) -> None:
    times = modification_times(project)
    (project / "content/scorecards/customer-experience.yaml").write_text("id: [\n", encoding="utf-8")
    lines = Refresher(project).run_once(AS_OF)
    assert lines[-1] == "The project has errors: figures not refreshed."
    assert any("customer-experience.yaml:" in line for line in lines[:-1])
    assert modification_times(project) == times


def test_a_replaced_file_is_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/page.html").write_bytes(b"old")
    written = replace_changed(tmp_path, {"a/page.html": b"new", "a/same.html": b"x", "b/fresh.json": b"{}"})
    assert written == ["a/page.html", "a/same.html", "b/fresh.json"]
    assert replace_changed(tmp_path, {"a/page.html": b"new"}) == []
    assert (tmp_path / "a/page.html").read_bytes() == b"new"
    assert (tmp_path / "a/page.html").stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.rglob(f"{TEMPORARY_PREFIX}*"))


def test_the_refresh_command_says_when_the_figures_are_current(project: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(project), "refresh", "--as-of", "2026-12-01"])
    assert result.exit_code == 0, result.output
    assert "0 files replaced." in result.output


# ---- beside a real collector ------------------------------------------------------------------------------------


def test_a_refresh_picks_up_answers_while_eight_threads_post(minimal_project: Path) -> None:
    """Nothing acknowledged is lost, the figures catch up with every answer, and a reader never sees half a file."""
    project = configure(minimal_project)
    build_project(project)
    port = free_port()
    command = [sys.executable, "-m", "sitegen", "-C", str(project), "collect", "--port", str(port), "--refresh", "1s"]
    collector = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop_sending, stop_reading = threading.Event(), threading.Event()
    seen: set[int] = set()
    broken: list[str] = []

    def send(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            number = 0
            while not stop_sending.is_set():
                rid = f"refresh-{worker:02d}-{number:06d}"
                answer = client.post("/s/after-visit", json={"rid": rid, "answers": {"recommend": number % 11}})
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(rid)
                number += 1

    def read() -> None:
        """What nginx or the collector's intranet would serve: every read is a whole file, old or new."""
        page = project / SCORECARD.format(lang="en")
        while not stop_reading.is_set():
            try:
                counted = json.loads((project / SCORECARD_JSON).read_bytes())["generated_from"]["responses"]
                with lock:
                    seen.add(counted)
            except (ValueError, KeyError) as problem:
                broken.append(f"scorecard.json: {problem}")
            if not page.read_bytes().rstrip().endswith(b"</html>"):
                broken.append("index.html cut short")

    def figures_seen() -> set[int]:
        with lock:
            return set(seen)

    try:
        assert await_condition(lambda: is_healthy(port), timeout=30), "the collector did not start"
        threads = [threading.Thread(target=send, args=(worker,)) for worker in range(8)]
        threads.append(threading.Thread(target=read))
        for thread in threads:
            thread.start()
        # The figures move while the posts go on: the refresher works beside them.
        assert await_condition(lambda: len(figures_seen() - {0}) >= 2, timeout=60), f"seen: {figures_seen()}"
        stop_sending.set()
        for thread in threads[:-1]:
            thread.join(timeout=30)
        # Once the posts stop, the next refresh counts every acknowledged answer.
        assert await_condition(lambda: len(acknowledged) in figures_seen(), timeout=60), (
            max(figures_seen()),
            len(acknowledged),
        )
    finally:
        stop_sending.set()
        stop_reading.set()
        log = stop(collector)
    assert not broken, broken[:5]
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        stored = {response.id for response in store.responses("after-visit")}
    assert stored == set(acknowledged), f"{len(set(acknowledged) - stored)} acknowledged answers lost"
    assert "Figures as of" in log and "Traceback" not in log, log
    refreshed = output_tree(project)
    build_project(project)
    assert output_tree(project) == refreshed


def child_processes() -> set[int]:
    """The pids of this process's children (any thread's)."""
    return {
        int(pid) for path in Path(f"/proc/{os.getpid()}/task").glob("*/children") for pid in path.read_text().split()
    }


def test_the_collectors_refresher_is_started_again_when_it_dies_and_stopped_with_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresher, "RESTART_SECONDS", 0.1)
    before = child_processes()
    with refresher.refreshing(project, dt.timedelta(seconds=1), None):
        assert await_condition(lambda: len(child_processes() - before) == 1, timeout=10)
        (first,) = child_processes() - before
        os.kill(first, signal.SIGKILL)
        assert await_condition(lambda: len(child_processes() - before - {first}) == 1, timeout=10)
    assert child_processes() <= before


def test_no_refresher_runs_without_an_interval(project: Path) -> None:
    before = child_processes()
    with refresher.refreshing(project, None, None):
        assert child_processes() <= before


def test_an_answer_stamped_earlier_by_a_second_collector_is_still_picked_up(
    minimal_project: Path, store_url: str
) -> None:
    """Two collectors on one store, one clock behind: the latest moment does not move, the count does."""
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"store: {store_url}\n", encoding="utf-8")
    first, second = ResponseStore.open(store_url, minimal_project), ResponseStore.open(store_url, minimal_project)
    try:
        first.add([answer(number, dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)) for number in range(10)])
        build_project(minimal_project, as_of=AS_OF)
        refresher = Refresher(minimal_project)
        assert refresher.run_once(AS_OF)[0].endswith("; 0 files replaced.")
        second.add([answer(10, dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))])

        lines = refresher.run_once(AS_OF)
    finally:
        first.close()
        second.close()
    assert lines and not lines[0].endswith("; 0 files replaced.")
    assert json.loads((minimal_project / SCORECARD_JSON).read_bytes())["generated_from"] == {"responses": 11}


def answer(number: int, moment: dt.datetime) -> StoredResponse:
    return StoredResponse(
        f"visit-{number:05d}",
        "after-visit",
        "v",
        moment,
        "en",
        {"location": "riga-centre" if number % 3 else "jelgava"},
        {"recommend": number % 11},
    )


def test_a_past_day_is_one_refresh_not_a_running_one(project: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(project), "refresh", "--every", "1m", "--as-of", "2026-12-01"])
    assert result.exit_code == 1
    assert "--as-of makes one refresh of a past day; it does not go with --every" in result.output


def test_a_refresh_purges_what_is_past_retention_before_it_computes(project: Path) -> None:
    config = project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "retention: {answers: 1 year}\n", encoding="utf-8")
    add_answers(project, 100, 3, dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC))  # past a year on 1 December 2026
    lines = Refresher(project).run_once(AS_OF)
    assert lines[0].startswith("Purged: ") and "3" in lines[0] and lines[1].startswith("Figures as of 2026-12-01")
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        assert store.get("visit-00100") is None and store.get("visit-00001") is not None
    assert Refresher(project).run_once(AS_OF)[0].startswith("Figures as of")  # nothing more to purge: no line
