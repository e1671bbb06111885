"""Incentive codes in the store, on SQLite and PostgreSQL: kept with their response, used once, erased with it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import inspect, select

from sitegen.cases.model import CaseOpening
from sitegen.incentive_codes import CodeKey, canonical_code
from sitegen.store import ResponseStore, StoredResponse
from sitegen.store.codes import UnknownCode
from sitegen.store.schema import case_events, codes_used, incentive_codes

UTC = dt.UTC
MOMENT = dt.datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
KEY = CodeKey(b"a-test-secret-that-is-long-enough-for-hmac-0123")


def response(response_id: str, *, anonymous: bool = False, opens_case: bool = False) -> StoredResponse:
    opening = CaseOpening("riga-centre", "lv", {"score": 3}, None, MOMENT, MOMENT + dt.timedelta(days=2))
    stored = StoredResponse(
        id=response_id,
        survey_id="after-visit",
        survey_version="0123456789abcdef",
        submitted_at=MOMENT,
        lang="lv",
        meta={"location": "riga-centre"},
        answers={"recommend": 3},
        is_anonymous=anonymous,
        opens_case=opening if opens_case else None,
    )
    return dataclasses.replace(stored, shows_code=KEY.issued(stored.id, stored.key, "after-visit", "riga-centre"))


def lookup_of(response_id: str) -> str:
    canonical = canonical_code(KEY.code(response_id))
    assert canonical is not None
    return KEY.lookup(canonical)


def test_a_code_is_kept_with_its_response_once_and_checks(store: ResponseStore) -> None:
    assert store.add([response("resp-0001"), response("resp-0001")]) == [True, False]
    assert store.add([response("resp-0001")]) == [False]
    state = store.codes.state(lookup_of("resp-0001"))
    assert state is not None
    assert (state.survey_id, state.location, state.is_used) == ("after-visit", "riga-centre", False)
    assert store.codes.state(lookup_of("resp-0002")) is None


def test_the_store_keeps_neither_the_code_nor_the_response_id_in_the_codes_row(store: ResponseStore) -> None:
    store.add([response("resp-0001")])
    with store.engine.connect() as connection:
        [row] = connection.execute(select(incentive_codes)).mappings().all()
    kept = repr(dict(row))
    assert KEY.code("resp-0001").replace("-", "") not in kept and "resp-0001" not in kept


def test_a_refused_batch_keeps_no_code(store: ResponseStore) -> None:
    bad = dataclasses.replace(response("resp-0002"), answers={"x": "\x00"})
    with pytest.raises(ValueError, match="cannot be stored"):
        store.add([response("resp-0001"), bad])
    assert store.codes.state(lookup_of("resp-0001")) is None


def test_a_code_is_used_once_and_the_second_use_finds_the_first(store: ResponseStore) -> None:
    store.add([response("resp-0001")])
    state, is_first = store.codes.mark_used(lookup_of("resp-0001"), "anna@saulite.example", MOMENT)
    assert is_first and state.used_at == MOMENT and state.used_by == "anna@saulite.example"
    later = MOMENT + dt.timedelta(hours=1)
    again, is_first = store.codes.mark_used(lookup_of("resp-0001"), "juris@saulite.example", later)
    assert not is_first and (again.used_at, again.used_by) == (MOMENT, "anna@saulite.example")
    with pytest.raises(UnknownCode):
        store.codes.mark_used(lookup_of("resp-0002"), "anna@saulite.example", MOMENT)


@pytest.mark.parametrize("anonymous", [False, True], ids=["customer", "anonymous"])
def test_erasing_by_code_removes_the_answer_and_its_case_once(store: ResponseStore, anonymous: bool) -> None:
    store.add([response("resp-0001", anonymous=anonymous, opens_case=True), response("resp-0002")])
    erasure = store.codes.erase(KEY, KEY.code("resp-0001").lower())
    assert erasure.survey_id == "after-visit" and not erasure.was_erased_before
    assert erasure.removed_case is not anonymous  # an anonymous answer opens no case
    assert store.get("resp-0001") is None and store.get("resp-0002") is not None
    assert store.cases.for_response("resp-0001") is None
    with store.engine.connect() as connection:
        assert connection.scalar(select(case_events.c.case_id)) is None
    again = store.codes.erase(KEY, KEY.code("resp-0001"))
    assert again.was_erased_before and not again.removed_case
    state = store.codes.state(lookup_of("resp-0001"))
    assert state is not None and not state.is_used  # the code still says what it said at the till


@pytest.mark.parametrize("typed", ["nonsense", "K7QM4-XPAR2"])
def test_erasing_by_a_code_never_shown_is_a_clear_error(store: ResponseStore, typed: str) -> None:
    store.add([response("resp-0001")])
    with pytest.raises(UnknownCode, match=f"'{typed}' is not a code this site showed"):
        store.codes.erase(KEY, typed)
    assert store.get("resp-0001") is not None


def test_the_codes_tables_have_no_rowid_on_sqlite(tmp_path: object) -> None:
    with ResponseStore.open("sqlite://", tmp_path) as store:  # type: ignore[arg-type]
        with store.engine.connect() as connection:
            for table in (incentive_codes, codes_used):
                sql = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = ?", (table.name,)
                ).scalar_one()
                assert "WITHOUT ROWID" in sql
        assert {"incentive_codes", "codes_used"} <= set(inspect(store.engine).get_table_names())
