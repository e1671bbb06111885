"""Old answers read in the current meaning, so that no figure adds up answers of two meanings (issue 13 item 4).

`sitegen.edits.judge` says, per stored version and question, where its answers are (`was`) and what they now mean
(`recode`, or left out with `recode: none`). Here a survey's table from the store gets those readings applied: a
renamed question's old answers move into its column, a recoded scale point or choice becomes its new value, and
answers of a meaning that was left out become missing. Answers of the current meaning are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sitegen.edits import Judgement, Reading
from sitegen.store import Field

VERSION_COLUMN = "survey_version"


def version_field() -> Field:
    """The column a table needs for its answers to be read by version."""
    return Field(VERSION_COLUMN, "version", "survey_version", "text")


def fields_to_read(fields: list[Field], judgement: Judgement) -> list[Field]:
    """`fields`, and where some stored version is read otherwise than as it stands, the version column and the
    renamed questions' old columns (most surveys never need them: a build then reads no more than before)."""
    if not any(_changed_readings(judgement, field) for field in fields if field.source == "answers"):
        return fields
    return [*fields, version_field(), *source_fields(fields, judgement)]


def _changed_readings(judgement: Judgement, field: Field) -> dict[str, Reading]:
    """The versions whose answers to a field's question are read otherwise than as they stand."""
    return {
        version: reading
        for (version, question), reading in judgement.readings.items()
        if question == field.key and not _is_plain(reading, field.key)
    }


def source_fields(fields: list[Field], judgement: Judgement) -> list[Field]:
    """The columns of renamed questions' old ids, read beside the current ones."""
    wanted = {field.key: field for field in fields if field.source == "answers"}
    extra: dict[str, Field] = {}
    for (_, question_id), reading in judgement.readings.items():
        field = wanted.get(question_id)
        if field is not None and reading.source != question_id:
            extra[reading.source] = Field(_source_column(reading.source), "answers", reading.source, field.kind)
    return list(extra.values())


def _source_column(question_id: str) -> str:
    return f"{question_id}@was"


def reread(frame: pd.DataFrame, fields: list[Field], judgement: Judgement) -> pd.DataFrame:
    """`frame` (read with `fields_to_read`) with every answer in its question's current meaning."""
    if VERSION_COLUMN not in frame.columns:
        return frame
    versions = frame[VERSION_COLUMN].astype(str).to_numpy()
    for field in fields:
        changed = _changed_readings(judgement, field) if field.source == "answers" else {}
        if changed:
            frame[field.name] = _column(frame, field, versions, changed)
    return frame.drop(columns=[VERSION_COLUMN, *_extra_columns(frame)])


def _is_plain(reading: Reading, question_id: str) -> bool:
    return reading.is_raw and reading.source == question_id


def _extra_columns(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns if str(column).endswith("@was")]


def _column(frame: pd.DataFrame, field: Field, versions: np.ndarray, changed: Mapping[str, Reading]) -> pd.Series:
    """One question's column, each changed version's rows read through its reading."""
    values = frame[field.name].astype(object).to_numpy(copy=True)
    for version, reading in changed.items():
        rows = versions == version
        if not rows.any():
            continue
        source = frame[_source_column(reading.source)] if reading.source != field.key else frame[field.name]
        old = source.astype(object).to_numpy()[rows]
        values[rows] = [None if reading.dropped else _recoded(value, reading.recode) for value in old]
    column = pd.Series(values, index=frame.index, name=field.name)
    if field.kind == "number":
        return pd.to_numeric(column, errors="coerce")
    if field.kind == "text":
        return column.astype("category")
    return column


def _recoded(value: Any, recode: Mapping[Any, Any] | None) -> Any:
    """A stored value in the current meaning: a scale point, a choice id, or a list of choice ids."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if recode is None:
        return value
    if isinstance(value, list):
        kept = [recode.get(item, item) for item in value]
        return [item for item in kept if item is not None]
    key = int(value) if isinstance(value, float) and value.is_integer() else value
    return recode.get(key, value)
