"""How many responses each survey version has, kept by the database itself as rows come and go.

Counting a survey's rows, or each version's with its first and last, reads
every index entry: 1.5 s and 2.9 s at ten million answers, several times a
build (the kept counts' check, judging stored versions at load and before
the figures, the refresh's watermark). `version_tallies` holds one row per
(survey, version, table of responses) with n, the first and the last
`submitted_at`, kept in the same transaction as every insert and delete by
triggers, so that no writer (collector, import, purge, erasure, another
sitegen on the same PostgreSQL) can forget it:

- SQLite: row triggers; an insert adds one (an upsert), a delete takes one
  away and reads the first or last again from the version index when it
  removed one of them (a version left with none loses its row).
- PostgreSQL: statement triggers with transition tables, one upsert per
  (survey, version) a statement touched, in key order (two collectors'
  batches lock the same rows in the same order, so they wait, never
  deadlock).
- A writer on PostgreSQL locks the tallies its rows will touch, in key
  order, in one statement (`lock_tallies`), before it inserts them: after
  the anonymous rows' day locks, the anonymous tallies; then, before the
  other rows, theirs. A batch stored in several statements (pages of a
  thousand rows) would otherwise lock them in the order its statements
  reach them, and two writers could each hold a lock the other waits for.
- A row's survey, version and moment never change (answers do: a dropped
  contact); a trigger refuses an update that would change them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, select, text, tuple_
from sqlalchemy.engine import Connection

TALLIED = {"responses": 0, "anonymous_responses": 1}
"""The tables of responses, and the `source` their tallies carry."""
FIXED = "a stored response keeps its survey, version and moment"


def create_tallies(connection: Connection) -> None:
    """The triggers, then the tallies of the rows already stored (on PostgreSQL, creating a trigger holds off
    concurrent writers until this transaction ends, so no row is counted twice or missed)."""
    make = _sqlite_triggers if connection.dialect.name == "sqlite" else _postgresql_triggers
    for name, source in TALLIED.items():
        for statement in make(name, source):
            connection.execute(text(statement))
    for name, source in TALLIED.items():
        connection.execute(
            text(
                "INSERT INTO version_tallies (survey_id, survey_version, source, n, first_at, last_at) "
                f"SELECT survey_id, survey_version, {source}, count(*), min(submitted_at), max(submitted_at) "
                f"FROM {name} GROUP BY survey_id, survey_version"
            )
        )


def _same_version(row: str, source: int) -> str:
    return f"survey_id = {row}.survey_id AND survey_version = {row}.survey_version AND source = {source}"


def _sqlite_triggers(name: str, source: int) -> list[str]:
    version_rows = f"FROM {name} WHERE survey_id = OLD.survey_id AND survey_version = OLD.survey_version"
    return [
        f"""CREATE TRIGGER tally_{name}_insert AFTER INSERT ON {name} BEGIN
            INSERT INTO version_tallies (survey_id, survey_version, source, n, first_at, last_at)
            VALUES (NEW.survey_id, NEW.survey_version, {source}, 1, NEW.submitted_at, NEW.submitted_at)
            ON CONFLICT (survey_id, survey_version, source) DO UPDATE SET n = n + 1,
                first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at);
        END""",
        f"""CREATE TRIGGER tally_{name}_delete AFTER DELETE ON {name} BEGIN
            UPDATE version_tallies SET n = n - 1,
                first_at = CASE WHEN OLD.submitted_at <= first_at
                    THEN coalesce((SELECT min(submitted_at) {version_rows}), first_at) ELSE first_at END,
                last_at = CASE WHEN OLD.submitted_at >= last_at
                    THEN coalesce((SELECT max(submitted_at) {version_rows}), last_at) ELSE last_at END
            WHERE {_same_version("OLD", source)};
            DELETE FROM version_tallies WHERE {_same_version("OLD", source)} AND n <= 0;
        END""",
        f"""CREATE TRIGGER tally_{name}_fixed BEFORE UPDATE OF survey_id, survey_version, submitted_at ON {name}
            WHEN NEW.survey_id IS NOT OLD.survey_id OR NEW.survey_version IS NOT OLD.survey_version
                OR NEW.submitted_at IS NOT OLD.submitted_at
        BEGIN SELECT RAISE(ABORT, '{FIXED}'); END""",
    ]


def _postgresql_triggers(name: str, source: int) -> list[str]:
    return [
        f"""CREATE FUNCTION tally_{name}_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO version_tallies AS kept (survey_id, survey_version, source, n, first_at, last_at)
            SELECT survey_id, survey_version, {source}, count(*), min(submitted_at), max(submitted_at)
            FROM added GROUP BY survey_id, survey_version ORDER BY survey_id, survey_version
            ON CONFLICT (survey_id, survey_version, source) DO UPDATE SET n = kept.n + excluded.n,
                first_at = least(kept.first_at, excluded.first_at), last_at = greatest(kept.last_at, excluded.last_at);
            RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER tally_{name}_insert AFTER INSERT ON {name} REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION tally_{name}_insert()""",
        f"""CREATE FUNCTION tally_{name}_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE version_tallies AS kept SET n = kept.n - changed.n,
                first_at = coalesce(changed.first_at, kept.first_at), last_at = coalesce(changed.last_at, kept.last_at)
            FROM (
                SELECT gone.survey_id, gone.survey_version, gone.n,
                    (SELECT min(submitted_at) FROM {name} AS left_over WHERE left_over.survey_id = gone.survey_id
                        AND left_over.survey_version = gone.survey_version) AS first_at,
                    (SELECT max(submitted_at) FROM {name} AS left_over WHERE left_over.survey_id = gone.survey_id
                        AND left_over.survey_version = gone.survey_version) AS last_at
                FROM (SELECT survey_id, survey_version, count(*) AS n FROM removed
                    GROUP BY survey_id, survey_version ORDER BY survey_id, survey_version) AS gone
            ) AS changed
            WHERE kept.survey_id = changed.survey_id AND kept.survey_version = changed.survey_version
                AND kept.source = {source};
            DELETE FROM version_tallies WHERE source = {source} AND n <= 0;
            RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER tally_{name}_delete AFTER DELETE ON {name} REFERENCING OLD TABLE AS removed
            FOR EACH STATEMENT EXECUTE FUNCTION tally_{name}_delete()""",
        f"""CREATE FUNCTION tally_{name}_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{FIXED}';
        END $$""",
        f"""CREATE TRIGGER tally_{name}_fixed BEFORE UPDATE OF survey_id, survey_version, submitted_at ON {name}
            FOR EACH ROW WHEN (NEW.survey_id IS DISTINCT FROM OLD.survey_id
                OR NEW.survey_version IS DISTINCT FROM OLD.survey_version
                OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at)
            EXECUTE FUNCTION tally_{name}_fixed()""",
    ]


def lock_tallies(connection: Connection, tallies: Table, keys: Iterable[tuple[str, str, int]]) -> None:
    """On PostgreSQL, lock the existing tallies of these (survey, version, source) keys, in key order, before the
    rows that change them are written (see the module docstring); SQLite has one writer and needs none."""
    wanted = sorted(set(keys))
    if connection.dialect.name != "postgresql" or not wanted:
        return
    row = tallies.c
    key = tuple_(row.survey_id, row.survey_version, row.source)
    query = select(row.n).where(key.in_(wanted)).order_by(row.survey_id, row.survey_version, row.source)
    connection.execute(query.with_for_update())
