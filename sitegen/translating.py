"""The translator's round trip: the texts a language lacks go out to a file, the filled translations come back.

An import is all or nothing: every entry is checked against the project as
it is now (the file and field exist, the source text is the one that was
exported, the language has no other text there), every edited file is made
in memory, and only then is each written, atomically. A problem anywhere
writes nothing and names the entry's line in the translation file and the
text's place in the project.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.errors import ProjectInvalid, SiteError, SitegenError, did_you_mean
from sitegen.models.common import Text
from sitegen.models.content import PageMeta
from sitegen.site import Page, Site
from sitegen.translation_files import TranslationEntry, TranslationFormat
from sitegen.untranslated import body_path, find_texts, missing_bodies, missing_texts, source_digest, text_sources
from sitegen.validation import Source, parse_field
from sitegen.yaml_roundtrip import Addition, EditRefused, add_translations


def export_translations(site: Site, lang: str) -> list[TranslationEntry]:
    """Every text of the site that has no `lang` translation, with its source text and where it stands."""
    if lang not in site.languages:
        known = ", ".join(site.languages)
        raise SitegenError(f"'{lang}' is not one of the site's languages ({known}){did_you_mean(lang, site.languages)}")
    fields = [
        TranslationEntry(
            file=missing.source.path,
            field=missing.field,
            line=missing.source.document.tree.locate(missing.loc).line,
            lang=lang,
            source_lang=missing.source_lang,
            source=missing.source_text,
            digest=missing.digest,
        )
        for missing in missing_texts(site)
        if missing.lang == lang and missing.source_text.strip()
    ]
    bodies = [
        TranslationEntry(body.path, "", 0, lang, body.source_lang, body.source_text, source_digest(body.source_text))
        for body in missing_bodies(site)
        if body.lang == lang and body.source_text.strip()
    ]
    return fields + bodies


@dataclass
class ImportReport:
    """What an import did: translations added per project file, and entries it had no reason to use."""

    added: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    """Entries left untranslated, or marked fuzzy (unsure) in a PO editor."""
    already: int = 0
    """Entries whose translation is already in place, word for word (a file imported twice)."""

    def lines(self) -> list[str]:
        total = sum(self.added.values())
        lines = [f"{path}: {count} translation{'s' * (count != 1)} added" for path, count in self.added.items()]
        files = len(self.added)
        lines.append(f"Added {total} translation{'s' * (total != 1)} to {files} file{'s' * (files != 1)}.")
        if self.empty:
            lines.append(f"Skipped {self.empty} entries without a translation (or marked fuzzy).")
        if self.already:
            lines.append(f"Skipped {self.already} entries already translated so.")
        return lines


def import_translations(site: Site, path: Path, file_format: TranslationFormat) -> ImportReport:
    """Put the filled translations of the file at `path` into the site's files; raise ProjectInvalid (nothing
    written) if any entry does not fit."""
    shown = str(path)
    try:
        content = path.read_bytes()
    except OSError as problem:
        raise SitegenError(f"{shown}: cannot read it ({problem.strerror})") from problem
    entries, problems = file_format.read(content, shown)
    plan = _Plan(site, shown, problems)
    for entry in entries:
        plan.take(entry)
    edited = plan.edited_files()
    if plan.problems:
        raise ProjectInvalid(plan.problems)
    for file, (text, mode_of) in edited.items():
        _replace_atomically(site.files.root / file, text.encode("utf-8"), stat.S_IMODE(mode_of.stat().st_mode))
    return plan.report


@dataclass
class _Plan:
    """What an import will write, built entry by entry: nothing is written while it collects problems."""

    site: Site
    shown: str
    problems: list[SiteError]
    report: ImportReport = field(default_factory=ImportReport)
    additions: dict[str, list[Addition]] = field(default_factory=lambda: defaultdict(list))
    new_bodies: dict[str, tuple[str, Path]] = field(default_factory=dict)
    seen: dict[tuple[str, tuple[Any, ...], str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sources = {source.path: source for source in text_sources(self.site)}
        self.pages = {
            body_path(page, lang): (page, lang) for page in self.site.pages for lang in self.site.languages[1:]
        }

    def take(self, entry: TranslationEntry) -> None:
        """Check one entry and plan its addition (a text in a file, or a page body's new file)."""
        if not entry.translation.strip() or entry.is_fuzzy:
            self.report.empty += 1
            return
        checked: Addition | str | SiteError | None
        if entry.field:
            checked = _checked(entry, self.site, self.sources, self.seen, self.shown)
        else:
            checked = _checked_body(entry, self.pages, self.seen, self.shown)
        if isinstance(checked, SiteError):
            self.problems.append(checked)
        elif checked is None:
            self.report.already += 1
        elif isinstance(checked, Addition):
            self.additions[entry.file].append(checked)
        else:
            self.new_bodies[entry.file] = (checked, self.site.files.root / self.pages[entry.file][0].meta.path)

    def edited_files(self) -> dict[str, tuple[str, Path]]:
        """Each file's new text, and the file whose permissions it takes; a file that cannot be edited is a
        problem."""
        edited: dict[str, tuple[str, Path]] = {}
        for file, wanted in self.additions.items():
            source = self.sources[file]
            target = self.site.files.root / file
            try:
                text = add_translations(
                    target.read_text(encoding="utf-8"), wanted, is_markdown=isinstance(source.model, PageMeta)
                )
            except EditRefused as refused:
                line = source.document.tree.locate(wanted[0].loc).line
                self.problems.append(SiteError(file, line, 1, "", f"cannot add the translations here: {refused}"))
                continue
            edited[file] = (text, target)
            self.report.added[file] = len(wanted)
        for file, (text, page_file) in self.new_bodies.items():
            edited[file] = (text, page_file)
            self.report.added[file] = 1
        return edited


def _checked(
    entry: TranslationEntry,
    site: Site,
    sources: dict[str, Source[Any]],
    seen: dict[tuple[str, tuple[Any, ...], str], int],
    shown: str,
) -> Addition | SiteError | None:
    """The addition an entry asks for; a problem at its line of the translation file; None if already in place."""

    def refusal(message: str, at: str = "") -> SiteError:
        return SiteError(shown, entry.at_line or 1, 1, "", f"{at or entry.file}: {message}")

    if entry.lang not in site.languages:
        return refusal(f"'{entry.lang}' is not one of the site's languages ({', '.join(site.languages)})")
    source = sources.get(entry.file)
    if source is None:
        return refusal(f"no such file with texts in this project{did_you_mean(entry.file, sources)}")
    loc = parse_field(entry.field)
    text = dict(find_texts(source.model)).get(loc) if loc is not None else None
    if loc is None or text is None:
        return refusal(f"no text at '{entry.field}' (was the file reorganised since the export? export again)")
    position = source.document.tree.locate(loc)
    at = f"{entry.file}:{position.line}:{position.col}: {entry.field}"
    key = (entry.file, loc, entry.lang)
    if key in seen:
        return refusal(f"translated twice in this file (also on line {seen[key]})", at)
    seen[key] = entry.at_line
    current = _current_source(text, entry.source_lang)
    if current is None or source_digest(current) != entry.digest:
        return refusal(
            f"its {entry.source_lang} text changed since the export; export again and translate the new text", at
        )
    if entry.lang in text.translations:
        if text.translations[entry.lang] == entry.translation:
            return None
        return refusal(f"already has a different {entry.lang} text; change it in the file itself", at)
    return Addition(loc, entry.lang, entry.translation, entry.source_lang)


def _checked_body(
    entry: TranslationEntry,
    pages: dict[str, tuple[Page, str]],
    seen: dict[tuple[str, tuple[Any, ...], str], int],
    shown: str,
) -> str | SiteError | None:
    """The text of the page-body file an entry makes; a problem at its line; None if the file says it already."""

    def refusal(message: str) -> SiteError:
        return SiteError(shown, entry.at_line or 1, 1, "", f"{entry.file}: {message}")

    page, lang = pages.get(entry.file, (None, entry.lang))
    if page is None or lang != entry.lang:
        return refusal("not the body of a page in this language (content/pages/<slug>.<lang>.md)")
    if (entry.file, (), lang) in seen:
        return refusal(f"translated twice in this file (also on line {seen[entry.file, (), lang]})")
    seen[entry.file, (), lang] = entry.at_line
    text = entry.translation if entry.translation.endswith("\n") else entry.translation + "\n"
    if lang in page.bodies:
        if page.bodies[lang] == text:
            return None
        return refusal("exists already with a different text; change it in the file itself")
    current = page.bodies.get(entry.source_lang)
    if current is None or source_digest(current) != entry.digest:
        return refusal(
            f"the {entry.source_lang} body of {page.meta.path} changed since the export; export again and translate "
            "the new text"
        )
    return text


def _current_source(text: Text, source_lang: str) -> str | None:
    """The text a translation was made from, as it stands now: the one text for all languages, or `source_lang`'s."""
    return text.common if text.common is not None else text.translations.get(source_lang)


def _replace_atomically(target: Path, content: bytes, mode: int) -> None:
    """Write `content` beside `target` and rename it over, so an editor or a build never reads half a file; `mode`
    keeps the owner's permissions."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
