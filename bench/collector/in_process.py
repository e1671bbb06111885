"""What opening cases costs the collector in CPU, without wrk, uvicorn or the network: the ASGI app called directly.

Usage (from the repository root):

    .venv/bin/python bench/collector/in_process.py                       # 5 rounds of 2,000 posts, 8 and 64 in flight
    .venv/bin/python bench/collector/in_process.py --rounds 3 --posts 1000 --in-flight 64

On a machine shared with other work, wrk's submissions/s move by more than the cost being measured; the CPU time
of the process (the request path and the writer thread together) per stored submission moves less. Each round
stores the same posts as `submit.lua` (7 in 11 open a case) in a fresh SQLite store (WAL, synchronous=FULL),
first on a copy of the example project, then on a copy without the after-visit `follow_up` (`no-cases`), and
prints both and the difference per case. To compare with an older sitegen, put a copy of its `sitegen` package
first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from statistics import median
from typing import Any

from bench import CASE_SURVEY, copy_project, without_follow_up
from sitegen.collector.app import create_app

Message = MutableMapping[str, Any]
App = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
IMPROVE = "Ilgi+j%C4%81gaida+rind%C4%81+pie+kases"
HEADERS = [
    (b"content-type", b"application/x-www-form-urlencoded"),
    (b"origin", b"https://saulite.example"),
    (b"accept", b"text/html"),
    (b"accept-language", b"lv,en;q=0.8"),
    (b"user-agent", b"Mozilla/5.0 (Linux; Android 14)"),
    (b"host", b"127.0.0.1"),
]
WARMUP_POSTS = 300
SHARE_OPENING = 7 / 11
"""The posts of `body` that open a case: scores 0 to 6 of 0 to 10, each with an e-mail address."""


def body(tag: str, number: int) -> bytes:
    """The form `submit.lua` posts as its `number`th request."""
    score = number % 11
    text = (
        f"rid={tag}-{number:09d}&lang=lv&location=riga-centre&recommend={score}&satisfaction={number % 5 + 1}"
        f"&greeted=yes&aspects.coffee=5&aspects.speed={number % 3 + 3}&expectations=met&effort=6"
        "&visit_reason=breakfast&liked=coffee&liked=pastries"
    )
    if score < 9:
        text += "&improve=" + IMPROVE
    if score <= 6:
        text += f"&email=guest-{number:09d}%40example.com"
    return text.encode()


async def post(app: App, payload: bytes) -> int:
    """One form post through the app; its status."""
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/s/{CASE_SURVEY}",
        "raw_path": f"/s/{CASE_SURVEY}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*HEADERS, (b"content-length", str(len(payload)).encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    parts = [{"type": "http.request", "body": payload, "more_body": False}]
    status = 0

    async def receive() -> Message:
        if parts:
            return parts.pop()
        await asyncio.Event().wait()  # the client stays connected until the answer is sent
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def cpu_per_submission(project: Path, store: Path, tag: str, posts: int, in_flight: int) -> float:
    """Start the app on a fresh store, warm it up, then µs of process CPU per stored post of `posts`."""
    app: App = create_app(project, f"sqlite:///{store}")  # type: ignore[assignment]
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    await to_app.put({"type": "lifespan.startup"})
    life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, to_app.get, from_app.put))
    if (await from_app.get())["type"] != "lifespan.startup.complete":
        raise SystemExit(f"the collector did not start on {project}")

    async def submit(first: int, count: int) -> None:
        numbers = iter(range(first, first + count))

        async def client() -> None:
            for number in numbers:
                if (status := await post(app, body(tag, number))) != 303:
                    raise SystemExit(f"post {number} was answered {status}, not 303")

        await asyncio.gather(*(client() for _ in range(in_flight)))

    await submit(0, WARMUP_POSTS)
    start = time.process_time()
    await submit(WARMUP_POSTS, posts)
    cpu = time.process_time() - start
    await to_app.put({"type": "lifespan.shutdown"})
    await from_app.get()
    await life
    return cpu / posts * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="Rounds, each server once per round (default 5).")
    parser.add_argument("--posts", type=int, default=2000, help="Measured posts per round and server (default 2000).")
    parser.add_argument("--in-flight", default="8,64", help="Posts in flight at once, e.g. 8,64 (the default).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sitegen-bench-") as scratch:
        root = Path(scratch)
        projects = {
            "collector": copy_project(root / "project"),
            "no-cases": without_follow_up(copy_project(root / "project-no-cases")),
        }
        for in_flight in (int(part) for part in options.in_flight.split(",")):
            figures: dict[str, list[float]] = {name: [] for name in projects}
            for attempt in range(options.rounds):
                for name, project in projects.items():
                    store = root / f"{name}-{in_flight}-{attempt}.sqlite3"
                    run = cpu_per_submission(project, store, f"{name}-{attempt}", options.posts, in_flight)
                    figures[name].append(asyncio.run(run))
            with_cases, without = median(figures["collector"]), median(figures["no-cases"])
            print(
                f"{in_flight:>3} in flight, {options.rounds} rounds of {options.posts}: CPU per submission "
                f"{with_cases:.0f} us with cases ({', '.join(f'{value:.0f}' for value in figures['collector'])}), "
                f"{without:.0f} us without ({', '.join(f'{value:.0f}' for value in figures['no-cases'])}): "
                f"{(with_cases - without) / without:+.1%}, {(with_cases - without) / SHARE_OPENING:+.0f} us per case"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
