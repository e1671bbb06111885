"""Stored responses as a Hive-partitioned Parquet dataset with typed columns, for DuckDB, pandas and Spark.

The dataset is `survey=<id>/month=<YYYY-MM>/part-0.parquet` (the month in
the site's timezone, as scorecards count). Each file has `id`, `version`,
`submitted_at` (a UTC timestamp) or, for an anonymous survey, `submitted_on`
(the day it keeps, a date: no time is ever written), `lang`, a text column
`meta.<key>` per meta key, then one column per question, typed as its type's
`column` says (`sitegen.question_types`): whole points int64, numbers
float64, dates date32, local date-times timestamp, choices list<string>, a
matrix a struct of its items. An answer that does not fit its question's
column (a question gone from the survey, or whose type changed) makes that
column JSON text, so nothing stored is lost. Every month of a survey has
the same columns.

Rows come in the store's order (oldest first, an anonymous survey's by day,
then key), so the export shows no arrival order the store hides. Rows are
written in row groups of ROW_GROUP as they come, a few partitions open at a
time (the stream is in time order, so a month is done once the next begins):
a million answers are never one table in memory. The same store gives the
same bytes: fixed row groups, and pyarrow writes no time into the files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from sitegen.errors import did_you_mean
from sitegen.interchange import InterchangeError
from sitegen.models.survey import Survey
from sitegen.question_types import ColumnKind, type_of
from sitegen.site import Site
from sitegen.store import ResponseStore, StoredResponse

ROW_GROUP = 10_000
"""Rows per row group, and most rows of one partition held in memory."""
PART = "part-0.parquet"
FIXED_COLUMNS = ("id", "version", "submitted_at", "submitted_on", "lang", "survey", "month")
"""Names a question column may not take: the response's own columns and the partition keys."""
META_PREFIX = "meta."

CellKind = ColumnKind | Literal["json"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(dt.date.fromisoformat(value))
    except ValueError:
        return False


def _is_local_datetime(value: Any) -> bool:
    try:
        return isinstance(value, str) and "T" in value and dt.datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        return False


def _as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class CellType:
    """How one column kind holds an answer: its Arrow type (given a table's items), which answers fit, and how."""

    arrow: Callable[[tuple[str, ...]], pa.DataType]
    fits: Callable[[Any], bool]
    value: Callable[[Any], Any] = lambda answer: answer


CELL_TYPES: Mapping[CellKind, CellType] = {
    "text": CellType(lambda _items: pa.string(), lambda answer: isinstance(answer, str)),
    "integer": CellType(lambda _items: pa.int64(), _is_int),
    "number": CellType(lambda _items: pa.float64(), lambda answer: _is_int(answer) or isinstance(answer, float), float),
    "date": CellType(lambda _items: pa.date32(), _is_date, dt.date.fromisoformat),
    "datetime": CellType(lambda _items: pa.timestamp("ms"), _is_local_datetime, dt.datetime.fromisoformat),
    "choices": CellType(
        lambda _items: pa.list_(pa.string()),
        lambda answer: isinstance(answer, list) and all(isinstance(choice, str) for choice in answer),
    ),
    "table": CellType(
        lambda items: pa.struct([(item, pa.int64()) for item in items]),
        lambda answer: isinstance(answer, dict) and all(_is_int(point) for point in answer.values()),
    ),
    "json": CellType(lambda _items: pa.string(), lambda _answer: True, _as_json),
}
"""Every column kind of `sitegen.question_types.ColumnKind`, and `json`: text for any answer that fits no other."""


@dataclass
class _Column:
    kind: CellKind
    items: list[str] = field(default_factory=list)

    def take(self, answer: Any) -> None:
        """Widen the column to hold `answer`: to JSON text when it does not fit, by the table items it has."""
        if not CELL_TYPES[self.kind].fits(answer):
            self.kind, self.items = "json", []
        elif self.kind == "table":
            self.items += [item for item in sorted(answer) if item not in self.items]


@dataclass
class _Layout:
    """One survey's columns, as the first pass over the store finds them."""

    survey_id: str
    survey: Survey | None
    is_anonymous: bool
    meta_keys: set[str] = field(default_factory=set)
    answers: dict[str, _Column] = field(default_factory=dict)

    def take(self, response: StoredResponse) -> None:
        self.is_anonymous |= response.is_kept_apart
        self.meta_keys.update(response.meta)
        for question_id, answer in response.answers.items():
            if question_id not in self.answers:
                question = self.survey.question(question_id) if self.survey is not None else None
                self.answers[question_id] = _Column(type_of(question).column if question is not None else "json")
            self.answers[question_id].take(answer)

    def plan(self) -> _Plan:
        """The survey's file schema, and each answer column's kind."""
        columns = self._ordered_answers()
        clash = next((name for name, _column in columns if name in FIXED_COLUMNS), None)
        if clash is not None:
            raise InterchangeError(
                f"survey '{self.survey_id}': question '{clash}' has the name of a Parquet column; export as JSON Lines"
            )
        moment = ("submitted_on", pa.date32()) if self.is_anonymous else ("submitted_at", pa.timestamp("us", "UTC"))
        fields: list[tuple[str, pa.DataType]] = [("id", pa.string()), ("version", pa.string()), moment]
        fields.append(("lang", pa.string()))
        fields += [(META_PREFIX + key, pa.string()) for key in sorted(self.meta_keys)]
        fields += [(name, CELL_TYPES[column.kind].arrow(tuple(column.items))) for name, column in columns]
        return _Plan(pa.schema(fields), {name: column.kind for name, column in columns})

    def _ordered_answers(self) -> list[tuple[str, _Column]]:
        """The survey's questions in its order (each one a column, answered or not), then answers of questions gone."""
        asked: list[tuple[str, _Column]] = []
        for question in self.survey.questions if self.survey is not None else []:
            column = self.answers.get(question.id, _Column(type_of(question).column))
            if column.kind == "table":
                items = [item.id for item in getattr(question, "items", [])]
                column = _Column("table", items + [item for item in column.items if item not in items])
            asked.append((question.id, column))
        names = {name for name, _column in asked}
        return asked + sorted((name, column) for name, column in self.answers.items() if name not in names)


@dataclass(frozen=True)
class _Plan:
    schema: pa.Schema
    kinds: dict[str, CellKind]

    def holds(self, response: StoredResponse) -> bool:
        """Whether the columns hold all of `response` (each meta key, each answer, a matrix's items each a field):
        one stored after the first pass over the store may not."""
        names = set(self.schema.names)
        if any(META_PREFIX + key not in names for key in response.meta):
            return False
        return all(self._fits(name, answer) for name, answer in response.answers.items())

    def _fits(self, name: str, answer: Any) -> bool:
        kind = self.kinds.get(name)
        if kind is None or not CELL_TYPES[kind].fits(answer):
            return False
        return kind != "table" or set(answer) <= {item.name for item in self.schema.field(name).type}


class _Partition:
    """One survey's month: rows kept until a row group is full, then written to its file."""

    def __init__(self, path: Path, plan: _Plan) -> None:
        path.parent.mkdir(parents=True)
        self.plan = plan
        self.writer = pq.ParquetWriter(path, plan.schema)
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) == ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.plan.schema), row_group_size=ROW_GROUP)
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def export_parquet(site: Site, store: ResponseStore, output: Path, *, survey_id: str | None = None) -> int:
    """Write the stored responses (of one survey) as a dataset in the new folder `output`; how many were written.

    The dataset is made beside `output` and renamed to it when complete, so `output` is never half written.
    """
    surveys = {source.model.id: source.model for source in site.surveys}
    if survey_id is not None and survey_id not in surveys and store.count(survey_id) == 0:
        raise InterchangeError(f"survey '{survey_id}' does not exist{did_you_mean(survey_id, list(surveys))}")
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise InterchangeError(f"{output}: already exists; a Parquet export goes to a new (or empty) folder")
    layouts: dict[str, _Layout] = {}
    for response in store.responses(survey_id):
        survey = surveys.get(response.survey_id)
        layout = layouts.setdefault(
            response.survey_id, _Layout(response.survey_id, survey, survey is not None and survey.is_anonymous)
        )
        layout.take(response)
    plans = {key: layout.plan() for key, layout in layouts.items()}
    zone = ZoneInfo(site.config.model.timezone)
    with _new_folder(output) as folder:
        return _write_partitions(store.responses(survey_id), folder, plans, zone)


def _write_partitions(
    responses: Iterator[StoredResponse], folder: Path, plans: dict[str, _Plan], zone: ZoneInfo
) -> int:
    open_partitions: dict[str, _Partition] = {}
    month = ""
    written = 0
    try:
        for response in responses:
            local = response.submitted_at.astimezone(zone)
            if local.strftime("%Y-%m") != month:
                for partition in open_partitions.values():  # time order: the month before is complete
                    partition.close()
                open_partitions, month = {}, local.strftime("%Y-%m")
            if response.survey_id not in plans or not plans[response.survey_id].holds(response):
                raise InterchangeError(
                    f"response {response.id} came while the export ran and does not fit the columns it found; "
                    "export again"
                )
            if response.survey_id not in open_partitions:
                path = folder / f"survey={response.survey_id}" / f"month={month}" / PART
                open_partitions[response.survey_id] = _Partition(path, plans[response.survey_id])
            partition = open_partitions[response.survey_id]
            partition.add(_row(response, local, partition.plan))
            written += 1
    finally:
        for partition in open_partitions.values():
            partition.close()
    return written


def _row(response: StoredResponse, local: dt.datetime, plan: _Plan) -> dict[str, Any]:
    """One response as the values of its survey's columns; an anonymous one's moment as its (local) day only."""
    row: dict[str, Any] = {"id": response.id, "version": response.survey_version, "lang": response.lang}
    if "submitted_on" in plan.schema.names:
        row["submitted_on"] = local.date()
    else:
        row["submitted_at"] = response.submitted_at.astimezone(dt.UTC)
    row.update({META_PREFIX + key: str(value) for key, value in response.meta.items()})
    row.update({name: CELL_TYPES[plan.kinds[name]].value(answer) for name, answer in response.answers.items()})
    return row


@contextmanager
def _new_folder(output: Path) -> Iterator[Path]:
    """A temporary folder beside `output` that becomes `output` when the block completes, and is removed if not."""
    output.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    try:
        yield folder
        if output.is_dir():
            output.rmdir()  # empty: checked before writing
        os.replace(folder, output)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
