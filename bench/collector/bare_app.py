"""The baseline for the collector benchmark: the simplest honest Starlette route that stores a small form durably.

`POST /s/<survey-id>` reads a form with `parse_qsl`, checks a few fields by
hand and inserts one row with one commit of its own (SQLite WAL,
`synchronous=FULL`: synced before the answer, as in the collector), then
answers 303 like the collector's form path. One connection per process,
used by one thread at a time. Same table shape and indexes as the
collector's store; no group commit, no survey model, no templates.

    .venv/bin/python bench/collector/bare_app.py --port 8002 --store /tmp/bare.sqlite3 [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

STORE_VARIABLE = "BARE_STORE"
SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    lang TEXT NOT NULL,
    meta TEXT NOT NULL,
    answers TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_responses_survey_submitted ON responses (survey_id, submitted_at, id);
CREATE INDEX IF NOT EXISTS ix_responses_submitted ON responses (submitted_at, id);
"""
INSERT = "INSERT OR IGNORE INTO responses (id, survey_id, submitted_at, lang, meta, answers) VALUES (?, ?, ?, ?, ?, ?)"
RESPONSE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LANGUAGES = ("lv", "ru", "en")
LOCATIONS = ("riga-centre", "riga-mall", "jelgava")


class Store:
    """One SQLite connection; a lock lets one thread at a time use it."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA busy_timeout = 30000")
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = FULL")
        self.connection.executescript(SCHEMA)
        self.lock = threading.Lock()

    def insert(self, row: tuple[str, ...]) -> None:
        """One row, one autocommit transaction, synced before it returns."""
        with self.lock:
            self.connection.execute(INSERT, row)


async def submit(request: Request) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return PlainTextResponse("Send a form.", status_code=415)
    body = await request.body()
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return PlainTextResponse("The form could not be read.", status_code=400)
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    rid = fields.pop("rid", [""])[0]
    lang = fields.pop("lang", ["lv"])[0]
    location = fields.pop("location", [""])[0]
    recommend = fields.get("recommend", [""])[0]
    if not RESPONSE_ID.match(rid) or lang not in LANGUAGES or location not in LOCATIONS:
        return PlainTextResponse("Bad response id, language or location.", status_code=422)
    if not recommend.isdigit() or not 0 <= int(recommend) <= 10:
        return PlainTextResponse("recommend: a whole number from 0 to 10.", status_code=422)
    answers = {name: values if len(values) > 1 else values[0] for name, values in fields.items()}
    survey_id = request.path_params["survey_id"]
    row = (
        rid,
        survey_id,
        dt.datetime.now(dt.UTC).isoformat(),
        lang,
        json.dumps({"location": location}, ensure_ascii=False),
        json.dumps(answers, ensure_ascii=False),
    )
    await run_in_threadpool(request.app.state.store.insert, row)
    return RedirectResponse(f"/{lang}/surveys/{survey_id}/thanks/", status_code=303)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    """The app for uvicorn (and its worker processes), the store's path from BARE_STORE."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = Store(os.environ[STORE_VARIABLE])
        try:
            yield
        finally:
            app.state.store.connection.close()

    routes = [Route("/s/{survey_id}", submit, methods=["POST"]), Route("/healthz", health, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, required=True, help="The SQLite file to write.")
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()
    os.environ[STORE_VARIABLE] = str(options.store.resolve())
    # uvicorn as `sitegen collect` runs it, less its guards (sitegen/collector/app.py: serve): the floor to measure by.
    uvicorn.run(
        "bare_app:create_app",
        factory=True,
        app_dir=str(Path(__file__).parent),
        host="127.0.0.1",
        port=options.port,
        workers=options.workers,
        proxy_headers=True,
        server_header=False,
        access_log=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
