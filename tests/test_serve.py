"""`sitegen serve`: live reload in a real browser, errors as an overlay, the collector on the same origin."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import watchfiles
from playwright.sync_api import expect
from starlette.testclient import TestClient

from sitegen import serve
from sitegen.build import build_project, render_site
from sitegen.scaffold import create_project
from sitegen.serve import (
    Preview,
    create_preview_app,
    file_changes,
    is_source_change,
    source_filter,
    with_reload_script,
)
from sitegen.site import FileChanges, load_site
from sitegen.store import ResponseStore


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "site"
    create_project(directory)
    return directory


def is_healthy(base: str) -> bool:
    try:
        return httpx.get(base + "healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def preview(project: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [sys.executable, "-m", "sitegen", "-C", str(project), "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90  # a first build on two busy cores can take a while
    while not is_healthy(base):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the preview did not start: {process.communicate(timeout=30)[1].decode()[-2000:]}")
        time.sleep(0.1)
    yield base, process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)  # closes the stderr pipe


def test_built_output_never_carries_the_reload_script(project: Path) -> None:
    for path, content in render_site(load_site(project)).items():
        assert b"_sitegen" not in content, path


def test_the_reload_script_goes_before_the_end_of_the_body() -> None:
    assert (
        with_reload_script(b"<p>x</p></body></html>")
        == b'<p>x</p><script src="/_sitegen/reload.js"></script></body></html>'
    )


def test_the_watcher_ignores_output_and_staging_but_not_sources(project: Path) -> None:
    assert is_source_change(watchfiles.Change.modified, str(project / "content/vision.yaml"))
    assert not is_source_change(watchfiles.Change.modified, str(project / "output/public/index.html"))
    assert not is_source_change(watchfiles.Change.added, str(project / ".output-new-1/x.html"))


def test_what_a_build_writes_beside_the_preview_makes_no_rebuild(project: Path) -> None:
    """`sitegen build` (or the preview's own rebuild) writes the chart and answer caches: no tab reloads for them."""
    before = {path: path.stat().st_mtime_ns for path in project.rglob("*") if path.is_file()}
    build_project(project)
    written = [
        path
        for path in project.rglob("*")
        if path.is_file() and before.get(path) != path.stat().st_mtime_ns and "output" not in path.parts
    ]
    site = load_site(project)
    is_watched = source_filter(lambda: site)
    caches = [path for path in written if ".sitegen-cache" in path.parts]
    assert caches and not any(is_watched(watchfiles.Change.added, str(path)) for path in caches)
    assert {path.name for path in written if path not in caches} <= {
        "responses.sqlite3",
        "responses.sqlite3-wal",
        "responses.sqlite3-shm",
    }, "the store's files, which count only when responses were added"
    assert is_watched(watchfiles.Change.modified, str(project / "content/vision.yaml"))


def test_caches_named_in_sitegen_yaml_are_left_out_wherever_they_are(project: Path) -> None:
    config = project / "sitegen.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "chart_cache: kept/charts\nanswer_cache: ../answers-of-site\n",
        encoding="utf-8",
    )
    site = load_site(project)
    is_watched = source_filter(lambda: site)
    assert not is_watched(watchfiles.Change.added, str(project / "kept/charts/a.svg"))
    assert not is_watched(watchfiles.Change.modified, str(project.parent / "answers-of-site/figures.json"))
    assert is_watched(watchfiles.Change.modified, str(project / "kept/notes.md"))
    assert source_filter(lambda: None)(watchfiles.Change.modified, str(project / "kept/charts/a.svg")), "no site yet"


def test_a_batch_too_big_to_trust_scans_every_file(project: Path) -> None:
    page = str(project / "content/pages/about.en.md")
    assert file_changes({(watchfiles.Change.modified, page)}) == FileChanges(written=frozenset({Path(page)}))
    burst = {(watchfiles.Change.added, str(project / f"content/pages/p{number}.md")) for number in range(300)}
    assert file_changes(burst) is None


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.05)


def test_the_watched_preview_rebuilds_each_edit_to_exactly_the_full_build(project: Path) -> None:
    app = create_preview_app(project, report=lambda _: None)
    preview: Preview = app.state.preview
    pages = project / "content/pages"

    def save_atomically(path: Path, text: str) -> None:
        temporary = path.with_name(f".{path.name}.swp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)

    edits: list[tuple[str, Callable[[], object]]] = [
        ("a page's translation", lambda: (pages / "about.en.md").write_text("Rewritten.\n", encoding="utf-8")),
        (
            "an atomic rename-save",
            lambda: save_atomically(pages / "about.md", (pages / "about.md").read_text() + "\nMore.\n"),
        ),
        (
            "a new page",
            lambda: (pages / "new.md").write_text("---\ntitle: {en: New}\n---\nNew text.\n", encoding="utf-8"),
        ),
        ("a new translation", lambda: (pages / "new.ru.md").write_text("Новый текст.\n", encoding="utf-8")),
        ("a removed translation", lambda: (pages / "about.ru.md").unlink()),
        (
            "a template",
            lambda: (project / "templates/_footer.html").write_text("<footer>New footer</footer>\n", encoding="utf-8"),
        ),
    ]
    with TestClient(app):
        probe = project / "notes.txt"
        version = preview.version
        wait_for(
            lambda: probe.write_text(str(time.monotonic()), encoding="utf-8") and preview.version > version,
            "the watcher",
        )
        for name, change in edits:
            version = preview.version
            change()
            wait_for(
                lambda before=version: preview.version > before and preview.files == render_site(load_site(project)),
                f"the preview to rebuild {name} as a full build does",
            )


def test_a_save_made_while_the_first_build_ran_is_served_without_another_save(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[str] = []
    app = create_preview_app(project, report=reported.append)
    preview: Preview = app.state.preview
    translation = project / "content/pages/about.en.md"
    render = serve.render_site

    def saved_during_the_first_build(*arguments: Any, **options: Any) -> dict[str, bytes]:
        files = render(*arguments, **options)
        if not reported:  # the first build: the owner saves before the watcher has started
            translation.write_text("Saved while the preview started.\n", encoding="utf-8")
        return files

    monkeypatch.setattr(serve, "render_site", saved_during_the_first_build)
    with TestClient(app):
        assert preview.version == 0
        wait_for(  # open tabs are told once the catch-up's files are in place
            lambda: (
                preview.version >= 1
                and b"Saved while the preview started." in preview.files["intranet/en/pages/about/index.html"]
            ),
            "the watcher's catch-up to serve the save",
        )
        assert reported[:2] == ["Rebuilt 56 pages."] * 2, "the catch-up is said"
        assert preview.files == render_site(load_site(project))


def test_the_watchers_catch_up_with_nothing_saved_tells_no_tab_and_says_nothing(project: Path) -> None:
    reported: list[str] = []
    preview = Preview(project, report=reported.append)
    assert preview.rebuild()
    files = preview.files
    assert not preview.catch_up() and preview.files == files and reported == reported[:1]
    (project / "content/pages/about.en.md").write_text("Changed.\n", encoding="utf-8")
    assert preview.catch_up() and len(reported) == 2


def test_a_broken_change_keeps_the_last_good_site(project: Path) -> None:
    preview = Preview(project, report=lambda message: None)
    assert preview.rebuild() and preview.file("/intranet/en/standards/greeting/") is not None
    standard = project / "content/standards/greeting.yaml"
    standard.write_text(standard.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")
    assert not preview.rebuild()
    assert preview.errors == ["content/standards/greeting.yaml:17:1: colour: unknown key 'colour'"]
    assert preview.file("/intranet/en/standards/greeting/") is not None


def test_a_file_gone_while_it_was_read_is_an_error_and_the_next_rebuild_scans_every_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = Preview(project, report=lambda message: None)
    assert preview.rebuild()
    loads: list[FileChanges | None] = []
    load = serve.load_site

    def gone_once(directory: Path, parsed: object, changes: FileChanges | None = None) -> object:
        loads.append(changes)
        if len(loads) == 1:
            raise FileNotFoundError(2, "No such file or directory", str(project / "content/pages/gone.md"))
        return load(directory, parsed, changes)  # type: ignore[arg-type]

    monkeypatch.setattr(serve, "load_site", gone_once)
    named = FileChanges(written=frozenset({project / "sitegen.yaml"}))
    assert not preview.rebuild(named)
    assert preview.errors == [f"{project / 'content/pages/gone.md'}: could not be read (No such file or directory)"]
    assert preview.file("/intranet/en/standards/greeting/") is not None, "the last good site is still served"
    assert preview.rebuild(named) and preview.errors == []
    assert loads == [named, None], "after an unreadable file the whole project is looked at again"
    assert preview.rebuild(named) and loads[-1] == named


@pytest.mark.browser
def test_an_open_tab_follows_edits_shows_errors_and_recovers(
    browser_page, csp_violations, preview, project: Path
) -> None:  # type: ignore[no-untyped-def]
    base, process = preview
    standard = project / "content/standards/greeting.yaml"
    original = standard.read_text(encoding="utf-8")
    browser_page.goto(base + "intranet/en/standards/greeting/")
    assert browser_page.locator("h1").inner_text() == "The 30/30 rule"
    browser_page.wait_for_timeout(300)  # the page's event stream is connected

    standard.write_text(original.replace("en: The 30/30 rule", "en: The 30-second rule"), encoding="utf-8")
    expect(browser_page.locator("h1")).to_have_text("The 30-second rule", timeout=15000)  # no eval under the CSP

    standard.write_text(original + "colour: red\n", encoding="utf-8")
    overlay = browser_page.locator("#sitegen-errors")
    overlay.wait_for(timeout=15000)
    assert "content/standards/greeting.yaml:17:1: colour: unknown key 'colour'" in overlay.inner_text()
    assert browser_page.locator("h1").inner_text() == "The 30-second rule"  # the last good page stays

    standard.write_text(original, encoding="utf-8")
    expect(browser_page.locator("h1")).to_have_text("The 30/30 rule", timeout=15000)
    assert browser_page.locator("#sitegen-errors").count() == 0
    assert csp_violations() == []  # the reload script and the error overlay live with the pages' policy

    os.killpg(process.pid, signal.SIGINT)
    errors = process.communicate(timeout=30)[1].decode()
    assert process.returncode == 0 and "Preview stopped." in errors and "Traceback" not in errors


@pytest.mark.browser
def test_a_survey_answered_in_the_preview_reaches_the_store(browser_page, preview, project: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = preview
    browser_page.goto(base + "en/surveys/after-visit/")
    browser_page.locator('[name="recommend"][value="10"]').check()
    browser_page.get_by_role("button", name="Send answers").click()
    browser_page.wait_for_url("**/en/surveys/after-visit/thanks/")
    with ResponseStore.open("sqlite:///data/responses.sqlite3", project) as store:
        assert [response.answers for response in store.responses("after-visit")] == [{"recommend": 10}]


@pytest.fixture
def preview_client(project: Path) -> Iterator[Callable[[str], TestClient]]:
    """`preview_client(host)`: the preview app bound (by name) to `host`, started in-process."""
    clients: list[TestClient] = []

    def start(host: str) -> TestClient:
        client = TestClient(create_preview_app(project, report=lambda _: None, host=host), follow_redirects=False)
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("bound", "host_header", "status"),
    [
        ("127.0.0.1", "127.0.0.1:8000", 200),
        ("127.0.0.1", "127.0.0.1", 200),
        ("127.0.0.1", "localhost:8000", 200),
        ("127.0.0.1", "LOCALHOST", 200),
        ("127.0.0.1", "attacker.example", 400),  # DNS rebinding: the attacker's name, resolving to 127.0.0.1
        ("127.0.0.1", "attacker.example:8000", 400),
        ("127.0.0.1", "127.0.0.1.attacker.example", 400),
        ("127.0.0.1", "localhost.attacker.example:8000", 400),
        ("127.0.0.1", "[::1]:8000", 400),
        ("127.0.0.1", "127.0.0.1:8000@attacker.example", 400),
        ("127.0.0.1", "", 400),
        ("::1", "[::1]:8000", 200),
        ("::1", "[::1]", 200),
        ("::1", "[::2]:8000", 400),
        ("preview.lan", "preview.lan:8000", 200),
        ("preview.lan", "www.preview.lan", 400),
    ],
)
def test_the_preview_answers_only_for_the_names_it_is_bound_to(
    preview_client: Callable[[str], TestClient], bound: str, host_header: str, status: int
) -> None:
    answer = preview_client(bound).get("http://127.0.0.1:8000/en/", headers={"host": host_header})
    assert answer.status_code == status
    assert (b"<h1" in answer.content) == (status == 200)  # nothing of the site in a refusal


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("//en", "/en/"),
        ("///en", "/en/"),
        ("//en/", "/en/"),
        ("//intranet", "/intranet/"),
        ("/intranet//en", "/intranet/en/"),
        ("//evil.example/x", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/%2F%2Fevil.example", None),
        ("/%5Cevil.example/en", None),
    ],
)
def test_no_path_is_redirected_to_another_host(
    preview_client: Callable[[str], TestClient], path: str, location: str | None
) -> None:
    client = preview_client("127.0.0.1")
    answer = client.get(f"http://127.0.0.1:8000{path}")
    assert answer.headers.get("location") == location
    if location is None:
        assert answer.status_code == 404
    else:
        assert answer.status_code in (307, 308)
        landed = client.get(f"http://127.0.0.1:8000{location}", follow_redirects=True)  # a tree's root: its language
        assert landed.url.host == "127.0.0.1" and landed.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "host_header"),
    [
        ("/en/", "127.0.0.1:8000"),
        ("/intranet/en/standards/greeting/", "127.0.0.1:8000"),
        ("/static/style.css", "127.0.0.1:8000"),
        ("/no/such/page", "127.0.0.1:8000"),
        ("/healthz", "127.0.0.1:8000"),
        ("/_sitegen/reload.js", "127.0.0.1:8000"),
        ("/en/", "attacker.example"),
    ],
)
def test_every_answer_carries_the_security_headers(
    preview_client: Callable[[str], TestClient], path: str, host_header: str
) -> None:
    answer = preview_client("127.0.0.1").get(f"http://127.0.0.1:8000{path}", headers={"host": host_header})
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize(
    ("path", "cookie", "accept_language", "location"),
    [
        ("/", None, "en-GB,en;q=0.9,lv;q=0.5", "/en/"),
        ("/", None, "de-DE,de;q=0.9", "/lv/"),
        ("/", None, None, "/lv/"),
        ("/intranet/", None, "de;q=1, en;q=0.8", "/intranet/en/"),
        ("/", "lv", "en", "/lv/"),  # a choice made on the root page before wins
        ("/", "xx", "en", "/en/"),
    ],
)
def test_the_site_roots_open_the_language_a_visitor_chose_or_their_browser_asks_for(
    preview_client: Callable[[str], TestClient],
    path: str,
    cookie: str | None,
    accept_language: str | None,
    location: str,
) -> None:
    client = preview_client("127.0.0.1")
    if cookie:
        client.cookies.set("sitegen_lang", cookie)
    headers = {"accept-language": accept_language} if accept_language else {}
    answer = client.get(f"http://127.0.0.1:8000{path}", headers=headers)
    assert (answer.status_code, answer.headers["location"]) == (302, location)
    assert answer.headers["vary"] == "Accept-Language, Cookie"
