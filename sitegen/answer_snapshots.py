"""Answer snapshots: the columns a build's figures read, kept between builds and extended by the rows added since.

A snapshot is the file `<survey digest>-<fields digest>.arrow` (Arrow IPC)
in the cache folder (`answer_cache:` in sitegen.yaml, `.sitegen-cache/answers`
by default, never inside `output/`): exactly what
`ResponseStore.encoded_frame` gave for one survey and one set of fields,
with the store's id and change generation (`sitegen.store.changes`) it was
read at. Reading it costs a fraction of a second where picking the same
values out of a million JSON documents costs several.

A build takes the snapshot's rows up to a day before its latest answer and
reads from the store only the rows from there on. The result is the store's
frame exactly, or it is not used: the rows before the cut cannot have
changed (the generation is what it was: nothing was purged, erased,
completed or moved), and the count of the survey's rows, read after the new
rows, says whether any row came in below the cut since (a collector that
committed late, an import of old answers). Otherwise, or when the store,
the fields or the file are not what the snapshot was made of, the survey
is read whole and the snapshot written again, atomically. docs/DESIGN.md,
"Answer snapshots", states the contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pyarrow as pa

from sitegen.errors import SitegenError
from sitegen.store import Field, ResponseStore
from sitegen.store.changes import Changes
from sitegen.store.responses import decoded_frame, joined_frames, typed_columns

FORMAT = 1
"""The layout of a snapshot file; a file of another format is read as no snapshot."""
REREAD = dt.timedelta(days=1)
"""How far before its latest answer a snapshot is read again from the store: a collector's row stamped a little
before one already kept, committed after it, is taken in without reading the survey whole."""
METADATA_KEY = b"sitegen"


@dataclass(frozen=True)
class Snapshot:
    """A kept frame and what it was read from."""

    frame: pd.DataFrame
    changes: Changes


@dataclass(frozen=True)
class AnswerSnapshots:
    """The snapshot folder; frames read through it equal `ResponseStore.frame`'s, row for row."""

    folder: Path

    @classmethod
    def open(cls, folder: Path, output: Path) -> AnswerSnapshots:
        """The snapshots in `folder` (made if new); refused inside the build's `output`."""
        resolved, built = folder.resolve(), output.resolve()
        if resolved == built or resolved.is_relative_to(built):
            raise SitegenError(f"answer_cache: {folder} is inside {output}, which every build replaces; choose another")
        resolved.mkdir(parents=True, exist_ok=True)
        return cls(resolved)

    def frame(self, store: ResponseStore, survey_id: str, fields: list[Field]) -> pd.DataFrame:
        """`store.frame(survey_id, fields)`, from the snapshot and the rows added since where that is exact."""
        survey_key = _digest(survey_id)
        path = self.folder / f"{survey_key}-{_digest(survey_id, *map(repr, fields))}.arrow"
        before = store.changes()
        kept = _load(path, fields)
        extended = _extended(store, survey_id, fields, kept, before) if kept is not None else None
        if extended is None:
            frame = store.encoded_frame(survey_id, fields)
            self._save(path, survey_key, Snapshot(frame, before))
        else:
            frame, has_new_rows = extended
            if has_new_rows:
                self._save(path, survey_key, Snapshot(frame, before))
        return decoded_frame(frame, fields)

    def _save(self, path: Path, survey_key: str, snapshot: Snapshot) -> None:
        """Write atomically (a reader sees the old file or the new one), and drop the survey's other snapshots: made
        for fields no longer read together."""
        metadata = {"format": FORMAT, "store_id": snapshot.changes.store_id, "generation": snapshot.changes.generation}
        table = pa.Table.from_pandas(snapshot.frame, preserve_index=False)
        kept: dict[bytes, bytes] = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(metadata).encode()}
        table = table.replace_schema_metadata(kept)
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".arrow")
        try:
            with os.fdopen(descriptor, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for other in self.folder.glob(f"{survey_key}-*.arrow"):
            if other != path:
                other.unlink(missing_ok=True)


def _extended(
    store: ResponseStore, survey_id: str, fields: list[Field], kept: Snapshot, before: Changes
) -> tuple[pd.DataFrame, bool] | None:
    """The snapshot's rows before its cut and the store's from it on, with whether there were new rows; None
    when that would not be the store's frame (see the module's docstring)."""
    if kept.changes != before or kept.frame.empty:
        return None
    moments = kept.frame["submitted_at"]
    cut = moments.iloc[-1] - REREAD
    position = int(moments.searchsorted(cut, side="left"))
    tail = store.encoded_frame(survey_id, fields, cut.to_pydatetime())
    # Counted after the new rows were read: a row that came in between is counted, so it cannot go unnoticed.
    if position + len(tail) != store.count(survey_id) or store.changes() != before:
        return None
    if len(tail) == len(kept.frame) - position:  # nothing new: with the count equal, the same rows
        return kept.frame, False
    return joined_frames([kept.frame.iloc[:position], tail], fields), True


def _load(path: Path, fields: list[Field]) -> Snapshot | None:
    """The snapshot in `path`; None when there is none, or it is damaged or of another format."""
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        metadata = json.loads((table.schema.metadata or {})[METADATA_KEY])
        if metadata["format"] != FORMAT:
            return None
        changes = Changes(str(metadata["store_id"]), int(metadata["generation"]))
        return Snapshot(typed_columns(_frame_of(table), fields), changes)
    except (OSError, pa.ArrowException, KeyError, ValueError, TypeError):
        return None


def _frame_of(table: pa.Table) -> pd.DataFrame:
    """`table.to_pandas()`, its dictionary columns made categories from their codes: pyarrow's own conversion takes
    ten times as long for a dictionary of near-unique texts (1.3 million datetime answers: 0.2-0.45 s a column)."""
    return pd.DataFrame({name: _series_of(table.column(name)) for name in table.column_names})


def _series_of(column: pa.ChunkedArray[Any]) -> pd.Series:
    if not pa.types.is_dictionary(column.type) or column.num_chunks != 1:
        return column.to_pandas()
    array = cast("pa.DictionaryArray[Any, Any]", column.chunk(0))
    categories = pd.Index(array.dictionary.to_pandas())
    codes = array.indices.fill_null(-1).to_numpy()
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]
