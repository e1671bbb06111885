"""A database URL from sitegen.yaml -> a SQLAlchemy engine set up for durable, concurrent writes.

SQLite (the default) runs in WAL mode with `synchronous=FULL`, so every
acknowledged commit survives a power cut, and with a busy timeout, so
several collector processes can write to one file. Every write transaction
starts with `BEGIN IMMEDIATE`: it takes the write lock up front and waits
for it (busy timeout) instead of failing half-way. PostgreSQL URLs use the
psycopg 3 driver.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from sitegen.errors import SitegenError

WRITE = {"sitegen_write": True}
"""Execution options of a connection that writes: on SQLite its transactions begin IMMEDIATE."""

Synchronous = Literal["FULL", "NORMAL"]

encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
"""How meta and answers are written: readable UTF-8, and never NaN (PostgreSQL would refuse it). `json.dumps` with
these options makes this encoder anew for every call (a tenth of encoding a response's answers); it keeps no state."""


class StoreError(SitegenError):
    """The response store cannot be used as configured (bad URL, server down, newer schema)."""


def database_url(url: str, project_root: Path) -> URL:
    """The URL to connect to: relative SQLite paths resolved against the project, psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"store: '{url}' is not a database URL such as sqlite:///data/responses.sqlite3") from None
    if parsed.drivername in ("postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        if is_memory(parsed):
            return parsed.set(drivername="sqlite+pysqlite", database=None)
        return parsed.set(drivername="sqlite+pysqlite", database=str(project_root / parsed.database))  # type: ignore[operator]
    raise StoreError(f"store: '{parsed.drivername}' databases are not supported; use sqlite:/// or postgresql://")


def is_memory(url: URL) -> bool:
    """`sqlite://` (or `:memory:`): a database that lives as long as its engine, for tests."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_store_engine(url: URL, *, synchronous: Synchronous = "FULL", busy_timeout_ms: int = 30_000) -> Engine:
    """An engine for `url` (from `database_url`); SQLite files get their parent directory created."""
    if url.get_backend_name() == "postgresql":
        return create_engine(url, json_serializer=encode_json, pool_pre_ping=True)
    if is_memory(url):
        # One shared connection: a second one would open a second, empty database.
        engine = create_engine(
            url, json_serializer=encode_json, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        try:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
        except OSError as error:
            raise StoreError(f"store: cannot create the folder for {url.database}: {error.strerror}") from None
        engine = create_engine(url, json_serializer=encode_json, connect_args={"check_same_thread": False})
    _set_up_sqlite(engine, synchronous, busy_timeout_ms)
    return engine


def _use_wal(cursor: sqlite3.Cursor, busy_timeout_ms: int) -> None:
    """Put the database in WAL mode, waiting for other connections as the busy timeout does.

    Switching a new database to WAL needs its exclusive lock, and SQLite answers "database is locked" at once,
    without its busy handler, while another connection holds a lock on it: several collectors started on a new
    store at once failed so. A database already in WAL mode is left as it is (reading the mode takes no lock).
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")  # an in-memory database stays "memory": nothing to wait for
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, 0.05)


def _set_up_sqlite(engine: Engine, synchronous: Synchronous, busy_timeout_ms: int) -> None:
    """Pragmas on every new connection; transactions begun by us, not by the driver (SQLAlchemy's recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own implicit BEGINs are deferred and racy
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _use_wal(cursor, busy_timeout_ms)
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Reads need no transaction: one SELECT sees one snapshot, and WAL lets writers go on meanwhile.
        if connection.get_execution_options().get("sitegen_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
