"""The one-file rebuild under `sitegen serve`: from saving a page to the preview serving it rebuilt.

`sitegen serve` is started on the project as an owner would start it; once it
answers (its first build is done before it listens), one free page's
translation is saved with a new sentence, and the page is fetched every
10 ms until the sentence is in it. The time from the save to that answer
is what an owner waits for (watchfiles' debounce included).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools import SITEGEN

POLL_SECONDS = 0.010
START_TIMEOUT = 300.0
SETTLE_SECONDS = 2.0


class PreviewFailed(Exception):
    """The preview did not start, or never served the change."""


@dataclass(frozen=True)
class Rebuilds:
    """Save-to-served times of successive edits, and how long the preview took to start."""

    start_seconds: float
    seconds: list[float]
    timed_out: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def measure_rebuilds(project: Path, slug: str, edits: int, timeout: float) -> Rebuilds:
    """Start the preview, then edit `content/pages/<slug>.en.md` `edits` times; each edit's time to be served."""
    port = free_port()
    source = project / "content" / "pages" / f"{slug}.en.md"
    original = source.read_text(encoding="utf-8")
    page_url = f"http://127.0.0.1:{port}/intranet/en/pages/{slug}/"
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(SITEGEN), "-C", str(project), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while fetch(page_url) is None:
            if server.poll() is not None:
                raise PreviewFailed(
                    "sitegen serve exited "
                    f"({server.returncode}):\n{server.stderr.read().strip()[-3000:] if server.stderr else ''}"
                )
            if time.perf_counter() - started > START_TIMEOUT:
                raise PreviewFailed(f"sitegen serve did not answer within {START_TIMEOUT:.0f} s")
            time.sleep(0.1)
        start_seconds = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)  # let the file watcher start
        seconds: list[float] = []
        timed_out = 0
        for edit in range(1, edits + 1):
            marker = f"Benchmark edit {edit} at {time.time_ns()}."
            saved = time.perf_counter()
            source.write_text(f"{original}\n{marker}\n", encoding="utf-8")
            while True:
                page = fetch(page_url)
                if page is not None and marker.encode() in page:
                    seconds.append(time.perf_counter() - saved)
                    break
                if time.perf_counter() - saved > timeout:
                    timed_out += 1
                    break
                time.sleep(POLL_SECONDS)
            time.sleep(SETTLE_SECONDS)
        return Rebuilds(start_seconds, seconds, timed_out)
    finally:
        source.write_text(original, encoding="utf-8")
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
