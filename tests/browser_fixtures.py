"""Shared fixtures for browser tests: one Chromium per session, pages, a local static server.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright; it is never
downloaded. Where it is missing the browser tests skip, except in CI
(`CI=true`), where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.types import ASGIApp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole test session."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; run scripts/install-system-packages"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def requested_urls() -> list[str]:
    """Every URL the test's page requested, in order."""
    return []


@pytest.fixture
def browser_page(browser: Any, requested_urls: list[str]) -> Iterator[Any]:
    """A fresh page (own context) that records every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.on("request", lambda request: requested_urls.append(request.url))
    yield page
    context.close()


RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
  // Counted on <html> too, for locators: wait_for_function evaluates strings, which the pages' policy forbids.
  document.documentElement.dataset.cspViolations = window.cspViolations.length;
});
"""


@pytest.fixture
def csp_violations(browser_page: Any) -> Callable[[], list[str]]:
    """Record the page's Content-Security-Policy violations from its next navigation on; call it to read them."""
    browser_page.add_init_script(RECORD_CSP_VIOLATIONS)
    return lambda: list(browser_page.evaluate("window.cspViolations || []"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve_directory() -> Iterator[Callable[..., str]]:
    """Serve a directory on 127.0.0.1 (a free port, or `port`); returns its base URL ending in '/'."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(directory: Path, port: int = 0) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@contextmanager
def served_on_loopback(app: ASGIApp) -> Iterator[str]:
    """`app` on uvicorn in a thread, on a free port of 127.0.0.1, until the block ends; its base address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
