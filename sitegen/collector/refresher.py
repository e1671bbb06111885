"""The collector's refresher: `sitegen refresh --every` as a child process, started, restarted and stopped with it.

A process of its own, not a thread: computing figures and drawing charts is
CPU-bound Python, which under the GIL would stall the collector's event loop
and its writer. It is started once per collector (not per uvicorn worker)
and restarted if it dies; it shares the collector's process group, so a
signal to the group (Ctrl-C) reaches it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

RESTART_SECONDS = 10.0
"""How long a refresher that died waits before it is started again: a store that is down is not hammered."""
STOP_SECONDS = 30.0
"""How long a refresher is given to finish the file it is writing when the collector stops."""

log = logging.getLogger("sitegen.collector")


def refresher_command(project: Path, interval: dt.timedelta, store_url: str | None) -> list[str]:
    """The command line of the refresher for a project."""
    every = f"{int(interval.total_seconds())}s"
    command = [sys.executable, "-m", "sitegen", "-C", str(project), "refresh", "--every", every]
    return command + (["--store", store_url] if store_url else [])


@contextlib.contextmanager
def refreshing(project: Path, interval: dt.timedelta | None, store_url: str | None) -> Iterator[None]:
    """While the block runs, keep a refresher running every `interval` (none when `interval` is None)."""
    if interval is None:
        yield
        return
    command = refresher_command(project, interval, store_url)
    stopping = threading.Event()
    lock = threading.Lock()
    running: list[subprocess.Popen[bytes]] = []

    def supervise() -> None:
        while True:
            with lock:
                if stopping.is_set():
                    return
                running[:] = [subprocess.Popen(command, stdin=subprocess.DEVNULL)]
            status = running[0].wait()
            # Waited out first: on Ctrl-C the refresher, in the same process group, stops before the collector does.
            if stopping.wait(RESTART_SECONDS):
                return
            log.warning("The refresher stopped (exit status %s) %.0f s ago; starting it again", status, RESTART_SECONDS)

    supervisor = threading.Thread(target=supervise, name="refresher", daemon=True)
    supervisor.start()
    try:
        yield
    finally:
        with lock:
            stopping.set()
            child = running[0] if running else None
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        supervisor.join()
