"""Frames read through answer snapshots equal the store's own frames, whatever happened to the store in between."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from postgres_fixtures import store_url  # noqa: F401  (a fixture)
from sqlalchemy import delete
from test_chart_cache import FIXTURE, store_answers

from sitegen import answer_snapshots
from sitegen.answer_snapshots import AnswerSnapshots
from sitegen.errors import SitegenError
from sitegen.scorecards import compute_scorecards, scorecard_json
from sitegen.site import load_site
from sitegen.store import Field, ResponseStore, StoredResponse
from sitegen.store.changes import note_change
from sitegen.store.retention import Cutoffs, purge_survey
from sitegen.store.schema import responses

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FIELDS = [
    Field("score", "answers", "score", "number"),
    Field("location", "meta", "location", "text"),
    Field("choices", "answers", "choices", "json"),
    Field("contact", "answers", "contact", "text"),
    Field("version", "version", "version", "text"),
]

answer_rows = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 20),  # minutes after START: often before answers already kept
        st.one_of(st.none(), st.integers(0, 10)),
        st.sampled_from([None, "riga", "jelgava", "mall"]),
        st.sampled_from([None, ["a"], ["a", "b"], []]),
        st.booleans(),  # kept apart, as a survey made anonymous later has
    ),
    max_size=12,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), answer_rows),
        st.tuples(st.just("purge"), st.integers(0, 20)),  # answers stored before that day go
        st.tuples(st.just("drop contacts"), st.integers(0, 20)),  # an update: the counts stay
        st.tuples(st.just("build"), st.just(0)),
    ),
    max_size=10,
)


def stored(survey_id: str, row: tuple[int, int | None, str | None, list[str] | None, bool]) -> StoredResponse:
    minutes, score, location, choices, apart = row
    answers: dict[str, Any] = {"contact": "me@example.com"}
    if score is not None:
        answers["score"] = score
    if choices is not None:
        answers["choices"] = choices
    moment = START + dt.timedelta(minutes=minutes)
    return StoredResponse(
        id=uuid.uuid4().hex,
        survey_id=survey_id,
        survey_version="v2" if minutes % 3 else "v1",
        submitted_at=moment.replace(hour=0, minute=0) if apart else moment,
        lang="lv",
        meta={"location": location} if location is not None else {},
        answers=answers,
        is_anonymous=apart,
    )


def apply_step(store: ResponseStore, survey_id: str, step: str, argument: Any) -> None:
    """One step of a `steps` history that changes the store (all but `build`)."""
    if step == "add":
        store.add([stored(survey_id, row) for row in argument])
    elif step == "purge":
        purge_survey(store.engine, Cutoffs(survey_id, answers_before=START + dt.timedelta(days=argument)))
    elif step == "drop contacts":
        before = START + dt.timedelta(days=argument)
        purge_survey(store.engine, Cutoffs(survey_id, contact_questions=("contact",), contacts_before=before))


def assert_same(snapshots: AnswerSnapshots, store: ResponseStore, survey_id: str) -> None:
    through = snapshots.frame(store, survey_id, FIELDS)
    pd.testing.assert_frame_equal(through, store.frame(survey_id, FIELDS))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(history=steps)
def test_frames_through_snapshots_equal_the_store_after_any_history(
    history: list[tuple[str, Any]],
    store_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    survey_id = f"survey-{uuid.uuid4().hex[:8]}"  # every example its own survey and folder, in one store
    snapshots = AnswerSnapshots.open(tmp_path / uuid.uuid4().hex, tmp_path / "output")
    with ResponseStore.open(store_url, tmp_path) as store:
        assert_same(snapshots, store, survey_id)
        for step, argument in history:
            if step == "build":
                assert_same(snapshots, store, survey_id)
            else:
                apply_step(store, survey_id, step, argument)
        assert_same(snapshots, store, survey_id)
        assert_same(snapshots, store, survey_id)  # and again, from the snapshot alone


def test_a_snapshot_is_extended_not_read_again(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    snapshots = AnswerSnapshots.open(tmp_path / "answers", tmp_path / "output")
    with ResponseStore.open(store_url, tmp_path) as store:
        store.add([stored("s", (minutes, 7, "riga", None, False)) for minutes in range(0, 60 * 24 * 10, 60)])
        assert_same(snapshots, store, "s")
        read: list[str] = []
        original = store.encoded_frame

        def counting(survey_id: str, fields: list[Field], since: dt.datetime | None = None) -> pd.DataFrame:
            read.append("whole" if since is None else "since")
            return original(survey_id, fields, since)

        def read_through_snapshot() -> None:
            expected = store.frame("s", FIELDS)
            store.encoded_frame = counting  # type: ignore[method-assign]
            through = snapshots.frame(store, "s", FIELDS)
            store.encoded_frame = original  # type: ignore[method-assign]
            pd.testing.assert_frame_equal(through, expected)

        store.add([stored("s", (60 * 24 * 10 + 5, 9, "mall", ["a"], False))])
        read_through_snapshot()
        assert read == ["since"]
        read_through_snapshot()  # nothing new
        assert read == ["since", "since"]
        store.add([stored("s", (30, 1, "riga", None, False))])  # an old answer, imported late
        read_through_snapshot()
        assert read == ["since", "since", "since", "whole"]


def test_a_change_other_than_an_insert_reads_the_survey_again(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    snapshots = AnswerSnapshots.open(tmp_path / "answers", tmp_path / "output")
    with ResponseStore.open(store_url, tmp_path) as store:
        kept = [stored("s", (minutes, 7, "riga", None, False)) for minutes in (10, 20, 30)]
        store.add(kept)
        assert_same(snapshots, store, "s")
        generation = store.changes().generation
        with store.engine.begin() as connection:  # an erasure's shape: one row gone, one added, the count the same
            connection.execute(delete(responses).where(responses.c.id == kept[0].id))
            note_change(connection)
        store.add([stored("s", (40, 3, "mall", None, False))])
        assert store.changes().generation == generation + 1
        assert_same(snapshots, store, "s")


def test_a_damaged_snapshot_is_read_as_none(tmp_path: Path) -> None:
    snapshots = AnswerSnapshots.open(tmp_path / "answers", tmp_path / "output")
    with ResponseStore.open("sqlite://", tmp_path) as store:
        store.add([stored("s", (10, 7, "riga", None, False))])
        assert_same(snapshots, store, "s")
        for path in (tmp_path / "answers").glob("*.arrow"):
            path.write_bytes(path.read_bytes()[:100])
        assert_same(snapshots, store, "s")


def test_the_snapshot_folder_is_refused_inside_the_output(tmp_path: Path) -> None:
    with pytest.raises(SitegenError, match=r"answer_cache: .* is inside"):
        AnswerSnapshots.open(tmp_path / "output" / "answers", tmp_path / "output")


def published(project: Path, as_of: dt.date) -> dict[str, bytes]:
    figures = compute_scorecards(load_site(project), as_of)
    return {scorecard_id: scorecard_json(scorecard, scorecard_id) for scorecard_id, scorecard in figures.items()}


def test_a_build_through_snapshots_publishes_what_a_full_recomputation_does(tmp_path: Path) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    as_of = dt.date(2026, 6, 30)
    store_answers(project, [9, 10, 7, 3, 9, 10], dt.date(2026, 5, 4))
    before = published(project, as_of)  # writes the snapshots
    assert list((project / ".sitegen-cache" / "answers").glob("*.arrow"))
    store_answers(project, [2, 3, 4, 9, 9, 9, 10], dt.date(2026, 6, 2))  # new answers
    store_answers(project, [0, 1, 5, 6, 8], dt.date(2026, 4, 1))  # old ones, imported late
    through_snapshots = published(project, as_of)
    assert through_snapshots != before
    shutil.rmtree(project / ".sitegen-cache" / "answers")
    assert through_snapshots == published(project, as_of)


def test_the_snapshot_folder_is_configurable(tmp_path: Path) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    config = project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "answer_cache: ../answers-kept\n", encoding="utf-8")
    store_answers(project, [9, 10, 7], dt.date(2026, 5, 4))
    published(project, dt.date(2026, 6, 30))
    assert list((tmp_path / "answers-kept").glob("*.arrow"))
    assert not (project / ".sitegen-cache" / "answers").exists()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["2026-05-01T08:00", "a", "b", "ā"])), max_size=20),
    st.booleans(),
)
def test_a_snapshots_dictionary_columns_read_back_as_pyarrow_would_read_them(
    texts: list[str | None], two_chunks: bool
) -> None:
    frame = pd.DataFrame({"text": pd.Categorical(texts, categories=["b", "a", "unused", "2026-05-01T08:00", "ā"])})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if two_chunks:
        table = pa.concat_tables([table, table])
    pd.testing.assert_frame_equal(answer_snapshots._frame_of(table), table.to_pandas(), check_exact=True)
