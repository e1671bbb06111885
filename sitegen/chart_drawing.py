"""vl-convert in a process of its own: it holds the GIL while it draws, so in a thread it stalls the build.

Measured here: while a thread drew charts, the main thread got 40% of its
work done; with the drawing in another process, 96%. So charts are drawn
(and the chart script bundled) by one worker, `python -m
sitegen.chart_drawing`, on the other core, while the build computes figures
and renders pages. The worker imports nothing but vl-convert (a
multiprocessing pool would import the build's own main module, pandas and
altair with it, into every worker). A worker that dies (killed, out of
memory) is replaced for the next job, and the job done in this process
instead, so a build never fails for it.

The exchange, over the worker's stdin and stdout: a line `<job> <bytes>`
and that many bytes of UTF-8 argument; the answer a line `ok <bytes>` (or
`error <bytes>`) and that many bytes of result (or message).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO


def draw_svg(spec_text: str, vega_lite: str) -> str:
    """The SVG of a Vega-Lite spec (JSON text)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(json.loads(spec_text), vl_version=vega_lite))


def javascript_bundle(_text: str, vega_lite: str) -> str:
    """Vega, Vega-Lite and vega-embed in one script (it takes no text)."""
    import vl_convert

    # The stub marks `snippet` as required; at run time it defaults to the snippet that exposes vegaEmbed globally.
    return str(vl_convert.javascript_bundle(vl_version=vega_lite))  # type: ignore[call-arg]


WARM_UP_SPEC = json.dumps({"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x"}}})
"""The smallest chart: drawing it once loads the JavaScript engine and Vega-Lite, half a second of the first chart."""


def warm_up(_text: str, vega_lite: str) -> str:
    """Load what drawing needs, so the build's first real chart is drawn as fast as the others."""
    draw_svg(WARM_UP_SPEC, vega_lite)
    return ""


JOBS: dict[str, Callable[[str, str], str]] = {"svg": draw_svg, "bundle": javascript_bundle, "warm": warm_up}
"""What the worker does, by the name a request gives: each takes its text and the Vega-Lite version."""


class WorkerDied(Exception):
    """The worker ended, or answered something other than the exchange."""


class Worker:
    """One drawing process and the lock that keeps its exchanges one at a time."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "sitegen.chart_drawing"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._process.pid

    def run(self, job: str, text: str, vega_lite: str) -> str:
        """The job's result; raises WorkerDied when the process is gone, ValueError when the job failed there."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        with self._lock:
            try:
                _send(stdin, f"{job} {vega_lite}", text)
                status, answer = _receive(stdout)
            except (OSError, ValueError) as error:
                raise WorkerDied(str(error)) from error
        if status != "ok":
            raise ValueError(answer)
        return answer

    def stop(self) -> None:
        """Close its stdin, which ends it, and wait for it (a dead one is only reaped)."""
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._process.wait()


_running: list[Worker] = []
"""The current worker, if one was started; `_starting` guards it, since the drawing thread and the build use it."""
_starting = threading.Lock()


def worker() -> Worker:
    """The drawing process, started on first use and ended when this process exits."""
    with _starting:
        if not _running:
            _running.append(Worker())
        return _running[0]


def in_worker(job: str, text: str, vega_lite: str) -> str:
    """`JOBS[job](text, vega_lite)` in the worker; here, if the worker died, with a new one for the next job."""
    current = worker()
    try:
        return current.run(job, text, vega_lite)
    except WorkerDied:
        _retire(current)
        return JOBS[job](text, vega_lite)


def running_pid() -> int | None:
    """The worker's process id, if one is running (the benchmarks read its memory)."""
    return _running[0].pid if _running else None


def stop() -> None:
    """End the worker (a new one starts when next needed), so that its CPU time is counted as a child's."""
    if _running:
        _retire(_running[0])


def _retire(ended: Worker) -> None:
    with _starting:
        if _running and _running[0] is ended:
            _running.clear()
    ended.stop()


atexit.register(stop)


def _send(sink: IO[bytes], header: str, text: str) -> None:
    payload = text.encode("utf-8")
    sink.write(f"{header} {len(payload)}\n".encode() + payload)
    sink.flush()


def _receive(source: IO[bytes]) -> tuple[str, str]:
    """One message: its first word and its text; ValueError at the end of the stream or on a malformed header."""
    header = source.readline().decode("ascii").split()
    if not header:
        raise ValueError("the worker ended")
    *words, size = header
    payload = source.read(int(size))
    if len(payload) != int(size):
        raise ValueError("the worker ended mid-answer")
    return " ".join(words), payload.decode("utf-8")


def main() -> None:
    """The worker: answer each request on stdin until it closes. Ctrl-C reaches the whole process group; the build
    handles it, and its worker ends when the build closes its stdin (or exits)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            request, text = _receive(source)
        except ValueError:
            return
        job, vega_lite = request.split()
        try:
            _send(sink, "ok", JOBS[job](text, vega_lite))
        except Exception as error:
            _send(sink, "error", f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
