"""The translator's file: the texts one language lacks, written as PO or CSV and read back once filled.

Each entry carries what an import needs to put its translation back and to
know it still fits: the project file, the field path, the source language
and a digest of the source text. PO files are written and read by Babel
(`#.` comments name the field and carry the digest, `msgctxt` keeps two
equal texts apart); CSV by the csv module, with the cells a spreadsheet
would run as formulas neutralised as in `sitegen responses export`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from sitegen.errors import SiteError
from sitegen.spreadsheet_cells import neutralised, restored


@dataclass(frozen=True)
class TranslationEntry:
    """One text for a translator: where it lives, what it says, and (once filled) its `translation`.

    An entry without a `field` is a page body: its translation is the whole file `file` (`about.ru.md`), and
    `line` is 0. `at_line` is where the entry stands in the translation file it was read from.
    """

    file: str
    field: str
    line: int
    lang: str
    source_lang: str
    source: str
    digest: str
    translation: str = ""
    is_fuzzy: bool = False
    at_line: int = 0


Read = tuple[list[TranslationEntry], list[SiteError]]


@dataclass(frozen=True)
class TranslationFormat:
    """How one kind of translator's file is written and read back."""

    write: Callable[[list[TranslationEntry], str], bytes]
    read: Callable[[bytes, str], Read]
    """Entries of the file's content, or the problems (at lines of the file shown as the given name)."""


_DIGEST_COMMENT = re.compile(r"^sitegen: from (?P<lang>[a-z]{2,3}), digest (?P<digest>[0-9a-f]{16})$")


def _write_po(entries: list[TranslationEntry], lang: str) -> bytes:
    catalog = Catalog(
        locale=lang,
        header_comment=(
            f"# The texts of a sitegen site that have no {lang} translation.\n"
            "# Fill in each msgstr; 'sitegen translations import FILE' puts them into the site's files."
        ),
        project="sitegen site texts",
        fuzzy=False,
        creation_date=dt.datetime.now(dt.UTC),
    )
    for entry in entries:
        catalog.add(
            entry.source,
            locations=[(entry.file, entry.line)],  # line 0 (a page body, a new file) is left out
            auto_comments=[
                entry.field or "the page body: the whole new file",
                f"sitegen: from {entry.source_lang}, digest {entry.digest}",
            ],
            context=f"{entry.file} {entry.field}" if entry.field else entry.file,
        )
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0)
    return buffer.getvalue()


def _read_po(content: bytes, shown: str) -> Read:
    try:
        catalog = read_po(io.BytesIO(content), abort_invalid=True)
    except PoFileError as invalid:
        # Babel counts the lines of its errors from 0 (and those of its messages from 1).
        reason = str(invalid.args[0]).rsplit(" on ", 1)[0]
        return [], [SiteError(shown, invalid.lineno + 1, 1, "", f"not a valid PO file: {reason}")]
    except (UnicodeDecodeError, ValueError) as invalid:
        return [], [SiteError(shown, 1, 1, "", f"not a valid PO file: {invalid}")]
    lang = catalog.locale_identifier
    if not lang:
        return [], [SiteError(shown, 1, 1, "", "the PO header names no Language; export the file again")]
    entries, problems = [], []
    for message in catalog:
        if not message.id:
            continue  # the header
        entry = _po_entry(message, lang, shown)
        if isinstance(entry, SiteError):
            problems.append(entry)
        else:
            entries.append(entry)
    return entries, problems


def _po_entry(message: Message, lang: str, shown: str) -> TranslationEntry | SiteError:
    line = message.lineno or 1
    digests = [match for comment in message.auto_comments if (match := _DIGEST_COMMENT.match(comment))]
    if not message.context or not digests or not message.locations:
        return SiteError(shown, line, 1, "", "not an entry sitegen exported (no msgctxt, location or digest)")
    file, _, field = message.context.rpartition(" ") if " " in message.context else (message.context, "", "")
    string = message.string if isinstance(message.string, str) else ""  # sitegen writes no plural forms
    return TranslationEntry(
        file=file,
        field=field,
        line=int(message.locations[0][1] or 0),
        lang=lang,
        source_lang=digests[0]["lang"],
        source=str(message.id),
        digest=digests[0]["digest"],
        translation=string,
        is_fuzzy=message.fuzzy,
        at_line=line,
    )


CSV_COLUMNS = ("file", "line", "field", "source_language", "source", "language", "translation", "digest")


def _write_csv(entries: list[TranslationEntry], lang: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        line = str(entry.line) if entry.line else ""
        cells = (entry.file, line, entry.field, entry.source_lang, entry.source, lang, "", entry.digest)
        writer.writerow([neutralised(cell) for cell in cells])
    return buffer.getvalue().encode("utf-8")


def _read_csv(content: bytes, shown: str) -> Read:
    try:
        text = content.decode("utf-8-sig")  # a spreadsheet may save a byte-order mark
    except UnicodeDecodeError:
        return [], [SiteError(shown, 1, 1, "", "not UTF-8 text; save the file as UTF-8")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []  # each with the line it starts on: a cell may hold line breaks
    try:
        ended = 0
        for row in reader:
            rows.append((ended + 1, row))
            ended = reader.line_num
    except csv.Error as invalid:
        return [], [SiteError(shown, reader.line_num, 1, "", f"not valid CSV: {invalid}")]
    header = rows[0][1] if rows else []
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        return [], [SiteError(shown, 1, 1, "", f"the header lacks the column(s) {', '.join(missing)}")]
    entries, problems = [], []
    for number, row in rows[1:]:
        if not any(row):
            continue
        cells = {column: restored(cell) for column, cell in zip(header, row, strict=False)}
        if not cells.get("file") or not cells.get("digest") or not cells.get("language"):
            problems.append(SiteError(shown, number, 1, "", "a line without file, language or digest"))
            continue
        entries.append(
            TranslationEntry(
                file=cells["file"],
                field=cells.get("field", ""),
                line=int(cells["line"]) if cells.get("line", "").isdigit() else 0,
                lang=cells["language"],
                source_lang=cells.get("source_language", ""),
                source=cells.get("source", ""),
                digest=cells["digest"],
                translation=cells.get("translation", ""),
                at_line=number,
            )
        )
    return entries, problems


FORMATS: dict[str, TranslationFormat] = {
    "po": TranslationFormat(write=_write_po, read=_read_po),
    "csv": TranslationFormat(write=_write_csv, read=_read_csv),
}
"""Translator's file formats by name, which is also the file's suffix."""


def format_of(path: Path) -> TranslationFormat | None:
    """The format a file's suffix names (`lv.po`, `lv.csv`), if any."""
    return FORMATS.get(path.suffix.lower().lstrip("."))
