"""Shared fixtures for store tests: a throwaway PostgreSQL server, and a fresh store on each back end.

The server is Debian's PostgreSQL (`/usr/lib/postgresql/<version>/bin`),
started once per session in a temporary directory on a free port of
127.0.0.1 and stopped at the end; it is never a system service. PostgreSQL
refuses to run as root, so as root (CI) it runs as the `postgres` user the
Debian package creates. Where it is missing the PostgreSQL tests skip,
except in CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine

from sitegen.store import ResponseStore
from sitegen.store.engine import database_url

POSTGRES_USER = "sitegen"
"""The superuser of the throwaway cluster (trust authentication on 127.0.0.1 only)."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server; `url(database)` is a sitegen store URL for one of its databases."""

    port: int

    def url(self, database: str) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) in the maintenance database."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=POSTGRES_USER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]


def find_postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL with initdb and pg_ctl, if installed."""
    candidates = [
        path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl") if (path.parent / "initdb").exists()
    ]
    return max(
        candidates, key=lambda path: [int(part) for part in path.parent.name.split(".") if part.isdigit()], default=None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(directory: Path) -> list[str]:
    """The command prefix that runs PostgreSQL's tools as a user they accept, owning `directory`."""
    if os.geteuid() != 0:
        return []
    owner = pwd.getpwnam("postgres")
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], log: Path) -> None:
    finished = subprocess.run(command, capture_output=True, text=True, cwd="/")
    if finished.returncode != 0:
        server_log = log.read_text(errors="replace") if log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed:\n{finished.stdout}{finished.stderr}{server_log}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, in a temporary directory, fsync off (its durability is not under test)."""
    binaries = find_postgres_bin()
    if binaries is None:
        message = "PostgreSQL not found in /usr/lib/postgresql/*/bin; run scripts/install-system-packages"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with running_postgres(binaries) as server:
        yield server


@contextmanager
def running_postgres(binaries: Path) -> Iterator[PostgresServer]:
    """A throwaway server of the PostgreSQL in `binaries`, stopped and deleted on leaving (bench/aggregate too)."""
    # Not under pytest's tmp_path: that lies below a 0700 directory the postgres user cannot enter.
    directory = Path(tempfile.mkdtemp(prefix="sitegen-postgres-"))
    data, sockets, log = directory / "data", directory / "sockets", directory / "server.log"
    sockets.mkdir()
    prefix = _as_server_user(directory)
    port = _free_port()
    try:
        _run(
            [
                *prefix,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                POSTGRES_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            log,
        )
        options = f"-h 127.0.0.1 -p {port} -k {sockets} -F -c full_page_writes=off"
        _run(
            [
                *prefix,
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            log,
        )
        try:
            yield PostgresServer(port)
        finally:
            _run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], log)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A store URL for a new, empty database of the session's server, dropped after the test."""
    database = f"test_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(f"CREATE DATABASE {database}")
    yield postgres_server.url(database)
    postgres_server.execute(f"DROP DATABASE {database} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of a new, empty store, once per back end: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'responses.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[ResponseStore]:
    """A new, empty response store, once per back end."""
    opened = ResponseStore.open(store_url, tmp_path)
    yield opened
    opened.close()


# ---- a rule of the database that sitegen does not know --------------------------------------------

REFUSED_PREFIX = "store-refuses-"
REFUSE_BY_ID = {
    "sqlite": "CREATE TRIGGER refuse_by_id BEFORE INSERT ON responses "
    f"WHEN substr(NEW.id, 1, {len(REFUSED_PREFIX)}) = '{REFUSED_PREFIX}' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    "postgresql": "ALTER TABLE responses ADD CONSTRAINT refuse_by_id "
    f"CHECK (left(id, {len(REFUSED_PREFIX)}) <> '{REFUSED_PREFIX}')",
}
"""A rule of the database that `storable_problems` does not know: the case the writer's row-by-row retry is for."""


def run_sql(store_url: str, project: Path, *statements: str) -> None:
    engine = create_engine(database_url(store_url, project))
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def add_refusal_rule(store_url: str, project: Path) -> None:
    run_sql(store_url, project, REFUSE_BY_ID[database_url(store_url, project).get_backend_name()])
