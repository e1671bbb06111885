"""The real `sitegen collect` process: killed mid-stream it loses nothing it acknowledged; a browser posts to it."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import copy_example_project

from sitegen.build import build_project
from sitegen.store import ResponseStore


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_collector(project: Path, port: int) -> subprocess.Popen[bytes]:
    """`sitegen collect` in its own process group, once /healthz answers."""
    command = [sys.executable, "-m", "sitegen", "-C", str(project), "collect", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the collector did not start: {process.stdout.read().decode() if process.stdout else ''}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


@pytest.fixture
def project(minimal_project: Path) -> Path:
    config = minimal_project / "sitegen.yaml"
    limits = "collector: {rate_limit: {per_hour: 10000000, burst: 100000}}\n"  # all senders share 127.0.0.1
    config.write_text(
        config.read_text(encoding="utf-8") + "store: sqlite:///data/responses.sqlite3\n" + limits, encoding="utf-8"
    )
    return minimal_project


def test_a_collector_killed_mid_stream_keeps_every_acknowledged_submission(project: Path) -> None:
    port = free_port()
    collector = start_collector(project, port)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop_sending = threading.Event()

    def send(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for number in range(100_000):
                if stop_sending.is_set():
                    return
                rid = f"kill-{worker:02d}-{number:06d}"
                try:
                    answer = client.post("/s/after-visit", json={"rid": rid, "answers": {"recommend": number % 11}})
                except httpx.HTTPError:
                    return  # the server is gone: this one was never acknowledged
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(rid)

    senders = [threading.Thread(target=send, args=(worker,)) for worker in range(8)]
    for sender in senders:
        sender.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop(collector, signal.SIGKILL)
    stop_sending.set()
    for sender in senders:
        sender.join(timeout=30)

    assert len(acknowledged) >= 300
    database = project / "data/responses.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = ResponseStore.open("sqlite:///data/responses.sqlite3", project)
    try:
        stored = {response.id for response in store.responses("after-visit")}
    finally:
        store.close()
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged submissions were lost"


def test_ctrl_c_stops_the_collector_cleanly_and_its_log_names_no_respondent(project: Path) -> None:
    port = free_port()
    collector = start_collector(project, port)
    answer = httpx.post(
        f"http://127.0.0.1:{port}/s/after-visit", json={"rid": "log-check-0001", "answers": {"recommend": 9}}
    )
    stop(collector, signal.SIGINT)
    log = collector.stdout.read().decode() if collector.stdout else ""
    assert answer.status_code == 201
    assert collector.returncode == 0, log
    assert "Traceback" not in log and "Collector stopped." in log
    assert "127.0.0.1:" in log  # where it listens, said once at start
    assert "POST" not in log and log.count("127.0.0.1:") == 1, log  # no access log: no respondent's address


@pytest.fixture
def live_site(tmp_path: Path, serve_directory) -> Iterator[tuple[str, Path, int]]:  # type: ignore[no-untyped-def]
    """The example site built with base_url and collector_url on localhost, and its collector running."""
    project = tmp_path / "example"
    copy_example_project(project)
    static_port, collector_port = free_port(), free_port()
    site_url = f"http://127.0.0.1:{static_port}"
    config = project / "sitegen.yaml"
    text = config.read_text(encoding="utf-8").replace("base_url: https://saulite.example", f"base_url: {site_url}")
    config.write_text(text + f"collector_url: http://127.0.0.1:{collector_port}\n", encoding="utf-8")
    build_project(project)
    served = serve_directory(project / "output/public", port=static_port)
    collector = start_collector(project, collector_port)
    try:
        yield served, project, collector_port
    finally:
        stop(collector)


def stored_answers(project: Path) -> list[tuple[str, dict[str, object], dict[str, object]]]:
    store = ResponseStore.open("sqlite:///data/responses.sqlite3", project)
    try:
        return [(response.lang, response.meta, response.answers) for response in store.responses("after-visit")]
    finally:
        store.close()


def fill_after_visit(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#q-recommend label", has_text="6").first.click()
    page.locator("#input-improve").fill("Warmer rolls")
    page.locator("#q-greeted input[value=yes]").check()
    page.locator("#q-liked input[value=coffee]").check()
    page.locator("#q-liked input[value=staff]").check()
    page.get_by_role("button", name="Send answers").click()


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_browser_answers_a_survey_and_the_row_is_stored_exactly(browser, live_site, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    site_url, project, collector_port = live_site
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{site_url}en/surveys/after-visit/?location=riga-mall")
    fill_after_visit(page)
    page.wait_for_url("**/en/surveys/after-visit/thanks/")
    assert page.locator("h1").inner_text()
    context.close()
    [(lang, meta, answers)] = stored_answers(project)
    assert lang == "en"
    assert answers == {"recommend": 6, "improve": "Warmer rolls", "greeted": "yes", "liked": ["coffee", "staff"]}
    assert meta.get("location") == ("riga-mall" if javascript else None)
    assert meta["stage"] == "purchase"
