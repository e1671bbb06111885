"""The response store, against SQLite (a file) and a real PostgreSQL: every test runs on both."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sitegen.site import load_site
from sitegen.store import Field, ResponseStore, StoredResponse, StoreError, UnstorableResponse, schema
from sitegen.store import responses as responses_module
from sitegen.store.anonymity import anonymous_key
from sitegen.store.engine import create_store_engine, database_url
from sitegen.store.schema import MIGRATIONS, schema_version
from sitegen.versions import survey_version, version_of

UTC = dt.UTC
MOMENT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def make_response(response_id: str = "resp-0001", **changes: Any) -> StoredResponse:
    """A plausible after-visit response; `changes` replaces any field."""
    response = StoredResponse(
        id=response_id,
        survey_id="after-visit",
        survey_version="0123456789abcdef",
        submitted_at=MOMENT,
        lang="lv",
        meta={"location": "riga-centre", "stage": "purchase"},
        answers={"recommend": 9, "liked": ["coffee", "staff"], "aspects": {"coffee": 5}},
    )
    return dataclasses.replace(response, **changes)


def applied_versions(url: str, project_root: Path) -> list[int]:
    engine = create_engine(database_url(url, project_root))
    with engine.connect() as connection:
        versions = list(connection.scalars(select(schema_version.c.version)))
    engine.dispose()
    return versions


# ---- schema -----------------------------------------------------------------------------


def test_first_use_creates_the_tables_and_records_the_schema_version(store_url: str, tmp_path: Path) -> None:
    ResponseStore.open(store_url, tmp_path).close()
    engine = create_engine(database_url(store_url, tmp_path))
    tables = set(inspect(engine).get_table_names())
    indexes = {index["name"] for index in inspect(engine).get_indexes("responses")}
    engine.dispose()
    assert {"responses", "anonymous_responses", "schema_version"} <= tables
    assert {"ix_responses_survey_submitted", "ix_responses_submitted"} <= indexes
    applied = applied_versions(store_url, tmp_path)
    assert applied == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] == [migration.version for migration in MIGRATIONS]


def test_reopening_a_store_keeps_its_responses_and_migrates_nothing(store_url: str, tmp_path: Path) -> None:
    with ResponseStore.open(store_url, tmp_path) as store:
        store.add([make_response()])
    with ResponseStore.open(store_url, tmp_path) as store:
        assert store.get("resp-0001") == make_response()
    assert applied_versions(store_url, tmp_path) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]


def test_a_store_from_a_newer_sitegen_is_refused(store_url: str, tmp_path: Path) -> None:
    ResponseStore.open(store_url, tmp_path).close()
    engine = create_engine(database_url(store_url, tmp_path))
    with engine.begin() as connection:
        connection.execute(schema_version.insert().values(version=99, description="from the future", applied_at=MOMENT))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 99, newer than this sitegen knows"):
        ResponseStore.open(store_url, tmp_path)


def test_a_migrated_store_opens_while_a_collector_holds_the_write_lock(tmp_path: Path) -> None:
    """A build reads figures while collectors write: opening a store that has every step takes no write lock."""
    url = "sqlite:///data/responses.sqlite3"
    (tmp_path / "data").mkdir()
    ResponseStore.open(url, tmp_path).close()
    writer = sqlite3.connect(tmp_path / "data" / "responses.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a collector's batch holds while it writes
    opened = threading.Event()

    def open_for_reading() -> None:
        ResponseStore.open_for_reading(url, tmp_path).close()
        opened.set()

    reader = threading.Thread(target=open_for_reading, daemon=True)
    reader.start()
    try:
        assert opened.wait(timeout=10), "opening waited for the writer (the busy timeout is 30 s)"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.join()


def test_processes_opening_a_new_store_at_once_create_the_schema_once(store_url: str, tmp_path: Path) -> None:
    """Ten new stores (SQLite: ten new files), each opened by eight at once. Before the switch to WAL waited as the
    busy timeout does, a new SQLite file was found locked now and then on a busy machine (a CI run; 1 round in 8 of
    a stress script, none in 300 after)."""
    failures: list[BaseException] = []
    for round_number in range(10):
        root = tmp_path / f"round-{round_number}"

        def open_and_close(root: Path = root) -> None:
            try:
                ResponseStore.open(store_url, root).close()
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=open_and_close) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert applied_versions(store_url, root) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]


# ---- adding, idempotently ------------------------------------------------------------------


def test_a_new_response_is_stored_and_read_back_unchanged(store: ResponseStore) -> None:
    assert store.add([make_response()]) == [True]
    assert store.get("resp-0001") == make_response()
    assert store.count() == 1


def test_an_unknown_id_gives_none(store: ResponseStore) -> None:
    assert store.get("never-stored") is None


def test_the_same_id_again_is_not_stored_twice_and_never_updates_the_first(store: ResponseStore) -> None:
    store.add([make_response()])
    resubmitted = make_response(answers={"recommend": 0}, lang="en", submitted_at=MOMENT + dt.timedelta(hours=1))
    assert store.add([resubmitted]) == [False]
    assert store.count() == 1
    assert store.get("resp-0001") == make_response()


def test_duplicates_inside_one_batch_keep_the_first(store: ResponseStore) -> None:
    batch = [
        make_response("resp-0001"),
        make_response("resp-0002"),
        make_response("resp-0001", answers={"recommend": 1}),
        make_response("resp-0002", answers={"recommend": 2}),
    ]
    assert store.add(batch) == [True, True, False, False]
    assert store.count() == 2
    assert store.get("resp-0001") == make_response("resp-0001")


def test_a_batch_mixing_stored_and_new_ids_reports_each(store: ResponseStore) -> None:
    store.add([make_response("resp-0002")])
    assert store.add([make_response(f"resp-000{n}") for n in (1, 2, 3)]) == [True, False, True]


def test_an_empty_batch_stores_nothing(store: ResponseStore) -> None:
    assert store.add([]) == []
    assert store.count() == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"submitted_at": dt.datetime(2026, 5, 1, 10, 0)}, "submitted_at has no time zone"),
        ({"answers": {"aspects": {"coffee": ["a\x00b"]}}}, "answers holds a NUL character"),
        ({"meta": {"location\x00": "x"}}, "meta holds a NUL character"),
        ({"answers": {"visits": float("nan")}}, "answers holds the number nan"),
        ({"answers": {"visits": [float("-inf")]}}, "answers holds the number -inf"),
        ({"answers": {"when": MOMENT}}, "answers holds a datetime, which JSON cannot hold"),
        ({"answers": {1: "x"}}, "answers holds a key that is not text"),
    ],
    ids=["naive time", "NUL in text", "NUL in key", "NaN", "infinity", "not JSON", "number key"],
)
def test_a_response_no_back_end_can_keep_is_refused_before_anything_is_written(
    store: ResponseStore, change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValueError, match=f"^response 'resp-0002' cannot be stored: {reason}$"):
        store.add([make_response("resp-0001"), make_response("resp-0002", **change)])
    assert store.count() == 0


def test_concurrent_writers_store_each_id_exactly_once_without_deadlocks(store: ResponseStore) -> None:
    outcomes: list[tuple[str, bool]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        try:
            for start in range(0, 2000, 100):  # every worker sends the same ids; half of them send each batch backwards
                batch = [make_response(f"resp-{n:04d}", lang=str(worker)) for n in range(start, start + 100)][
                    :: 1 - 2 * (worker % 2)
                ]
                is_new = store.add(batch)
                with lock:
                    outcomes.extend((response.id, new) for response, new in zip(batch, is_new, strict=True))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(outcomes) == 6 * 2000
    assert sorted(response_id for response_id, new in outcomes if new) == [f"resp-{n:04d}" for n in range(2000)]
    assert store.count() == 2000


# ---- what comes back ---------------------------------------------------------------------------


def test_unicode_emoji_and_long_text_come_back_exactly(store: ResponseStore) -> None:
    answers = {
        "improve": "Ļoti garšīga kafija, bet rinda bija gara. Очень вкусно! 👍🏽☕ "
        "\"quoted\" 'single' \\ back\nnew line\ttab",
        "long": "ā" * 100_000,
        "edge": "\u2028\u2029\x85 zero-width\u200b joiner👨‍👩‍👧",
    }
    store.add([make_response(answers=answers, meta={"location": "jelgava", "note": "Rīga — 🚲"})])
    stored = store.get("resp-0001")
    assert stored is not None
    assert stored.answers == answers
    assert stored.meta == {"location": "jelgava", "note": "Rīga — 🚲"}


def test_json_types_come_back_as_the_same_types(store: ResponseStore) -> None:
    answers = {
        "int": 9,
        "zero": 0,
        "negative": -3,
        "big": 10**15,
        "float": 3.25,
        "small": 1.5e-7,
        "bool": True,
        "none": None,
        "list": ["coffee", "staff"],
        "empty": [],
        "nested": {"coffee": 5, "deeper": {"a": [1, 2.5, "x"]}},
    }
    store.add([make_response(answers=answers)])
    stored = store.get("resp-0001")
    assert stored is not None
    assert stored.answers == answers
    assert {key: type(value) for key, value in stored.answers.items()} == {
        key: type(value) for key, value in answers.items()
    }


JSON_TEXT = st.text(  # what the store keeps: no NUL, surrogates or noncharacters (Cn holds the noncharacters)
    st.characters(codec="utf-8", blacklist_characters="\x00", blacklist_categories=("Cn",)), max_size=40
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(-1e15, 1e15) | JSON_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(JSON_TEXT, JSON_VALUES, max_size=6))
def test_any_json_answers_come_back_equal(store: ResponseStore, answers: dict[str, Any]) -> None:
    response_id = f"resp-{uuid.uuid4().hex}"  # one store serves every example
    store.add([make_response(response_id, answers=answers)])
    stored = store.get(response_id)
    assert stored is not None and stored.answers == answers


def test_submitted_at_comes_back_in_utc_to_the_microsecond(store: ResponseStore) -> None:
    riga = dt.timezone(dt.timedelta(hours=3))
    store.add([make_response(submitted_at=dt.datetime(2026, 5, 1, 13, 0, 5, 123456, tzinfo=riga))])
    stored = store.get("resp-0001")
    assert stored is not None
    assert stored.submitted_at == dt.datetime(2026, 5, 1, 10, 0, 5, 123456, tzinfo=UTC)
    assert stored.submitted_at.tzinfo == UTC


def test_responses_come_oldest_first_then_by_id_and_filter_by_survey(store: ResponseStore) -> None:
    later, earlier = MOMENT + dt.timedelta(minutes=1), MOMENT - dt.timedelta(days=1)
    store.add(
        [
            make_response("resp-c", submitted_at=later),
            make_response("resp-b", submitted_at=MOMENT),
            make_response("resp-a", submitted_at=MOMENT),
            make_response("resp-x", survey_id="journey-order", submitted_at=earlier),
            make_response(
                "resp-d", submitted_at=MOMENT.astimezone(dt.timezone(dt.timedelta(hours=-5))) + dt.timedelta(seconds=30)
            ),
        ]
    )
    assert [r.id for r in store.responses()] == ["resp-x", "resp-a", "resp-b", "resp-d", "resp-c"]
    assert [r.id for r in store.responses("after-visit")] == ["resp-a", "resp-b", "resp-d", "resp-c"]
    assert [r.id for r in store.responses("no-such-survey")] == []
    assert (store.count(), store.count("after-visit"), store.count("journey-order"), store.count("nope")) == (
        5,
        4,
        1,
        0,
    )


def test_twenty_thousand_responses_stream_without_being_loaded_at_once(store: ResponseStore) -> None:
    total, comment = 20_000, "x" * 1000
    for start in range(0, total, 1000):
        store.add(
            [
                make_response(
                    f"resp-{n:06d}", submitted_at=MOMENT + dt.timedelta(seconds=n), answers={"improve": comment}
                )
                for n in range(start, start + 1000)
            ]
        )
    tracemalloc.start()
    try:
        previous, seen = "", 0
        for response in store.responses("after-visit"):
            assert response.id > previous
            previous, seen = response.id, seen + 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == total
    assert peak < 8_000_000, f"{peak / 1e6:.1f} MB held while streaming ~20 MB of answers"


def test_a_half_read_stream_lets_others_write_and_closes_cleanly(store: ResponseStore) -> None:
    store.add([make_response(f"resp-{n:04d}", submitted_at=MOMENT + dt.timedelta(seconds=n)) for n in range(3)])
    stream = store.responses()
    assert next(stream).id == "resp-0000"
    assert store.add([make_response("resp-late")]) == [True]
    stream.close()
    assert store.count() == 4


# ---- anonymity: nothing orders a day's anonymous answers by their arrival ----------------------

DAY = dt.datetime(2026, 11, 19, 22, 0, tzinfo=UTC)  # midnight in Riga: all an anonymous response keeps of its time
NEXT_DAY = DAY + dt.timedelta(days=1)


def anonymous_response(response_id: str, submitted_at: dt.datetime = DAY) -> StoredResponse:
    """An employee-survey response as the collector keeps it; every one alike but for its id."""
    return make_response(
        response_id,
        survey_id="employee-annual",
        submitted_at=submitted_at,
        meta={},
        answers={"training": 4},
        is_anonymous=True,
    )


def raw(store_url: str, project_root: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the database itself, past the store's API."""
    engine = create_engine(database_url(store_url, project_root))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def arrive(store: ResponseStore, pattern: list[str]) -> list[str]:
    """Post the pattern's batches, each one transaction (a group commit): C a customer answer a microsecond
    after the last, A an anonymous one today, B one tomorrow; the anonymous ids in the order they arrived.

    Anonymous ids count up with time, as a client's clock-based ids would.
    """
    clock = dt.datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    arrived: list[str] = []
    for batch in pattern:
        responses = []
        for kind in batch:
            clock += dt.timedelta(microseconds=1)
            if kind == "C":
                responses.append(make_response(f"customer-{clock:%H%M%S%f}", submitted_at=clock))
            else:
                arrived.append(f"{clock:%Y%m%dT%H%M%S%f}-{kind}")
                responses.append(anonymous_response(arrived[-1], DAY if kind == "A" else NEXT_DAY))
        store.add(responses)
    return arrived


ARRIVALS = {
    "one at a time between customer answers": ["C", "A", "C", "A", "C", "A", "C", "A", "C", "A", "C", "A", "C"],
    "a burst in one group commit": ["C", "AAAAAAA", "C"],
    "group commits mixing both kinds": ["CA", "AC", "CAA", "A", "CC", "AAC", "A"],
    "two days interleaved": ["A", "B", "CA", "B", "A", "BC", "A", "B", "A"],
    "anonymous answers only": ["A"] * 8,
}

QUERIES = {
    "sqlite": [
        "SELECT key, submitted_at FROM anonymous_responses",
        *(
            f"SELECT key, submitted_at FROM anonymous_responses ORDER BY {column}, key"
            for column in ("survey_id", "survey_version", "submitted_at", "lang", "meta", "answers")
        ),
    ],
    "postgresql": [
        "SELECT key, submitted_at FROM anonymous_responses",
        "SELECT key, submitted_at FROM anonymous_responses ORDER BY ctid",
        "SELECT key, submitted_at FROM anonymous_responses ORDER BY xmin::text::bigint, key",
        *(
            f"SELECT key, submitted_at FROM anonymous_responses ORDER BY {column}::text, key"
            for column in ("survey_id", "survey_version", "submitted_at", "lang", "meta", "answers")
        ),
    ],
}


def day_orders(rows: list[tuple[Any, ...]]) -> dict[str, list[str]]:
    """Per day, the keys in the order the query gave them."""
    orders: dict[str, list[str]] = {}
    for key, submitted_at in rows:
        orders.setdefault(str(submitted_at)[:10], []).append(key)
    return orders


@pytest.mark.parametrize("pattern", ARRIVALS.values(), ids=ARRIVALS.keys())
def test_no_query_orders_the_anonymous_answers_of_a_day_by_their_arrival(
    store: ResponseStore, store_url: str, tmp_path: Path, pattern: list[str]
) -> None:
    arrived = arrive(store, pattern)
    backend = make_url(store_url).get_backend_name()
    keys = {anonymous_key(response_id) for response_id in arrived}
    # Not among the customer answers (no neighbours with exact times), and under no id a client chose.
    assert raw(store_url, tmp_path, "SELECT count(*) FROM responses WHERE survey_id = 'employee-annual'") == [(0,)]
    assert {key for (key,) in raw(store_url, tmp_path, "SELECT key FROM anonymous_responses")} == keys
    everything = str(raw(store_url, tmp_path, "SELECT * FROM anonymous_responses"))
    assert not any(response_id in everything for response_id in arrived)
    arrival_by_day = day_orders([(anonymous_key(i), DAY if i.endswith("-A") else NEXT_DAY) for i in arrived])
    key_order = {day: sorted(day_keys) for day, day_keys in arrival_by_day.items()}
    assert arrival_by_day != key_order  # the case means something: arrival order is not key order
    for query in QUERIES[backend]:
        assert day_orders(raw(store_url, tmp_path, query)) == key_order, query
    through_the_api = [(r.id, r.submitted_at) for r in store.responses("employee-annual")]
    assert day_orders(through_the_api) == key_order
    assert [r.id for r in store.responses("employee-annual")] == [
        key for day in sorted(key_order) for key in key_order[day]
    ]
    if backend == "postgresql":  # one rewrite per day: every row of a day from one transaction
        per_day = raw(
            store_url, tmp_path, "SELECT submitted_at, count(DISTINCT xmin::text) FROM anonymous_responses GROUP BY 1"
        )
        assert {count for _, count in per_day} == {1}
    else:
        with pytest.raises(OperationalError, match="no such column: rowid"):
            raw(store_url, tmp_path, "SELECT rowid FROM anonymous_responses")


def test_an_anonymous_answer_posted_again_is_already_stored_and_found_by_its_id(store: ResponseStore) -> None:
    assert store.add([anonymous_response("retry-0001")]) == [True]
    assert store.add([anonymous_response("retry-0001"), anonymous_response("retry-0001")]) == [False, False]
    stored = store.get("retry-0001")
    assert stored is not None and stored.is_anonymous and stored.id == anonymous_key("retry-0001")
    assert store.get(stored.id) == stored  # an exported key finds it too, and adds nothing again
    assert store.add([stored]) == [False]
    assert store.count() == 1


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (make_response("flip-0001", survey_id="employee-annual"), anonymous_response("flip-0001")),
        (anonymous_response("flip-0001"), make_response("flip-0001", survey_id="employee-annual")),
    ],
    ids=["made anonymous later", "anonymity dropped later"],
)
def test_an_id_is_stored_once_even_when_its_survey_changed_anonymity(
    store: ResponseStore, store_url: str, tmp_path: Path, first: StoredResponse, again: StoredResponse
) -> None:
    """A form re-sent after its survey's `anonymous` changed, also by a store opened after the first answer."""
    assert store.add([first]) == [True]
    with ResponseStore.open(store_url, tmp_path) as reopened:
        assert reopened.add([again]) == [False]
    assert store.add([again]) == [False]
    assert store.count() == 1


def test_concurrent_anonymous_writers_of_one_day_lose_nothing_and_leave_key_order(
    store: ResponseStore, store_url: str, tmp_path: Path
) -> None:
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(25):
                store.add([anonymous_response(f"worker{worker}-{n:04d}"), make_response(f"customer{worker}-{n:04d}")])
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.count("employee-annual") == 100 and store.count() == 200
    keys = sorted(anonymous_key(f"worker{worker}-{n:04d}") for worker in range(4) for n in range(25))
    physical = "ctid" if make_url(store_url).get_backend_name() == "postgresql" else "key"
    assert [
        key for (key,) in raw(store_url, tmp_path, f"SELECT key FROM anonymous_responses ORDER BY {physical}")
    ] == keys


def version_1_store(store_url: str, project_root: Path, rows: list[StoredResponse]) -> None:
    """A store as sitegen wrote it before anonymous answers were kept apart: one table, every row in it."""
    engine = create_store_engine(database_url(store_url, project_root))
    with engine.begin() as connection:
        schema_version.create(connection)
        schema.responses.create(connection)
        connection.execute(schema_version.insert(), [{"version": 1, "description": "v1", "applied_at": MOMENT}])
        columns = [column.name for column in schema.responses.columns]
        connection.execute(schema.responses.insert(), [{name: getattr(row, name) for name in columns} for row in rows])
    engine.dispose()


def test_opening_an_older_store_for_a_site_moves_its_anonymous_rows_apart(store_url: str, tmp_path: Path) -> None:
    older = [
        make_response("customer-0001"),
        *(make_response(f"employee-{n:04d}", survey_id="employee-annual", submitted_at=DAY) for n in range(5)),
    ]
    version_1_store(store_url, tmp_path, older)
    with ResponseStore.open(store_url, tmp_path) as store:  # a build: it reads, and knows no surveys
        assert store.count() == 6 and store.get("employee-0000") == older[1]
    with ResponseStore.open(store_url, tmp_path, anonymous_surveys=["employee-annual"]) as store:
        assert store.count() == 6
        moved = store.get("employee-0000")
        assert moved is not None and moved.is_anonymous and moved.answers == older[1].answers
        assert store.get("customer-0001") == older[0]
    assert applied_versions(store_url, tmp_path) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert raw(store_url, tmp_path, "SELECT id FROM responses") == [("customer-0001",)]
    physical = "ctid" if make_url(store_url).get_backend_name() == "postgresql" else "key"
    keys = [key for (key,) in raw(store_url, tmp_path, f"SELECT key FROM anonymous_responses ORDER BY {physical}")]
    assert keys == sorted(anonymous_key(f"employee-{n:04d}") for n in range(5))


# ---- one transaction for many batches ------------------------------------------------------------


def test_a_transaction_that_fails_keeps_none_of_its_batches(store: ResponseStore) -> None:
    store.add([make_response("before-0001")])
    with pytest.raises(RuntimeError), store.transaction() as add:
        assert add([make_response("batch-0001"), anonymous_response("batch-0002")]) == [True, True]
        assert add([make_response("batch-0003")]) == [True]
        raise RuntimeError("the import stopped")
    assert [response.id for response in store.responses()] == ["before-0001"]


def test_a_response_the_database_refuses_is_named_and_nothing_of_its_transaction_is_kept(
    store: ResponseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses_module, "check_storable", lambda response: None)  # let it reach the database
    store.add([make_response("before-0001")])
    refused = make_response("refused-0002", answers={"improve": "lone \ud800 surrogate"})
    with pytest.raises(UnstorableResponse) as raised, store.transaction() as add:
        add([make_response("batch-0001")])
        add([make_response("batch-0002"), refused, make_response("batch-0003")])
    assert raised.value.response is refused and "surrogate" in raised.value.reason
    assert [response.id for response in store.responses()] == ["before-0001"]


def test_a_lone_surrogate_is_refused_before_anything_is_written(store: ResponseStore) -> None:
    with pytest.raises(ValueError, match=r"^response 'resp-0002' cannot be stored: meta holds the character U\+DFFF"):
        store.add([make_response("resp-0001"), make_response("resp-0002", meta={"note": "\udfff"})])
    assert store.count() == 0


# ---- where the store lives ---------------------------------------------------------------------


def test_a_relative_sqlite_path_is_inside_the_project_and_its_folder_is_created(tmp_path: Path) -> None:
    with ResponseStore.open("sqlite:///data/sub/responses.sqlite3", tmp_path) as store:
        store.add([make_response()])
    assert (tmp_path / "data" / "sub" / "responses.sqlite3").is_file()


def test_sqlite_files_are_durable_and_shared_wal_full_sync_busy_timeout(tmp_path: Path) -> None:
    engine = create_store_engine(database_url("sqlite:///responses.sqlite3", tmp_path))
    with engine.connect() as connection:
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout")
        ]
    engine.dispose()
    assert pragmas == ["wal", 2, 30_000]


def test_an_in_memory_store_serves_every_thread(tmp_path: Path) -> None:
    with ResponseStore.open("sqlite://", tmp_path) as store:
        writer = threading.Thread(target=store.add, args=([make_response()],))
        writer.start()
        writer.join()
        assert store.count() == 1
    assert list(tmp_path.iterdir()) == []


def test_postgresql_urls_use_psycopg_3(tmp_path: Path) -> None:
    assert database_url("postgresql://u:p@db.example/sitegen", tmp_path).drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@db/x", tmp_path).drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/x", "'mysql' databases are not supported"),
        ("not a url", "is not a database URL"),
    ],
)
def test_unsupported_store_urls_are_refused(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        ResponseStore.open(url, tmp_path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "responses.sqlite3").write_text("these are not the responses you are looking for\n" * 100)
    with pytest.raises(
        StoreError,
        match=r"cannot open the response store sqlite\+pysqlite:///.*responses.sqlite3: file is not a database",
    ):
        ResponseStore.open("sqlite:///responses.sqlite3", tmp_path)


def test_an_unreachable_server_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    with socket_nobody_listens_on() as port, pytest.raises(StoreError) as refused:
        ResponseStore.open(f"postgresql://owner:s3cret@127.0.0.1:{port}/sitegen?connect_timeout=2", tmp_path)
    assert "cannot open the response store postgresql+psycopg://owner:***@127.0.0.1" in str(refused.value)
    assert "s3cret" not in str(refused.value)


@contextlib.contextmanager
def socket_nobody_listens_on() -> Iterator[int]:
    """A local port that refuses connections: bound, never listening."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield int(bound.getsockname()[1])


# ---- survey versions ---------------------------------------------------------------------------


def test_survey_version_is_a_digest_of_meanings_kept_through_label_edits(minimal_project: Path) -> None:
    survey = load_site(minimal_project).surveys[0].model
    version = survey_version(survey)
    assert len(version) == 16 and int(version, 16) >= 0
    assert survey_version(load_site(minimal_project).surveys[0].model) == version
    relabelled = survey.model_copy(update={"title": survey.questions[0].label})
    assert survey_version(relabelled) == version
    first = survey.questions[0]
    helped = first.model_copy(update={"help": first.label, "label": survey.title})
    assert survey_version(survey.model_copy(update={"questions": [helped, *survey.questions[1:]]})) == version
    reordered = survey.model_copy(update={"questions": list(reversed(survey.questions))})
    assert survey_version(reordered) == version
    renamed = first.model_copy(update={"id": "renamed"})
    assert survey_version(survey.model_copy(update={"questions": [renamed, *survey.questions[1:]]})) != version


def test_a_store_keeps_each_version_once_with_its_first_definition(store: ResponseStore, minimal_project: Path) -> None:
    survey = load_site(minimal_project).surveys[0].model
    first = version_of(survey, dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    relabelled = survey.model_copy(update={"title": survey.questions[0].label})
    later = version_of(relabelled, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    store.record_versions([first])
    store.record_versions([later])
    assert store.versions() == [first]
    assert store.versions(survey.id)[0].survey() == survey


# ---- a process killed while writing ------------------------------------------------------------

WRITER = """
import datetime as dt, pathlib, sys
from sitegen.store import ResponseStore, StoredResponse
store = ResponseStore.open(sys.argv[1], pathlib.Path(sys.argv[2]))
batch = int(sys.argv[3])
while True:
    now = dt.datetime.now(dt.timezone.utc)
    store.add([StoredResponse(f"b{batch:06d}-{n:03d}", "after-visit", "v1", now, "lv", {}, {"improve": "x" * 300})
               for n in range(50)])
    print(batch, flush=True)
    batch += 1
"""


def test_a_writer_killed_mid_write_leaves_an_intact_store_with_every_acknowledged_batch(tmp_path: Path) -> None:
    url, acknowledged, next_batch = "sqlite:///responses.sqlite3", [], 0
    for delay in (0.0, 0.003, 0.011):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(tmp_path), str(next_batch)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        started = [int(child.stdout.readline()) for _ in range(20)]
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        assert child.returncode == -signal.SIGKILL
        batches = started + [int(line) for line in rest.split()]
        acknowledged += batches
        next_batch = batches[-1] + 1000

        with sqlite3.connect(tmp_path / "responses.sqlite3") as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        with ResponseStore.open(url, tmp_path) as store:
            stored = {response.id for response in store.responses()}
        assert {f"b{batch:06d}-{n:03d}" for batch in acknowledged for n in range(50)} <= stored
        assert len(stored) % 50 == 0, "a batch was stored in part"


def test_a_frame_picks_answers_and_meta_out_of_the_json_in_the_database(store: ResponseStore) -> None:
    store.add(
        [
            make_response("resp-0001", answers={"recommend": 9, "liked": ["coffee"], "met": "met"}),
            make_response(
                "resp-0002",
                submitted_at=MOMENT + dt.timedelta(hours=1),
                answers={"recommend": 3},
                meta={"location": "jelgava"},
            ),
            make_response("other-0001", survey_id="complaint-log"),
        ]
    )
    fields = [
        Field("recommend", "answers", "recommend", "number"),
        Field("liked", "answers", "liked", "json"),
        Field("met", "answers", "met", "text"),
        Field("location", "meta", "location", "text"),
    ]
    frame = store.frame("after-visit", fields)
    assert list(frame["recommend"]) == [9.0, 3.0]
    assert list(frame["liked"]) == [["coffee"], None]
    assert frame["met"].iloc[0] == "met" and frame["met"].isna().iloc[1]
    assert list(frame["location"]) == ["riga-centre", "jelgava"]
    assert list(frame["submitted_at"]) == [MOMENT, MOMENT + dt.timedelta(hours=1)]


def test_a_frame_read_in_several_batches_keeps_the_order_oldest_first_ties_by_id(
    store: ResponseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses_module, "FRAME_BATCH", 2)
    ids = ["e", "a", "d", "c", "b"]
    store.add(
        [
            make_response(
                f"resp-{name}",
                submitted_at=MOMENT + dt.timedelta(minutes=position // 2),
                answers={"recommend": position},
            )
            for position, name in enumerate(ids)
        ]
    )
    frame = store.frame("after-visit", [Field("recommend", "answers", "recommend", "number")])
    # minute 0: e(0), a(1) -> a, e; minute 1: d(2), c(3) -> c, d; minute 2: b(4)
    assert list(frame["recommend"]) == [1.0, 0.0, 3.0, 2.0, 4.0]
    assert frame["submitted_at"].is_monotonic_increasing


def test_a_frame_of_a_survey_without_responses_is_empty_with_its_columns(store: ResponseStore) -> None:
    frame = store.frame(
        "after-visit",
        [Field("recommend", "answers", "recommend", "number"), Field("location", "meta", "location", "text")],
    )
    assert frame.empty and list(frame.columns) == ["submitted_at", "recommend", "location"]


def test_open_texts_are_strings_and_repeating_texts_categories_read_in_one_batch_or_several(
    store: ResponseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    comments = ["Ļoti garšīgi", None, "slow", "slow", "Ļoti garšīgi"]
    store.add(
        [
            make_response(f"resp-{position}", submitted_at=MOMENT + dt.timedelta(minutes=position), answers=answers)
            for position, comment in enumerate(comments)
            for answers in [{"comment": comment, "met": "met"} if comment is not None else {"met": "met"}]
        ]
    )
    fields = [Field("comment", "answers", "comment", "open_text"), Field("met", "answers", "met", "text")]
    whole = store.frame("after-visit", fields)
    monkeypatch.setattr(responses_module, "FRAME_BATCH", 2)
    batched = store.frame("after-visit", fields)
    for frame in (whole, batched):
        assert not isinstance(frame["comment"].dtype, pd.CategoricalDtype)
        assert pd.api.types.is_string_dtype(frame["comment"].dtype)
        assert isinstance(frame["met"].dtype, pd.CategoricalDtype)
        assert [None if pd.isna(text) else text for text in frame["comment"]] == comments
    pd.testing.assert_frame_equal(whole, batched)
