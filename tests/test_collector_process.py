"""The real `sitegen collect`: nothing acknowledged is lost, slow and idle clients are cut off, a browser posts."""

from __future__ import annotations

import collections
import functools
import itertools
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from conftest import copy_example_project

from sitegen.build import build_project
from sitegen.collector.guards import RESERVED_DESCRIPTORS
from sitegen.store import ResponseStore

SECRET = "a-test-secret-that-is-long-enough-for-hmac-0123"

UNLIMITED_RATE = "rate_limit: {per_hour: 10000000, burst: 100000}"  # all senders share 127.0.0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_collector(
    project: Path,
    port: int,
    store_url: str | None = None,
    open_files: int | None = None,
    environment: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`sitegen collect` in its own process group, once /healthz answers; `open_files` lowers its open-file limit,
    `environment` adds variables (a PYTHONPATH holding a plugin)."""
    command = [sys.executable, "-m", "sitegen", "-C", str(project), "collect", "--port", str(port)]
    if store_url:
        command += ["--store", store_url]

    def limit_open_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=limit_open_files,
        env={
            **os.environ,
            "SITEGEN_SECRET": SECRET,
            **(environment or {}),
        },  # the example survey shows an incentive code
    )
    if not await_condition(lambda: is_healthy(port), timeout=30):
        process.kill()
        raise AssertionError(f"the collector did not start: {process.communicate(timeout=30)[0].decode()}")
    return process


def is_healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def await_condition(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether `condition` came true within `timeout` seconds (checked every 50 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> str:
    """Stop the collector's process group with `sig`; what it printed (its pipe closed)."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
    return process.communicate(timeout=30)[0].decode()


def configure(project: Path, collector_settings: str = UNLIMITED_RATE) -> Path:
    """`project` storing in SQLite, with these `collector:` settings."""
    config = project / "sitegen.yaml"
    settings = f"store: sqlite:///data/responses.sqlite3\ncollector: {{{collector_settings}}}\n"
    config.write_text(config.read_text(encoding="utf-8") + settings, encoding="utf-8")
    return project


@pytest.fixture
def project(minimal_project: Path) -> Path:
    return configure(minimal_project)


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
    with socket.create_connection(("127.0.0.1", port)) as leaving:  # a client gone halfway through its body
        leaving.sendall(POST_HEADERS + b'{"answers": {')
    log = stop(collector, signal.SIGINT)
    assert answer.status_code == 201
    assert collector.returncode == 0, log
    assert "Traceback" not in log and "Disconnect" not in log and "Collector stopped." in log, log
    assert "127.0.0.1:" in log  # where it listens, said once at start
    assert "POST" not in log and log.count("127.0.0.1:") == 1, log  # no access log: no respondent's address


POST_HEADERS = (
    b"POST /s/after-visit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
)
IDLE_CONNECTIONS = 2000


def open_descriptors(process: subprocess.Popen[bytes]) -> int:
    return len(os.listdir(f"/proc/{process.pid}/fd"))


@pytest.mark.parametrize("max_connections", [None, 100], ids=["default cap", "cap of 100"])
def test_two_thousand_idle_connections_leave_healthz_and_posts_answering(
    minimal_project: Path, store_url: str, max_connections: int | None
) -> None:
    cap = f", max_connections: {max_connections}" if max_connections else ""
    project = configure(minimal_project, UNLIMITED_RATE + cap)
    port = free_port()
    collector = start_collector(
        project, port, store_url, open_files=1024
    )  # the usual soft limit: the collector raises it
    idle: list[socket.socket] = []
    try:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE_CONNECTIONS)]
        if max_connections is None:  # every one accepted and held open
            assert await_condition(lambda: open_descriptors(collector) > IDLE_CONNECTIONS, timeout=10)
        started = time.monotonic()
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        post = httpx.post(
            f"http://127.0.0.1:{port}/s/after-visit", json={"rid": "idle-test-0001", "answers": {"recommend": 9}}
        )
        answered_in = time.monotonic() - started
        if max_connections is not None:  # the longest idle closed to make room: the process stays within its cap
            assert await_condition(
                lambda: open_descriptors(collector) <= max_connections + RESERVED_DESCRIPTORS, timeout=10
            )
    finally:
        for connection in idle:
            connection.close()
        stop(collector)
    assert (health.status_code, post.status_code) == (200, 201)
    assert answered_in < 2


SLOW_CLIENT_LIMITS = "timeouts: {header_s: 2, body_s: 3, idle_s: 1}"
SLOW_CLIENTS = [
    # what the client sends at once, what it then sends every half second, how the collector answers, and after how long
    pytest.param(b"", b"", b"", 2, id="connects and says nothing: closed at the header deadline"),
    pytest.param(
        b"POST /s/after-visit HTTP/1.1\r\nX-Slow: ", b"x", b"", 2, id="trickled headers: closed at the deadline"
    ),
    pytest.param(POST_HEADERS, b" ", b"HTTP/1.1 408 ", 3, id="trickled body: 408 at the body deadline"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"", b"HTTP/1.1 200 ", 1, id="kept alive, then idle"),
]


def talk_slowly(port: int, opening: bytes, drip: bytes) -> tuple[bytes, float]:
    """Send `opening`, then `drip` every 0.5 s until the collector closes the connection: what it said, and when."""
    heard = b""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.settimeout(0.5)
        connection.sendall(opening)
        started = time.monotonic()
        while time.monotonic() - started < 30:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                if drip:
                    connection.sendall(drip)
                continue
            except ConnectionError:
                break
            if not chunk:
                break
            heard += chunk
        return heard, time.monotonic() - started


@pytest.mark.parametrize(("opening", "drip", "answer", "deadline"), SLOW_CLIENTS)
def test_slow_and_idle_clients_are_cut_off_at_their_deadline(
    minimal_project: Path, opening: bytes, drip: bytes, answer: bytes, deadline: int
) -> None:
    project = configure(minimal_project, f"{UNLIMITED_RATE}, {SLOW_CLIENT_LIMITS}")
    port = free_port()
    collector = start_collector(project, port)
    try:
        heard, closed_after = talk_slowly(port, opening, drip)
    finally:
        stop(collector)
    assert heard.startswith(answer), heard
    assert not heard or b"x-content-type-options: nosniff" in heard.lower()
    assert deadline - 0.2 <= closed_after < deadline + 1.5


FORWARDED = [
    pytest.param("[]", ["203.0.113.1", "203.0.113.2"], [201, 429], id="no proxy trusted: X-Forwarded-For ignored"),
    pytest.param("[127.0.0.1]", ["203.0.113.1", "203.0.113.2", "203.0.113.1"], [201, 201, 429], id="proxy trusted"),
    pytest.param(
        "[127.0.0.1]", ["198.51.100.1, 203.0.113.1", "198.51.100.2, 203.0.113.1"], [201, 429], id="right-most untrusted"
    ),
    pytest.param("['::1', 10.0.0.0/8]", ["203.0.113.1", "203.0.113.2"], [201, 429], id="another proxy trusted"),
    pytest.param(
        "[127.0.0.1, 10.0.0.0/8]", ["203.0.113.1, 10.1.1.1", "203.0.113.2, 10.1.1.1"], [201, 201], id="proxy chain"
    ),
    pytest.param("[127.0.0.1]", ["2001:db8::1", "2001:db8::2"], [201, 429], id="one IPv6 /64 is one client"),
]


@pytest.mark.parametrize(("trusted_proxies", "forwarded_for", "statuses"), FORWARDED)
def test_the_rate_limit_believes_x_forwarded_for_only_from_trusted_proxies(
    minimal_project: Path, trusted_proxies: str, forwarded_for: list[str], statuses: list[int]
) -> None:
    project = configure(minimal_project, f"rate_limit: {{per_hour: 1, burst: 1}}, trusted_proxies: {trusted_proxies}")
    port = free_port()
    collector = start_collector(project, port)
    try:
        answers = [
            httpx.post(
                f"http://127.0.0.1:{port}/s/after-visit",
                json={"rid": f"forwarded-{number:04d}", "answers": {"recommend": 9}},
                headers={"x-forwarded-for": client},
            )
            for number, client in enumerate(forwarded_for)
        ]
    finally:
        stop(collector)
    assert [answer.status_code for answer in answers] == statuses


# ---- following the survey file under load ------------------------------------------------------

COFFEE = "  - id: coffee\n    type: rating\n    points: 5\n    label: {lv: Kafija, en: The coffee}\n"
TEA = "      - {id: tea, label: {lv: Tēju, en: Tea}}\n"


POSTS_BETWEEN_EDITS = 300


@dataclass(frozen=True)
class SurveyEdit:
    """One save of surveys/after-visit.yaml (each `old` text replaced by its `new`), and whether the version it makes
    asks about the coffee; a broken one must not be taken. Each keeps what earlier answers mean (a choice, a question,
    a wider limit), as edits of a survey with answers must, yet makes a new version."""

    replacements: tuple[tuple[str, str], ...]
    is_broken: bool = False
    has_coffee: bool = True


SURVEY_EDITS = [
    SurveyEdit((("      - {id: cup,", TEA + "      - {id: cup,"),), has_coffee=False),
    SurveyEdit((("points: 5", "points: [5"),), is_broken=True),  # a typo
    SurveyEdit((("points: [5", "points: 5"), ("  - id: visited_at\n", COFFEE + "  - id: visited_at\n"))),
    SurveyEdit((("    max_picks: 2\n", "    max_picks: 3\n"),)),  # a wider limit
    SurveyEdit((("    max: 100\n", "    max: 1000\n"),)),
]


def edited(text: str, survey_edit: SurveyEdit) -> str:
    for old, new in survey_edit.replacements:
        assert old in text, f"{old!r} is not in the survey"
        text = text.replace(old, new, 1)
    return text


class Output:
    """What a running collector prints, read line by line as it comes, so a test can wait for a line."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, args=(process,))
        self.reader.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.decode("utf-8", "replace"))

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))


def replace_file(path: Path, text: str) -> None:
    """Write `path` as an editor saves: a file beside it renamed over it, so it is never seen half written."""
    partial = path.with_name(path.name + ".saving")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def served_version(port: int) -> str:
    return str(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["surveys"]["after-visit"])


def test_eight_threads_posting_while_the_survey_file_is_edited_lose_nothing_and_get_no_500(
    project: Path, store_url: str
) -> None:
    port = free_port()
    process = start_collector(project, port, store_url)
    output = Output(process)
    versions = [(served_version(port), False)]  # each version served, and whether it asks about the coffee
    answered: list[tuple[str, int, str]] = []  # (rid, status, version named)
    failures: list[str] = []
    lock = threading.Lock()
    stop_sending = threading.Event()

    def send(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for number in itertools.count():
                if stop_sending.is_set():
                    return
                rid = f"edit-{worker:02d}-{number:06d}"
                version, has_coffee = versions[number % len(versions)]
                named = "" if number % 7 == 0 else version  # now and then no version, as from an API client
                answers: dict[str, object] = {"recommend": number % 11, "extras": ["cake"]}  # fit every version
                if has_coffee and named:
                    answers["coffee"] = 1 + number % 5
                if named:
                    answers.update(channel="friends", visits=number % 100)
                try:
                    if number % 2:
                        body = {"rid": rid, "lang": "en", "answers": answers, **({"v": named} if named else {})}
                        answer = client.post("/s/after-visit", json=body)
                    else:
                        pairs = [("rid", rid), ("lang", "en"), *([("v", named)] if named else [])]
                        for name, value in answers.items():
                            pairs += [(name, str(item)) for item in (value if isinstance(value, list) else [value])]
                        answer = client.post(
                            "/s/after-visit",
                            content=urlencode(pairs),
                            headers={"content-type": "application/x-www-form-urlencoded"},
                        )
                except httpx.HTTPError as error:
                    with lock:
                        failures.append(f"{rid}: {error!r}")
                    continue
                with lock:
                    answered.append((rid, answer.status_code, named))
                    if answer.status_code not in (201, 303):
                        failures.append(f"{rid} named {named!r}: {answer.status_code} {answer.text[:300]}")

    def has_posts(count: int) -> bool:
        return len(answered) >= count

    def has_more_errors(seen: int) -> bool:
        return output.count("surveys/after-visit.yaml:") > seen

    def serves_another_version(seen: str) -> bool:
        return served_version(port) != seen

    senders = [threading.Thread(target=send, args=(worker,)) for worker in range(8)]
    for sender in senders:
        sender.start()
    survey = project / "surveys/after-visit.yaml"
    try:
        for survey_edit in SURVEY_EDITS:
            assert await_condition(functools.partial(has_posts, POSTS_BETWEEN_EDITS * len(versions)), 60)
            before, errors = versions[-1][0], output.count("surveys/after-visit.yaml:")
            replace_file(survey, edited(survey.read_text(encoding="utf-8"), survey_edit))
            if survey_edit.is_broken:
                assert await_condition(functools.partial(has_more_errors, errors), 20), "the typo was not reported"
                assert served_version(port) == before
            else:
                assert await_condition(functools.partial(serves_another_version, before), 20), "the edit was not taken"
                versions.append((served_version(port), survey_edit.has_coffee))
        assert await_condition(functools.partial(has_posts, POSTS_BETWEEN_EDITS * (len(versions) + 1)), 60)
    finally:
        stop_sending.set()
        for sender in senders:
            sender.join(timeout=60)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        output.reader.join(timeout=30)
        assert process.stdout is not None
        process.stdout.close()

    store = ResponseStore.open(store_url, project)
    try:
        stored = {response.id: response.survey_version for response in store.responses("after-visit")}
    finally:
        store.close()
    acknowledged = [rid for rid, status, _ in answered if status in (201, 303)]
    statuses = collections.Counter(status for _, status, _ in answered)
    print(f"{len(answered)} posts, {len(versions) - 1} reloads, statuses {dict(statuses)}, {len(failures)} failures")
    assert statuses[500] == 0 and not failures, failures[:5]
    assert not set(acknowledged) - set(stored), "acknowledged answers were lost"
    assert len(stored) == len(acknowledged)
    assert set(stored.values()) <= {version for version, _ in versions}
    named_and_kept = {rid: named for rid, _, named in answered if named}
    assert all(stored[rid] == named for rid, named in named_and_kept.items()), "a row is not stored with its version"
    assert "Traceback" not in "".join(output.lines)


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


def thanked_with_code(page) -> str:  # type: ignore[no-untyped-def]
    """Wait for the thank-you page the collector answers an incentive survey's post with: the code it shows."""
    code = page.locator(".thanks .incentive-code")
    code.wait_for()
    return str(code.inner_text())


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
    site_url, project, _ = live_site
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{site_url}en/surveys/after-visit/?location=riga-mall")
    fill_after_visit(page)
    thanked_with_code(page)
    assert page.locator("h1").inner_text()
    context.close()
    [(lang, meta, answers)] = stored_answers(project)
    assert lang == "en"
    assert answers == {"recommend": 6, "improve": "Warmer rolls", "greeted": "yes", "liked": ["coffee", "staff"]}
    assert meta.get("location") == ("riga-mall" if javascript else None)
    assert meta["stage"] == "purchase"


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_locations_own_page_the_qr_code_opens_stores_its_location_with_or_without_javascript(  # type: ignore[no-untyped-def]
    browser, live_site, javascript: bool
) -> None:
    site_url, project, _ = live_site
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{site_url}en/surveys/after-visit/at/jelgava/")
    fill_after_visit(page)
    thanked_with_code(page)
    context.close()
    [(_, meta, _)] = stored_answers(project)
    assert meta["location"] == "jelgava"


@pytest.mark.browser
def test_without_javascript_back_from_the_thank_you_page_and_send_again_stores_the_answers_once(  # type: ignore[no-untyped-def]
    browser, live_site
) -> None:
    site_url, project, _ = live_site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_url}en/surveys/after-visit/at/riga-mall/")
    fill_after_visit(page)
    first_code = thanked_with_code(page)
    page.go_back()
    page.wait_for_url("**/en/surveys/after-visit/at/riga-mall/")
    page.get_by_role("button", name="Send answers").click()
    assert thanked_with_code(page) == first_code  # the same answer, the same code
    context.close()
    assert len(stored_answers(project)) == 1


@pytest.mark.browser
def test_without_javascript_a_promoter_who_fills_in_the_follow_up_for_others_is_thanked(browser, live_site) -> None:  # type: ignore[no-untyped-def]
    site_url, project, _ = live_site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_url}en/surveys/after-visit/")
    page.locator("#q-recommend label", has_text="10").first.click()
    page.locator("#input-improve").fill("Nothing, it was perfect")  # asked only below 9
    page.get_by_role("button", name="Send answers").click()
    thanked_with_code(page)
    context.close()
    [(_, _, answers)] = stored_answers(project)
    assert answers == {"recommend": 10}


@pytest.mark.browser
def test_a_collector_error_page_gets_the_site_stylesheet_and_nothing_breaks_its_policy(browser, live_site) -> None:  # type: ignore[no-untyped-def]
    _, _, collector_port = live_site
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));"
    )
    stylesheets: list[int] = []
    page.on("response", lambda response: stylesheets.append(response.status) if "style.css" in response.url else None)
    answer = page.goto(f"http://127.0.0.1:{collector_port}/s/no-such-survey?lang=en")
    page.wait_for_load_state("load")
    violations = page.evaluate("window.violations")
    background = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    context.close()
    assert answer is not None and answer.status == 404
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert stylesheets == [200] and violations == []
    assert background != "rgba(0, 0, 0, 0)", "the site's stylesheet did not apply"
