"""The tallies the database keeps of each survey version equal counting the rows, whatever happened to them."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from postgres_fixtures import store_url  # noqa: F401  (a fixture)
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from test_answer_snapshots import START, apply_step, steps, stored

from sitegen.store import ResponseStore
from sitegen.store.schema import anonymous_responses, responses


def counted_from_rows(store: ResponseStore, survey_id: str) -> list[tuple[str, int, dt.datetime, dt.datetime]]:
    """Each version's count, first and last, by reading every row (what the tallies stand in for)."""
    found: dict[str, tuple[int, dt.datetime, dt.datetime]] = {}
    with store.engine.connect() as connection:
        for kept in (responses, anonymous_responses):
            query = select(kept.c.survey_version, kept.c.submitted_at).where(kept.c.survey_id == survey_id)
            for version, moment in connection.execute(query):
                n, first, last = found.get(version, (0, moment, moment))
                found[version] = (n + 1, min(first, moment), max(last, moment))
    return sorted((version, *figures) for version, figures in found.items())


def tallied(store: ResponseStore, survey_id: str) -> list[tuple[str, int, dt.datetime, dt.datetime]]:
    return sorted(
        (counted.version, counted.count, counted.first, counted.last)  # type: ignore[misc]
        for counted in store.version_counts(survey_id)
    )


def assert_tallied(store: ResponseStore, survey_id: str) -> None:
    expected = counted_from_rows(store, survey_id)
    assert tallied(store, survey_id) == expected
    assert store.count(survey_id) == sum(n for _, n, _, _ in expected)
    with store.engine.connect() as connection:
        rows = [
            connection.execute(select(func.count(), func.max(kept.c.submitted_at))).one()
            for kept in (responses, anonymous_responses)
        ]
    assert [count for count, _ in store.watermark()] == [int(count) for count, _ in rows]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(history=steps)
def test_the_tallies_equal_the_rows_counted_after_any_history(
    history: list[tuple[str, Any]],
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    survey_id = f"survey-{uuid.uuid4().hex[:8]}"
    with ResponseStore.open(store_url, tmp_path) as store:
        for step, argument in history:
            apply_step(store, survey_id, step, argument)
            assert_tallied(store, survey_id)


def test_a_stored_response_keeps_its_survey_version_and_moment(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    with ResponseStore.open(store_url, tmp_path) as store:
        response = stored("s", (10, 7, "riga", None, False))
        store.add([response])
        for change in ({"survey_version": "v9"}, {"submitted_at": START}, {"survey_id": "t"}):
            with pytest.raises(DBAPIError, match="keeps its survey, version and moment"), store.engine.begin() as c:
                c.execute(update(responses).where(responses.c.id == response.id).values(**change))
        with store.engine.begin() as connection:  # its answers may change (a contact dropped)
            connection.execute(update(responses).where(responses.c.id == response.id).values(answers={}))
        assert_tallied(store, "s")


def test_a_store_from_before_the_tallies_is_tallied_when_opened(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    with ResponseStore.open(store_url, tmp_path) as store:
        store.add([stored("s", (minutes, 7, "riga", None, minutes % 2 == 0)) for minutes in range(0, 600, 7)])
        with store.engine.begin() as connection:  # back to migration 11: no tallies, no triggers
            for name in ("responses", "anonymous_responses"):
                for event in ("insert", "delete", "fixed"):
                    if is_sqlite(store):
                        connection.execute(text(f"DROP TRIGGER tally_{name}_{event}"))
                    else:
                        connection.execute(text(f"DROP FUNCTION tally_{name}_{event}() CASCADE"))
            connection.execute(text("DROP TABLE version_tallies"))
            connection.execute(text("DELETE FROM schema_version WHERE version = 12"))
        store_rows = counted_from_rows(store, "s")
    with ResponseStore.open(store_url, tmp_path) as store:
        assert tallied(store, "s") == store_rows
        store.add([stored("s", (900, 3, "mall", None, False))])
        assert_tallied(store, "s")


def is_sqlite(store: ResponseStore) -> bool:
    return store.engine.dialect.name == "sqlite"
