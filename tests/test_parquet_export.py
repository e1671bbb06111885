"""`responses export --format parquet`: a Hive-partitioned dataset with typed columns, read by pyarrow and DuckDB."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from test_interchange import (  # the example site and its samples, which answer every question type
    EMPLOYEE_REQUIRED,
    SAMPLES,
    example_project_files,
    keep,
    memory_store,
    run,
    samples,
    site,
    stored,
    version_in,
)

from sitegen import parquet_export
from sitegen.interchange import InterchangeError, open_store
from sitegen.parquet_export import export_parquet
from sitegen.site import Site, load_site
from sitegen.store import ResponseStore, StoredResponse

__all__ = ["example_project_files", "memory_store", "samples", "site"]  # fixtures, used by name


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def read_survey(folder: Path, survey_id: str) -> pa.Table:
    return pq.read_table(folder / f"survey={survey_id}")


def test_the_dataset_is_partitioned_by_survey_and_month(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    june = dataclasses.replace(samples[1], id="visit-0003", submitted_at=dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))
    # 30 April 22:30 UTC is 1 May in Riga: the month is the site's, as scorecards count it.
    may_in_riga = dataclasses.replace(
        samples[1], id="visit-0004", submitted_at=dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC)
    )
    keep(site, memory_store, [*samples, june, may_in_riga])
    assert export_parquet(site, memory_store, tmp_path / "out") == len(samples) + 2
    assert files_in(tmp_path / "out") == [
        "survey=after-visit/month=2026-05/part-0.parquet",
        "survey=after-visit/month=2026-06/part-0.parquet",
        "survey=complaint-log/month=2026-05/part-0.parquet",
        "survey=employee-annual/month=2026-11/part-0.parquet",
        "survey=journey-order/month=2026-05/part-0.parquet",
    ]
    dataset = ds.dataset(tmp_path / "out" / "survey=after-visit", format="parquet", partitioning="hive")
    months = dataset.to_table(columns=["id", "month"]).to_pylist()
    assert months == [
        {"id": "visit-0004", "month": "2026-05"},
        {"id": "visit-0001", "month": "2026-05"},
        {"id": "visit-0002", "month": "2026-05"},
        {"id": "visit-0003", "month": "2026-06"},
    ]


def test_columns_are_typed_by_question_type_and_values_round_trip(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    keep(site, memory_store, samples)
    export_parquet(site, memory_store, tmp_path / "out")
    visits = read_survey(tmp_path / "out", "after-visit")
    schema = visits.schema
    assert schema.field("submitted_at").type == pa.timestamp("us", "UTC")
    assert schema.field("recommend").type == pa.int64()  # nps
    assert schema.field("liked").type == pa.list_(pa.string())  # multiple
    assert schema.field("aspects").type == pa.struct(
        [(item, pa.int64()) for item in ("coffee", "food", "cleanliness", "speed", "friendliness")]
    )
    assert schema.field("meta.location").type == pa.string()
    first, second = visits.to_pylist()
    assert first["id"] == "visit-0001" and first["version"] == version_in(site, "after-visit")
    assert first["submitted_at"] == dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    assert first["recommend"] == 6 and first["liked"] == ["coffee", "staff", "speed"]
    assert first["meta.user_agent"] == "Mozilla/5.0 (Android 14; Mobile)" and first["lang"] == "lv"
    assert first["improve"] == SAMPLES[0][2]["answers"]["improve"]
    assert second["aspects"] == {"coffee": 1, "food": None, "cleanliness": None, "speed": None, "friendliness": None}
    assert second["liked"] is None and second["submitted_at"] == dt.datetime(2026, 5, 1, 10, 0, 0, 250000, dt.UTC)
    complaints = read_survey(tmp_path / "out", "complaint-log")
    assert complaints.schema.field("opened_at").type == pa.timestamp("ms")  # a local time: no zone
    assert complaints.schema.field("affected_customers").type == pa.float64()  # number
    row = complaints.to_pylist()[0]
    assert row["opened_at"] == dt.datetime(2026, 5, 2, 9, 30) and row["affected_customers"] == 12.0
    journey = read_survey(tmp_path / "out", "journey-order")
    assert journey.schema.field("order_date").type == pa.date32()
    assert journey.to_pylist()[0]["order_date"] == dt.date(2026, 4, 30)


def test_duckdb_reads_the_dataset_with_its_partitions_and_types(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    keep(site, memory_store, samples)
    export_parquet(site, memory_store, tmp_path / "out")
    query = (
        f"SELECT survey, month, id, recommend, aspects.coffee AS coffee, len(liked) AS picks "
        f"FROM read_parquet('{tmp_path}/out/survey=after-visit/*/*.parquet', hive_partitioning = true) ORDER BY id"
    )
    assert duckdb.sql(query).fetchall() == [
        ("after-visit", "2026-05", "visit-0001", 6, 5, 3),
        ("after-visit", "2026-05", "visit-0002", 10, 1, None),
    ]
    described = dict(
        duckdb.sql(f"DESCRIBE SELECT * FROM '{tmp_path}/out/survey=journey-order/*/*.parquet'").fetchall()[i][:2]
        for i in range(3)
    )
    assert described == {"id": "VARCHAR", "version": "VARCHAR", "submitted_at": "TIMESTAMP WITH TIME ZONE"}


def anonymous(site: Site, number: int, moment: str) -> StoredResponse:
    answers = {**EMPLOYEE_REQUIRED, "role": "barista"}
    return stored(site, "employee-annual", moment, {"rid": f"employee-{number:03}", "lang": "lv", "answers": answers})


def test_an_anonymous_survey_has_only_the_day_and_rows_in_key_order_not_arrival_order(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    # Riga's 20 November, as the store keeps it (local midnight in UTC), whatever time they came at.
    arrived = [anonymous(site, number, "2026-11-19T22:00:00Z") for number in range(1, 9)]
    for response in arrived:  # one at a time, in arrival order
        keep(site, memory_store, [response])
    export_parquet(site, memory_store, tmp_path / "out")
    table = read_survey(tmp_path / "out", "employee-annual")
    assert "submitted_at" not in table.schema.names
    assert table.schema.field("submitted_on").type == pa.date32()
    assert not any(pa.types.is_timestamp(field.type) or pa.types.is_time(field.type) for field in table.schema)
    ids = table.column("id").to_pylist()
    assert ids == sorted(response.id for response in arrived) != [response.id for response in arrived]
    assert set(table.column("submitted_on").to_pylist()) == {dt.date(2026, 11, 20)}


def test_the_same_store_gives_the_same_bytes_with_no_time_in_the_metadata(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    keep(site, memory_store, samples)
    export_parquet(site, memory_store, tmp_path / "one")
    export_parquet(site, memory_store, tmp_path / "two")
    for name in files_in(tmp_path / "one"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
        metadata = pq.read_metadata(tmp_path / "one" / name)
        assert metadata.created_by.startswith("parquet-cpp-arrow")
        assert set(metadata.metadata or {}) <= {b"ARROW:schema"}


def test_rows_are_written_in_row_groups_of_a_fixed_size(
    site: Site, memory_store: ResponseStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet_export, "ROW_GROUP", 3)
    start = dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    visits = [
        stored(
            site,
            "after-visit",
            (start + dt.timedelta(minutes=n)).isoformat(),
            {"rid": f"visit-10{n:02}", "lang": "lv", "answers": {"recommend": 9}},
        )
        for n in range(8)
    ]
    keep(site, memory_store, visits)
    export_parquet(site, memory_store, tmp_path / "out")
    metadata = pq.read_metadata(tmp_path / "out" / "survey=after-visit" / "month=2026-05" / "part-0.parquet")
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [3, 3, 2]


def test_an_answer_that_fits_no_longer_makes_its_column_json_text(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    old = StoredResponse(
        "retired-1", "retired", "0" * 16, dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC), "lv", {}, {"b": [1, 2]}
    )
    odd = StoredResponse(
        "visit-9", "after-visit", "0" * 16, dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC), "lv", {}, {"recommend": "ten"}
    )
    memory_store.add([old, odd])
    export_parquet(site, memory_store, tmp_path / "out")
    assert read_survey(tmp_path / "out", "retired").to_pylist()[0]["b"] == "[1, 2]"
    visits = read_survey(tmp_path / "out", "after-visit")
    assert visits.schema.field("recommend").type == pa.string()
    assert visits.to_pylist()[0]["recommend"] == '"ten"'


def test_an_empty_store_gives_an_empty_folder(site: Site, memory_store: ResponseStore, tmp_path: Path) -> None:
    assert export_parquet(site, memory_store, tmp_path / "out") == 0
    assert (tmp_path / "out").is_dir() and files_in(tmp_path / "out") == []


def test_an_export_never_writes_into_a_folder_that_holds_files(
    site: Site, memory_store: ResponseStore, samples: list[StoredResponse], tmp_path: Path
) -> None:
    keep(site, memory_store, samples)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InterchangeError, match="already exists"):
        export_parquet(site, memory_store, tmp_path / "out")
    assert files_in(tmp_path / "out") == ["notes.txt"]
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # no temporary folder left beside it


@pytest.fixture
def sqlite_project(example_project_files: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(example_project_files, copy)
    return copy


def test_the_cli_writes_the_dataset_and_refuses_parquet_without_a_folder(
    sqlite_project: Path, samples: list[StoredResponse], tmp_path: Path
) -> None:
    project_site = load_site(sqlite_project)
    with open_store(project_site) as store:
        keep(project_site, store, samples)
    result = run("--project", str(sqlite_project), "responses", "export", "--format", "parquet")
    assert result.exit_code == 2 and "--output FOLDER" in result.output
    out = tmp_path / "export"
    args = ("--project", str(sqlite_project), "responses", "export", "--format", "parquet", "--output", str(out))
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert f"Exported {len(samples)} responses to {out}." in result.output
    assert len(files_in(out)) == 4
    again = run(*args)
    assert again.exit_code == 1 and "already exists" in again.output
    result = run("--project", str(sqlite_project), "responses", "export", "--format", "csv", "--output", str(out))
    assert result.exit_code == 2 and "is a folder" in result.output


def test_a_survey_the_store_and_site_do_not_have_is_an_error(
    site: Site, memory_store: ResponseStore, tmp_path: Path
) -> None:
    with pytest.raises(InterchangeError, match=re.escape("does not exist. Did you mean 'after-visit'?")):
        export_parquet(site, memory_store, tmp_path / "out", survey_id="after-visits")


def test_a_response_that_came_during_the_export_and_fits_no_column_stops_it_cleanly(
    site: Site,
    memory_store: ResponseStore,
    samples: list[StoredResponse],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keep(site, memory_store, samples[:1])
    late = dataclasses.replace(samples[1], meta={"table": "7"})  # a hidden field the first pass did not see
    reads = memory_store.responses
    passes: list[str | None] = []

    def responses(survey_id: str | None = None) -> Iterator[StoredResponse]:
        passes.append(survey_id)
        if len(passes) == 2:  # between the two passes over the store
            memory_store.add([late])
        return reads(survey_id)

    monkeypatch.setattr(memory_store, "responses", responses)
    with pytest.raises(InterchangeError, match="came while the export ran"):
        export_parquet(site, memory_store, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
