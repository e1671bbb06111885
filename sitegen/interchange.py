"""Responses in and out of the store as JSON Lines or CSV (docs/DESIGN.md section 6).

Every imported line goes through `sitegen.answers.read_json`, the rules the
collector applies, so a file cannot put into the store what a form could
not. Import is all or nothing (one transaction) unless asked to skip
invalid lines, and idempotent by response id: importing a file twice adds
nothing.

The CSV shape, chosen so that importing an export gives back the same rows:
columns `id, survey, submitted_at, lang`, then `meta.<key>` per meta key,
then one column per question, coded as its type's entry in
`sitegen.question_types` says (`multiple` and `ranking`: choice ids joined
by `;`, which no slug contains, a ranking first to last; `matrix`: one
column `<question>.<item>` per item, as in the form). An empty cell is an
unanswered question. Numbers are written as JSON writes them, times as
`2026-05-01T10:00:00Z` (UTC). A cell a spreadsheet
would run as a formula is written with a `'` in front, and so is a cell that
begins with `'` itself; import takes one `'` off again (see `neutralised`).
An anonymous response is written under the key the store keeps it by (a
hash of its id, `anon.…`), and a line with such an id imports under it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal, TextIO, TypeAlias
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from sitegen.answers import RECORDED_META, InvalidSubmission, MalformedJson, kept_moment, parse_json, read_json
from sitegen.cases.opening import case_opening
from sitegen.errors import SitegenError, did_you_mean
from sitegen.forked_chunks import chunk_lines, in_forked_chunks
from sitegen.models.survey import BaseQuestion, Survey
from sitegen.question_types import CHOICE_LIST, ONE_CELL, PER_ITEM, CsvCodec, type_of
from sitegen.site import Site
from sitegen.spreadsheet_cells import neutralised, restored
from sitegen.store import (
    PreparedRow,
    ResponseStore,
    StoredResponse,
    UnstorableResponse,
    is_anonymous_key,
)
from sitegen.store.limits import storable_problems
from sitegen.versions import SurveyVersion, survey_version, version_of

Format = Literal["jsonl", "csv"]
FORMATS: dict[str, Format] = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv"}
FIELDS = ("id", "survey", "version", "submitted_at", "lang", "meta", "answers")
"""The keys of a JSON Lines response, in the order they are written."""
CSV_COLUMNS = ("id", "survey", "version", "submitted_at", "lang")
VERSION_KEY = "survey_version"
"""The key of a JSON Lines line that describes a survey version (`sitegen.versions.SurveyVersion`), not a response."""
VERSION_FIELDS = ("survey", "version", "first_seen", "definition")
META_PREFIX = "meta."
IMPORT_BATCH = 5000
"""Responses stored per statement, and lines per step of the progress bar."""
COUNTING_BLOCK = 1 << 20
CHUNK_BYTES = 1 << 20
"""Bytes of a JSON Lines file a checking process reads and checks at a time (about 2,800 lines of the example)."""
ASIDE_FROM = 4 << 20
"""The size from which a JSON Lines file is checked on every core (by this process and forked ones, one per other
core): below it (about 11,000 lines of the example) starting them costs more than they save."""
FIELD_NAMES = {"rid": "id"}
"""`read_json` names the response id as the collector's form does; a file calls it `id`."""
"""Meta the collector records itself (never for anonymous surveys), so no respondent sends it; kept as exported."""


class InterchangeError(SitegenError):
    """A file or request that cannot be handled at all (unknown format, unknown survey)."""


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line of an import file, as `file:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    files: int
    skip_invalid: bool
    new: int = 0
    existing: int = 0
    invalid_lines: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    is_unstorable: bool = False
    """The store refused a line that passed the checks: the whole import was undone, skipping or not."""

    @property
    def is_refused(self) -> bool:
        """Nothing was imported because some line is invalid (and skipping was not asked for) or unstorable."""
        return self.is_unstorable or (bool(self.problems) and not self.skip_invalid)

    def refusal(self) -> str:
        if self.is_unstorable:
            return "Stopped: the store refused a line. Nothing was imported."
        return f"Stopped: {_count(self.invalid_lines, 'invalid line')}. Nothing was imported."

    def summary(self) -> str:
        text = (
            f"Imported {_count(self.new, 'new response')} ({self.existing} already stored) "
            f"from {_count(self.files, 'file')}."
        )
        return text + (f" Skipped {_count(self.invalid_lines, 'invalid line')}." if self.invalid_lines else "")


@dataclass(frozen=True)
class ReadLine:
    """One line of an import file: a response ready to store (as its row), or its problems."""

    path: str
    line: int
    row: PreparedRow | None
    problems: list[LineProblem]
    version: SurveyVersion | None = None
    """A line describing a survey version, to keep beside the responses of it."""
    answered: SurveyVersion | None = None
    """The version `response` answered."""


Checked: TypeAlias = PreparedRow | list[str] | bytes
"""One line as a checking process hands it back: its row, its problems, or (bytes) the line itself, left to this
process because its check depends on the lines before it or changes what the lines after it mean
(`_is_left_in_order`)."""


@dataclass(frozen=True)
class _Chunk:
    """The lines of a chunk of a file, checked by a forked process: how many there are, and each one that is not
    blank, numbered from 1 in the chunk."""

    lines: int
    checked: list[tuple[int, Checked]]


class _Invalid(Exception):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def open_store(site: Site) -> ResponseStore:
    """The store named by the project's `sitegen.yaml` (a SQLite path is relative to the project).

    Opening it for the site also moves apart the anonymous surveys' rows an older sitegen kept among the others.
    """
    anonymous = [source.model.id for source in site.surveys if source.model.is_anonymous]
    return ResponseStore.open(site.config.model.store, site.files.root, anonymous_surveys=anonymous)


# ---- import --------------------------------------------------------------------------------


def import_responses(
    site: Site,
    store: ResponseStore,
    paths: list[Path],
    *,
    skip_invalid: bool = False,
    open_cases: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> ImportReport:
    """Check every line of `paths` and store the valid responses, in one transaction: all of them, or none while
    any line is invalid (and skipping was not asked for) or the store refuses one.

    With `open_cases`, a new response whose survey's `follow_up` it meets opens its case, due from its
    `submitted_at`, in the import's transaction; without, imported answers open none (their follow-up, if any,
    happened elsewhere). `progress`, if given, is told how many more lines have been read, a batch at a time.

    A JSON Lines file of ASIDE_FROM bytes or more is checked `chunk_bytes` at a time by this process and `workers`
    forked ones (None: one per other core), and this process stores the rows they hand back; 0 workers checks every
    line here.
    Either way the same lines are stored as the same bytes, and the same problems reported in file order.

    One pass, so each line is parsed and checked once: lines are stored a
    batch at a time as they are checked, and memory stays flat for large
    files. The first invalid line (unless skipping) or refused batch undoes
    the transaction, and the rest is still checked so that every invalid
    line is reported. The write transaction is open, holding SQLite's write
    lock, for the whole import.
    """
    for path in paths:
        file_format(path)
    report = ImportReport(files=len(paths), skip_invalid=skip_invalid)
    versions: dict[tuple[str, str], SurveyVersion] = {}
    known = _Known(site, store, open_cases)  # before the transaction: an in-memory store has only its connection
    with _collected_apart():
        lines = _kept_versions(_noted(_read_lines(known, paths, workers, chunk_bytes), report, progress), versions)
        unstorable = _store_valid(store, lines, report)
    if unstorable is not None and (skip_invalid or not report.problems):
        report.problems.append(unstorable)
        report.is_unstorable = True
    if report.is_refused or unstorable is not None:
        report.new = report.existing = 0
        return report
    store.record_versions(list(versions.values()))
    return report


def _store_valid(store: ResponseStore, valid: Iterator[ReadLine], report: ImportReport) -> LineProblem | None:
    """Store the `valid` lines a batch at a time in one transaction, undone once `report` is refused; then read the
    rest of them to report their problems. The line the store refused, if it refused one."""
    batch: list[ReadLine] = []
    unstorable: LineProblem | None = None
    try:
        with store.transaction(is_checked=True) as add:  # each line was checked as it was read
            for batch in _batches(valid, IMPORT_BATCH):
                if report.is_refused:
                    raise _Undone
                is_new = add([line.row for line in batch if line.row is not None])
                report.new += sum(is_new)
                report.existing += len(is_new) - sum(is_new)
            if report.is_refused:
                raise _Undone
    except _Undone:
        pass
    except UnstorableResponse as refused:
        line = next(line for line in batch if line.row is refused.response)
        unstorable = LineProblem(line.path, line.line, f"cannot be stored: {refused.reason}")
    for _rest in valid:  # checked only to be reported: nothing more is stored
        pass
    return unstorable


@contextmanager
def _collected_apart() -> Iterator[None]:
    """The objects alive before the import (the loaded site: most of 175 MB of models) left out of the garbage
    collector's full passes while the import makes millions of objects: each pass walked all of them, about a
    tenth of the import's time. They are put back after, unless someone froze objects before (the collector's
    server does): then they stay frozen, as that someone's were."""
    was_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not was_frozen:
            gc.unfreeze()


class _Undone(Exception):
    """Raised inside the import's transaction to roll it back: a line is invalid and skipping was not asked for."""


def _noted(
    lines: Iterable[ReadLine], report: ImportReport, progress: Callable[[int], None] | None
) -> Iterator[ReadLine]:
    """`lines`, their problems noted in `report` as they pass, and the lines read told to `progress` now and then."""
    told = read = 0
    last: tuple[str, int] = ("", 0)
    for line in lines:
        if line.problems:
            report.problems += line.problems
            report.invalid_lines += 1
        if progress is not None:
            is_further = line.path == last[0] and line.line > last[1]  # a file named twice starts again
            read += line.line - last[1] if is_further else line.line
            last = (line.path, line.line)
            if read - told >= IMPORT_BATCH:
                progress(read - told)
                told = read
        yield line
    if progress is not None and read > told:
        progress(read - told)


def _kept_versions(lines: Iterable[ReadLine], versions: dict[tuple[str, str], SurveyVersion]) -> Iterator[ReadLine]:
    """The valid responses of `lines`, noting into `versions` each version a line describes or a response answered,
    first seen no later than its earliest response."""
    for line in lines:
        if line.version is not None:
            versions.setdefault((line.version.survey_id, line.version.version), line.version)
        row = line.row
        if row is None:
            continue
        key = (row.survey_id, row.survey_version)
        version = versions.get(key) or line.answered
        if version is not None and row.submitted_at < version.first_seen:
            versions[key] = dataclasses.replace(version, first_seen=row.submitted_at)
        yield line


def line_count(paths: list[Path]) -> int:
    """How many lines the files have (a last one without its newline too), counted in blocks, for a progress bar."""
    total = 0
    for path in paths:
        last = b"\n"
        with path.open("rb") as file:
            for block in iter(lambda: file.read(COUNTING_BLOCK), b""):
                total += block.count(b"\n")
                last = block[-1:]
        total += last != b"\n"
    return total


def file_format(path: Path) -> Format:
    """The format a file's extension names."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InterchangeError(f"{path}: cannot tell the format; name the file .jsonl (JSON Lines) or .csv") from None


def _read_lines(
    known: _Known, paths: list[Path], workers: int | None = 0, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[ReadLine]:
    """Every line of every file, read and checked against its survey and version, in file order; with the
    import's `open_cases`, each response carries the case it opens. `known` is read already: nothing here asks the
    store. A large JSON Lines file is checked by forked processes (`workers`, as `import_responses` takes it)."""
    for path in paths:
        copies: Counter[str] = Counter()
        if file_format(path) == "jsonl":
            aside = _workers_for(path, workers)
            yield from (
                _lines_checked_aside(known, path, copies, aside, chunk_bytes)
                if aside
                else _jsonl_lines(known, path, copies)
            )
            continue
        for number, record in _csv_records(path, known.surveys):
            yield _read_line(known, str(path), number, record, copies)


def _workers_for(path: Path, workers: int | None) -> int:
    """How many forked processes check `path` beside this one: as asked, or one per other core for a file of
    ASIDE_FROM bytes or more."""
    if workers is not None:
        return workers
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores - 1 if path.stat().st_size >= ASIDE_FROM else 0


def _jsonl_lines(known: _Known, path: Path, copies: Counter[str]) -> Iterator[ReadLine]:
    """Every line of a JSON Lines file, checked here; blank lines are skipped."""
    name = str(path)
    with path.open("rb") as lines:  # bytes: only '\n' ends a line, and a bad byte spoils one line, not the file
        for number, raw in enumerate(lines, start=1):
            record = _jsonl_record(number, raw)
            if record is not None:
                yield _read_line(known, name, number, record, copies)


def _lines_checked_aside(
    known: _Known, path: Path, copies: Counter[str], workers: int, chunk_bytes: int
) -> Iterator[ReadLine]:
    """Every line of a JSON Lines file, checked a chunk at a time by forked processes and this one, in file order.

    A line whose check depends on the lines before it in other chunks (`_is_left_in_order`) comes back as it is
    and is checked here, in order, against what those lines described: so the lines are what `_jsonl_lines` gives.
    """
    name = str(path)
    before = 0
    for chunk in in_forked_chunks(path, functools.partial(_checked_chunk, known, path), workers, chunk_bytes):
        for number, checked in chunk.checked:
            line = before + number
            if isinstance(checked, PreparedRow):
                answered = known.versions.get((checked.survey_id, checked.survey_version))
                yield ReadLine(name, line, checked, [], answered=answered)
            elif isinstance(checked, bytes):
                record = _jsonl_record(line, checked)
                assert record is not None  # a blank line is never sent back
                yield _read_line(known, name, line, record, copies)
            else:
                yield ReadLine(name, line, None, [LineProblem(name, line, message) for message in checked])
        before += chunk.lines


def _checked_chunk(known: _Known, path: Path, start: int, end: int) -> _Chunk:
    """The lines of `path` that start in [start, end), checked (in a forked process, or this one) as compactly as
    they can be handed back: a response as the row its INSERT binds."""
    checked: list[tuple[int, Checked]] = []
    number = 0
    copies: Counter[str] = Counter()  # never counted in: a line without an id is left to be checked in order
    for number, raw in chunk_lines(path, start, end):
        record = _jsonl_record(number if start == 0 else 0, raw)  # only the file's first line may have a BOM
        if record is None:
            continue
        if isinstance(record, dict) and _is_left_in_order(record, known):
            checked.append((number, raw))
            continue
        line = _read_line(known, "", number, record, copies)
        if line.row is not None:
            checked.append((number, line.row))
        else:
            checked.append((number, [problem.message for problem in line.problems]))
    return _Chunk(number, checked)


def _is_left_in_order(record: dict[str, Any], known: _Known) -> bool:
    """Whether a line is checked only in file order: one describing a survey version (the lines after it may name
    it), one naming a version not known before the import (a line before it may describe it), or one without an id
    (its derived id counts the identical lines before it)."""
    if VERSION_KEY in record:
        return True
    given = record.get("id")
    if not isinstance(given, str) or not given.strip():
        return True
    version = record.get("version")
    return isinstance(version, str) and version != "" and (record.get("survey"), version) not in known.versions


def _read_line(known: _Known, path: str, number: int, record: dict[str, Any] | str, copies: Counter[str]) -> ReadLine:
    """One line read and checked against its survey and version."""
    try:
        if isinstance(record, str):
            raise _Invalid([record])
        if VERSION_KEY in record and len(record) == 1:
            return ReadLine(path, number, None, [], version=known.add_version(record))
        response, answered = _stored_response(record, known, copies)
        return ReadLine(path, number, known.prepared(response), [], answered=answered)
    except _Invalid as invalid:
        return ReadLine(path, number, None, [LineProblem(path, number, message) for message in invalid.messages])


def _batches(lines: Iterable[ReadLine], size: int) -> Iterator[list[ReadLine]]:
    iterator = iter(lines)
    while batch := list(islice(iterator, size)):
        yield batch


def _jsonl_record(number: int, raw: bytes) -> dict[str, Any] | str | None:
    """Line `number`'s object, or what is wrong with it; None for a blank line. Only line 1 may begin with a BOM."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff" if number == 1 else "")
    except UnicodeDecodeError:
        return "not UTF-8 text; save the file as UTF-8"
    if not text.strip():
        return None
    line = text.rstrip("\r\n")
    try:
        record = parse_json(line.encode("utf-8"))  # as strictly as the collector reads a JSON body
    except MalformedJson as malformed:
        return _malformed_line(line, malformed)
    return (
        record if isinstance(record, dict) else 'expected one JSON object per line: {"survey": ..., "answers": {...}}'
    )


def _malformed_line(line: str, malformed: MalformedJson) -> str:
    """What is wrong with a line that is not strict JSON; a syntax error with the column it is in."""
    try:
        json.loads(line)
    except json.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} (column {error.colno})"
    except RecursionError:
        pass
    return f"not valid JSON: {malformed}"


def _csv_records(path: Path, surveys: dict[str, Survey]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number where the row starts, the row as a JSON Lines object, or what is wrong with it)."""
    with path.open(encoding="utf-8-sig", newline="") as text:
        rows = map(_restored_row, reader := csv.reader(text))
        try:
            header = next(rows, None)
            if header is None or header == []:
                yield 1, f"expected a header row: {', '.join(CSV_COLUMNS)}, then meta.<key> and question columns"
                return
            problem = _header_problem(header)
            if problem:
                yield 1, problem
                return
            start = reader.line_num + 1
            for row in rows:
                if any(cell.strip() for cell in row):
                    yield start, _csv_record(header, row, surveys)
                start = reader.line_num + 1
        except UnicodeDecodeError:
            yield reader.line_num + 1, "not UTF-8 text; save the file as UTF-8"
        except csv.Error as error:
            yield reader.line_num, f"not valid CSV: {error}"


def _restored_row(row: list[str]) -> list[str]:
    return [restored(cell) for cell in row]


def _header_problem(header: list[str]) -> str | None:
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        return f"column '{repeated[0]}' appears more than once"
    missing = [name for name in ("survey", "submitted_at") if name not in header]
    return f"missing column '{missing[0]}'" if missing else None


def _csv_record(header: list[str], row: list[str], surveys: dict[str, Survey]) -> dict[str, Any] | str:
    """A CSV row in the JSON Lines shape; `read_json` types the values (the number 9 arrives as "9")."""
    if len(row) != len(header):
        return f"this row has {len(row)} fields, the header {len(header)}"
    cells = dict(zip(header, row, strict=True))
    survey = surveys.get(cells["survey"])
    record: dict[str, Any] = {name: cells[name] for name in CSV_COLUMNS if cells.get(name)}
    record.setdefault("submitted_at", None)
    meta: dict[str, str] = {}
    answers: dict[str, Any] = {}
    for column, value in cells.items():
        if column in CSV_COLUMNS or value == "":
            continue
        if column.startswith(META_PREFIX):
            meta[column.removeprefix(META_PREFIX)] = value
        else:
            _put_answer(answers, column, value, survey)
    return {**record, "meta": meta, "answers": answers}


def _put_answer(answers: dict[str, Any], column: str, value: str, survey: Survey | None) -> None:
    """Undo the CSV coding of one cell, by its question's type; anything else is read_json's to accept or refuse."""
    question_id, dot, item = column.partition(".")
    question = survey.question(question_id) if survey is not None else None
    codec = type_of(question).csv if question is not None else ONE_CELL
    if dot and codec.is_per_item and isinstance(answers.setdefault(question_id, {}), dict):
        answers[question_id][item] = codec.read(value)
    else:
        answers[column] = codec.read(value)


class _Known:
    """The site's surveys, the versions a line may answer (the files', the store's, the import's) and languages."""

    def __init__(self, site: Site, store: ResponseStore, open_cases: bool = False) -> None:
        self.surveys = {source.model.id: source.model for source in site.surveys}
        self.open_cases = open_cases
        unseen = dt.datetime.max.replace(tzinfo=dt.UTC)  # first seen: the earliest response that answers it
        current = [version_of(survey, unseen) for survey in self.surveys.values()]
        self.current = {version.survey_id: version for version in current}
        self.versions = {(version.survey_id, version.version): version for version in store.versions()}
        self.versions.update({(version.survey_id, version.version): version for version in current})
        self.checked: dict[tuple[str, str], Survey] = {}
        self.prepared = store.prepared  # only the store's dialect: a forked checking process calls it too
        self.languages = site.languages
        self.zone = ZoneInfo(site.config.model.timezone)

    def answered(self, survey: Survey, version: Any, messages: list[str]) -> tuple[SurveyVersion | None, Survey]:
        """The version a line answered (the file's when it names none) and the survey to check it against."""
        if version is None or version == "":
            return self.current[survey.id], survey
        known = self.versions.get((survey.id, version)) if isinstance(version, str) else None
        if known is None:
            messages.append(
                f"version: {json.dumps(version)} is not a version of survey '{survey.id}' that the files, the store "
                "or a survey_version line before it describe; import the JSON Lines export that holds it"
            )
            return None, survey
        if (survey.id, version) not in self.checked:
            self.checked[survey.id, version] = survey if known is self.current[survey.id] else known.survey()
        return known, self.checked[survey.id, version]

    def add_version(self, record: dict[str, Any]) -> SurveyVersion:
        """A `survey_version` line, checked: a survey of the site whose definition has the version it claims."""
        described = record[VERSION_KEY]
        if not isinstance(described, dict) or set(described) != set(VERSION_FIELDS):
            raise _Invalid([f"{VERSION_KEY}: give an object with {', '.join(VERSION_FIELDS)}"])
        survey_id, version = described["survey"], described["version"]
        if survey_id not in self.surveys:
            raise _Invalid([f"{VERSION_KEY}: survey {json.dumps(survey_id)} does not exist"])
        messages: list[str] = []
        first_seen = _submitted_at(described["first_seen"], messages)
        try:
            survey = Survey.model_validate(described["definition"])
        except ValidationError as invalid:
            raise _Invalid(
                [f"{VERSION_KEY}: the definition is not a survey ({invalid.error_count()} problems)"]
            ) from None
        if survey.id != survey_id or survey_version(survey) != version or first_seen is None:
            raise _Invalid(
                messages or [f"{VERSION_KEY}: the definition is not of survey {survey_id} version {version}"]
            )
        kept = version_of(survey, first_seen)
        self.versions[survey_id, version] = kept
        return kept


def _stored_response(
    record: dict[str, Any], known: _Known, copies: Counter[str]
) -> tuple[StoredResponse, SurveyVersion]:
    """One line's response and the version it answered, checked by the collector's rules against that version;
    raises _Invalid with every problem."""
    messages = [f"{key}: unknown key; a line holds {', '.join(FIELDS)}" for key in record if key not in FIELDS]
    survey = _survey(record.get("survey"), known.surveys, messages)
    submitted_at = _submitted_at(record.get("submitted_at"), messages)
    if survey is None:
        raise _Invalid(messages)
    answered, survey = known.answered(survey, record.get("version"), messages)
    if answered is None:
        raise _Invalid(messages)
    given_meta, recorded = _set_recorded_meta_aside(survey, record.get("meta", {}), messages)
    # An exported anonymous response carries the key it is stored under, not a client's id: it keeps it.
    key = record["id"] if isinstance(record.get("id"), str) and is_anonymous_key(record["id"]) else None
    document = {
        "rid": record.get("id") if key is None else None,
        "lang": record.get("lang"),
        "meta": given_meta,
        "answers": record.get("answers", {}),
    }
    try:
        submission = read_json(survey, known.languages, document)
    except InvalidSubmission as invalid:
        raise _Invalid(
            messages
            + [f"{FIELD_NAMES.get(problem.field, problem.field)}: {problem.message}" for problem in invalid.problems]
        ) from None
    if messages or submitted_at is None:
        raise _Invalid(messages)
    kept_at = kept_moment(survey, submitted_at, known.zone)
    meta = {**submission.meta, **recorded}
    opens_case = (
        case_opening(survey, submission.answers, meta, submission.lang, kept_at, known.zone)
        if known.open_cases
        else None
    )
    response = StoredResponse(
        id=key or submission.response_id,
        survey_id=survey.id,
        survey_version=answered.version,
        submitted_at=kept_at,
        lang=submission.lang,
        meta=meta,
        answers=submission.answers,
        is_anonymous=survey.is_anonymous,
        opens_case=opens_case,
    )
    unstorable = storable_problems(response)
    if unstorable:
        raise _Invalid([f"cannot be stored: {problem}" for problem in unstorable])
    has_id = isinstance(record.get("id"), str) and record["id"].strip() != ""
    return (response if has_id else _with_derived_id(response, copies)), answered


def _set_recorded_meta_aside(survey: Survey, meta: Any, messages: list[str]) -> tuple[Any, dict[str, str]]:
    """(meta for read_json to check, RECORDED_META to keep as it is); an anonymous survey records none."""
    if not isinstance(meta, dict) or survey.is_anonymous:
        return meta, {}
    recorded = {key: meta[key] for key in RECORDED_META if key in meta}
    messages += [f"{key}: must be text" for key, value in recorded.items() if not isinstance(value, str)]
    return {key: value for key, value in meta.items() if key not in recorded}, recorded


def _survey(survey_id: Any, surveys: dict[str, Survey], messages: list[str]) -> Survey | None:
    if survey_id is None or survey_id == "":
        messages.append("survey: missing; name the survey id, such as after-visit")
        return None
    survey = surveys.get(survey_id) if isinstance(survey_id, str) else None
    if survey is None:
        messages.append(f"survey '{survey_id}' does not exist{did_you_mean(str(survey_id), surveys)}")
    return survey


def _submitted_at(value: Any, messages: list[str]) -> dt.datetime | None:
    """An ISO 8601 time with a zone (Z or an offset), in UTC; a time without one is ambiguous, so an error."""
    example = "such as 2026-05-01T10:00:00Z"
    if value is None or value == "":
        messages.append(f"submitted_at: missing; give the date and time {example}")
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        messages.append(
            f"submitted_at: {json.dumps(value, ensure_ascii=False)} is not an ISO 8601 date and time {example}"
        )
        return None
    if moment.tzinfo is None:
        messages.append(f"submitted_at: '{value}' has no time zone; add Z (UTC) or an offset such as +03:00")
        return None
    return moment.astimezone(dt.UTC)


def _with_derived_id(response: StoredResponse, copies: Counter[str]) -> StoredResponse:
    """An id from the response's content, so that importing the same line again stores nothing new.

    Two people can give the same answers on the same day, so identical
    lines of one file are different responses: the second copy hashes with
    `"copy": 2`, and so on. Across files they are the same response, so a
    file that repeats an older one adds only its new lines.
    """
    content: dict[str, Any] = {
        "survey": response.survey_id,
        "submitted_at": format_moment(response.submitted_at),
        "lang": response.lang,
        "meta": response.meta,
        "answers": response.answers,
    }
    key = _digest(content)
    copies[key] += 1
    if copies[key] > 1:
        key = _digest({**content, "copy": copies[key]})
    return dataclasses.replace(response, id=key)


def _digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


# ---- export --------------------------------------------------------------------------------


def format_moment(moment: dt.datetime) -> str:
    """`2026-05-01T10:00:00Z`, with microseconds only when there are any."""
    utc = moment.astimezone(dt.UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def export_responses(
    site: Site, store: ResponseStore, output: TextIO, *, survey_id: str | None = None, file_format: Format = "jsonl"
) -> int:
    """Write the stored responses (of one survey), oldest first; how many were written."""
    surveys = [source.model for source in site.surveys]
    if survey_id is not None and survey_id not in {survey.id for survey in surveys} and store.count(survey_id) == 0:
        raise InterchangeError(
            f"survey '{survey_id}' does not exist{did_you_mean(survey_id, [survey.id for survey in surveys])}"
        )
    if file_format == "csv":
        return _write_csv(store, output, survey_id, surveys)
    for version in store.versions(survey_id):
        output.write(version_line(version) + "\n")
    written = 0
    for response in store.responses(survey_id):
        output.write(jsonl_line(response) + "\n")
        written += 1
    return written


def version_line(version: SurveyVersion) -> str:
    """A survey version as a JSON Lines line, written before the responses so that import knows what they meant."""
    described = {
        "survey": version.survey_id,
        "version": version.version,
        "first_seen": format_moment(version.first_seen),
        "definition": _sorted(version.definition),
    }
    return json.dumps({VERSION_KEY: described}, ensure_ascii=False)


def jsonl_line(response: StoredResponse) -> str:
    """One response as docs/DESIGN.md writes it: keys in FIELDS order, keys inside meta and answers sorted."""
    line = {
        "id": response.id,
        "survey": response.survey_id,
        "version": response.survey_version,
        "submitted_at": format_moment(response.submitted_at),
        "lang": response.lang,
        "meta": _sorted(response.meta),
        "answers": _sorted(response.answers),
    }
    return json.dumps(line, ensure_ascii=False)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _write_csv(store: ResponseStore, output: TextIO, survey_id: str | None, surveys: list[Survey]) -> int:
    """Two passes over the store: the columns every row needs, then the rows."""
    surveys_by_id = {survey.id: survey for survey in surveys}
    meta_keys: set[str] = set()
    answer_columns: set[str] = set()
    survey_ids: set[str] = set()
    for response in store.responses(survey_id):
        meta_keys.update(response.meta)
        answer_columns.update(_answer_cells(response.answers, surveys_by_id.get(response.survey_id)))
        survey_ids.add(response.survey_id)
    columns = [*CSV_COLUMNS, *(META_PREFIX + key for key in sorted(meta_keys))]
    columns += _question_columns([survey for survey in surveys if survey.id in survey_ids], answer_columns)
    writer = csv.writer(output)
    writer.writerow(map(neutralised, columns))
    written = 0
    for response in store.responses(survey_id):
        cells = {
            "id": response.id,
            "survey": response.survey_id,
            "version": response.survey_version,
            "submitted_at": format_moment(response.submitted_at),
            "lang": response.lang,
            **{META_PREFIX + key: str(value) for key, value in response.meta.items()},
            **_answer_cells(response.answers, surveys_by_id.get(response.survey_id)),
        }
        writer.writerow([neutralised(cells.get(column, "")) for column in columns])
        written += 1
    return written


def _question_columns(surveys: list[Survey], present: set[str]) -> list[str]:
    """Every question's columns in survey order, then columns of answers the current surveys no longer ask."""
    columns: list[str] = []
    for survey in surveys:
        for question in survey.questions:
            if question.id in CSV_COLUMNS:
                raise InterchangeError(
                    f"survey '{survey.id}': question '{question.id}' has the name of a CSV column; export as JSON Lines"
                )
            items = getattr(question, "items", []) if type_of(question).csv.is_per_item else []
            names = [f"{question.id}.{item.id}" for item in items] if items else [question.id]
            columns += [name for name in names if name not in columns]
    return columns + sorted(present - set(columns))


def _answer_cells(answers: dict[str, Any], survey: Survey | None) -> dict[str, str]:
    """Answers as CSV cells, each coded by its question's type."""
    cells: dict[str, str] = {}
    for question_id, answer in answers.items():
        codec = _codec(survey.question(question_id) if survey is not None else None, answer)
        if codec.is_per_item:
            cells.update({f"{question_id}.{item}": codec.write(value) for item, value in answer.items()})
        else:
            cells[question_id] = codec.write(answer)
    return cells


def _codec(question: BaseQuestion | None, answer: Any) -> CsvCodec:
    """The question's codec; by the answer's shape for a question gone, or one whose type changed shape since."""
    codec = type_of(question).csv if question is not None else None
    if codec is not None and codec.is_per_item == isinstance(answer, dict):
        return codec
    return PER_ITEM if isinstance(answer, dict) else CHOICE_LIST if isinstance(answer, list) else ONE_CELL
