"""Load a whole site project: read, parse and validate every file, then check it as a whole.

This is phase one of a build (Pelican's split): nothing is rendered until
every file has been read and every problem collected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from sitegen.checks import check_site
from sitegen.edits import check_edits
from sitegen.errors import ProjectInvalid, Severity, SiteError
from sitegen.loading import Document, parse_markdown_file, parse_yaml
from sitegen.models.content import Guide, PageMeta, Standard, Vision
from sitegen.models.scorecard import Scorecard
from sitegen.models.site import SiteConfig
from sitegen.models.survey import Survey
from sitegen.plugins import load_plugins
from sitegen.project import PageFiles, ProjectFiles, find_project, links_outside, read_text
from sitegen.themes import template_folders
from sitegen.validation import Source, error_at, validate_document

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_REMOTE = r"(?:[a-z][a-z0-9+.-]*:)?//"
"""`https://`, `http://` or protocol-relative `//`: an address on another host."""
_REMOTE_IMAGE = re.compile(
    rf"!\[[^\]]*\]\(\s*<?(?P<inline>{_REMOTE}[^)\s>]*)"  # ![alt](https://...)
    rf"|<img\b[^>]*?\bsrc\s*=\s*[\"']?\s*(?P<html>{_REMOTE}[^\"'\s>]*)",  # <img src="https://...">
    re.IGNORECASE,
)
_IMAGE_REFERENCE = re.compile(r"!\[(?P<alt>[^\]]*)\](?:\[(?P<label>[^\]]*)\])?")
_REMOTE_DEFINITION = re.compile(rf"^ {{0,3}}\[(?P<label>[^\]]+)\]:\s*<?(?P<url>{_REMOTE}\S*?)>?(?:\s|$)", re.IGNORECASE)
REMOTE_IMAGE_ADVICE = (
    "a remote image ({url}): the site loads nothing from other hosts; put the image in templates/static/"
)


def remote_images(text: str) -> Iterator[tuple[int, str]]:
    """The line (from 1) and address of every image in Markdown `text` that would load from another host.

    Inline images, HTML `<img>` and reference-style images (`![x][logo]` with
    `[logo]: https://...`) all count; plain links do not.
    """
    lines = text.splitlines()
    used_labels = {(found["label"] or found["alt"]).strip().lower() for found in _IMAGE_REFERENCE.finditer(text)}
    for number, line in enumerate(lines, start=1):
        for found in _REMOTE_IMAGE.finditer(line):
            yield number, found["inline"] or found["html"]
        definition = _REMOTE_DEFINITION.match(line)
        if definition and definition["label"].strip().lower() in used_labels:
            yield number, definition["url"]


def _strings(value: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string in a YAML value, with its place (`("why", "en")`)."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))


@dataclass
class Page:
    """A free Markdown page: front matter, and its body per language.

    Lists of pages show the front matter only, so the bodies stay out of the
    page's repr, which incremental rebuilds digest: editing a page's text
    re-renders that page, not every list it appears in. A page's template
    gets its body as `body`.
    """

    slug: str
    meta: Source[PageMeta]
    bodies: dict[str, str] = field(repr=False, compare=False)


@dataclass
class Site:
    """Everything an owner wrote, validated; `warnings` never stop a build."""

    files: ProjectFiles
    config: Source[SiteConfig]
    vision: Source[Vision] | None
    standards: list[Source[Standard]]
    guides: list[Source[Guide]]
    surveys: list[Source[Survey]]
    scorecards: list[Source[Scorecard]]
    pages: list[Page]
    warnings: list[SiteError] = field(default_factory=list)
    invalid_ids: dict[type[BaseModel], set[str]] = field(default_factory=dict)
    """Ids and file names of files that failed validation, by model: a reference to one is not an error too."""

    @property
    def template_folders(self) -> list[Path]:
        """Where this site's templates are looked up: its own, its theme's chain, plugins' form controls."""
        return template_folders(self.files.templates, self.config.model.theme)

    @property
    def languages(self) -> list[str]:
        return self.config.model.languages

    @property
    def default_language(self) -> str:
        return self.config.model.default_language


@dataclass
class _Parsed:
    """What reading one file (a page: its files) gave, kept while they are unchanged."""

    files: tuple[Path, ...]
    stamp: tuple[Any, ...]
    source: Any
    errors: list[SiteError]
    invalid_ids: set[str]


@dataclass(frozen=True)
class FileChanges:
    """What a file watcher saw since the last load: files written, and files created or removed (a rename is both).

    A load given these trusts them: it reads again only these files, and
    lists the project's files again only when one was created or removed.
    """

    written: frozenset[Path] = frozenset()
    created_or_removed: frozenset[Path] = frozenset()

    @property
    def paths(self) -> frozenset[Path]:
        return self.written | self.created_or_removed


@dataclass
class ParseCache:
    """Parsed files by path and model, and the project's files as last listed, for `sitegen serve`: an edit re-reads
    only the file it touched."""

    parsed: dict[tuple[Path, type], _Parsed] = field(default_factory=dict)
    files: ProjectFiles | None = None
    """The last listing; None before the first, or when it held a link (a watcher may name a linked file by the
    path it leads to, not the listed one)."""
    folders: frozenset[Path] = frozenset()
    """Every folder that held a listed file, up to the project root: a change to one is not a file's change."""

    def remember(self, files: ProjectFiles | None) -> None:
        """Keep a new listing (None: forget it, so that the next load lists the files again), and forget the files
        it no longer lists (removed or renamed): a preview open for a day of edits holds only the project's files."""
        self.files = files
        listed = set(_source_paths(files)) if files is not None else set()
        if files is not None:
            self.parsed = {key: parsed for key, parsed in self.parsed.items() if key[0] in listed}
        folders = {path.parent for path in listed}
        self.folders = frozenset(folders | {parent for folder in folders for parent in folder.parents})

    def trusts(self, changes: FileChanges) -> bool:
        """Whether `changes` can name every file changed since the last load: there was one, and no folder changed
        (a folder moved or removed takes its files along without an event for each)."""
        return self.files is not None and not any(path in self.folders or path.is_dir() for path in changes.paths)


def _source_paths(files: ProjectFiles) -> list[Path]:
    """Every source file a listing names (the vision's, whether or not it exists)."""
    pages = [path for page in files.pages for path in _files_of(page)]
    return [files.config, files.vision, *files.standards, *files.guides, *files.scorecards, *files.surveys, *pages]


def _files_of(page: PageFiles) -> tuple[Path, ...]:
    """A page's files: its own (when it has one) first, then its translations by language."""
    return (*(() if page.main is None else (page.main,)), *page.translations.values())


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


class _Reader:
    """Reads files of one project, collecting every error instead of stopping.

    With a cache, a file is read again when its stamp changed, or, when the
    load trusts a watcher's `changed` paths, only when it is one of them.
    """

    def __init__(
        self, files: ProjectFiles, cache: ParseCache | None = None, changed: frozenset[Path] | None = None
    ) -> None:
        self.files = files
        self.errors: list[SiteError] = []
        self.invalid_ids: dict[type[BaseModel], set[str]] = {}
        self.cache = cache
        self.changed = changed

    def text(self, path: Path) -> str | None:
        text, error = read_text(path, self.files.relative(path))
        if error is not None:
            self.errors.append(error)
        return text

    def model(self, path: Path, model: type[M]) -> Source[M] | None:
        return self._remembered((path,), model, (), lambda: self._read_model(path, model))

    def _remembered(self, files: tuple[Path, ...], model: type, settings: tuple[Any, ...], read: Callable[[], T]) -> T:
        """What `read` gives from `files`, and the errors it reported, taken from the cache while they are unchanged
        and `settings` are the same."""
        if self.cache is None:
            return read()
        key = (files[0], model)
        parsed = self.cache.parsed.get(key)
        if parsed is None or not self._is_unchanged(parsed, files, settings):
            stamp = (*settings, *(_stamp(path) for path in files))
            errors_before, invalid_before = len(self.errors), set(self.invalid_ids.get(model, set()))
            result = read()
            invalid_now = self.invalid_ids.get(model, set()) - invalid_before
            self.cache.parsed[key] = _Parsed(files, stamp, result, self.errors[errors_before:], invalid_now)
            return result
        self.errors += parsed.errors
        self.invalid_ids.setdefault(model, set()).update(parsed.invalid_ids)
        return parsed.source  # type: ignore[no-any-return]

    def _is_unchanged(self, parsed: _Parsed, files: tuple[Path, ...], settings: tuple[Any, ...]) -> bool:
        if parsed.files != files or parsed.stamp[: len(settings)] != settings:
            return False
        if self.changed is not None:
            return not any(path in self.changed for path in files)
        return parsed.stamp[len(settings) :] == tuple(_stamp(path) for path in files)

    def _read_model(self, path: Path, model: type[M]) -> Source[M] | None:
        text = self.text(path)
        document = parse_yaml(text, self.files.relative(path)) if text is not None else None
        source = self._validate(document, model) if document is not None else None
        if source is None:
            invalid = self.invalid_ids.setdefault(model, set())
            invalid.add(path.stem)
            if document is not None and isinstance(document.value, dict) and isinstance(document.value.get("id"), str):
                invalid.add(document.value["id"])
        return source

    def models(self, paths: list[Path], model: type[M]) -> list[Source[M]]:
        sources = [self.model(path, model) for path in paths]
        return [source for source in sources if source is not None]

    def _validate(self, document: Document, model: type[M]) -> Source[M] | None:
        validated, errors = validate_document(document, model)
        self.errors += errors
        self.errors += [
            error_at(document, loc, REMOTE_IMAGE_ADVICE.format(url=url), warning=True)
            for loc, text in _strings(document.value)
            for _, url in remote_images(text)
        ]
        return Source(validated, document) if validated is not None else None

    def page(self, page: PageFiles, languages: list[str] | None) -> Page | None:
        """A page and its translations; `languages` is None when sitegen.yaml itself is invalid."""
        return self._remembered(_files_of(page), Page, tuple(languages or ()), lambda: self._read_page(page, languages))

    def _read_page(self, page: PageFiles, languages: list[str] | None) -> Page | None:
        default = languages[0] if languages else "default-language"
        if page.main is None:
            some = next(iter(page.translations.values()))
            self.errors.append(
                SiteError(
                    self.files.relative(some),
                    1,
                    1,
                    "",
                    f"a translation without its page: create content/pages/{page.slug}.md"
                    f" with the front matter and the {default} text",
                )
            )
            return None
        text = self.text(page.main)
        if text is None:
            return None
        parsed = parse_markdown_file(text, self.files.relative(page.main))
        if parsed.front_matter is None:
            self.errors.append(
                SiteError(
                    self.files.relative(page.main),
                    1,
                    1,
                    "",
                    "a page starts with front matter between '---' lines, holding at least 'title'",
                )
            )
            return None
        meta = self._validate(parsed.front_matter, PageMeta)
        bodies = {default: parsed.body}
        self._check_images(page.main, text, parsed.body)
        for lang, path in sorted(page.translations.items()):
            body = self.text(path)
            if body is None:
                continue
            if languages is not None and lang not in languages:
                self.errors.append(
                    SiteError(
                        self.files.relative(path),
                        1,
                        1,
                        "",
                        f"'{lang}' is not one of the site's languages ({', '.join(languages)})",
                    )
                )
            else:
                translation = parse_markdown_file(body, "")
                if translation.front_matter is not None:
                    self.errors.append(
                        SiteError(
                            self.files.relative(path),
                            1,
                            1,
                            "",
                            f"a translation holds only the text; keep the front matter in content/pages/{page.slug}.md",
                        )
                    )
                bodies[lang] = translation.body
                self._check_images(path, body, translation.body)
        return Page(page.slug, meta, bodies) if meta is not None else None

    def _check_images(self, path: Path, text: str, body: str) -> None:
        """Warn of remote images in a page's Markdown `body`, which ends the file's `text`."""
        lines_before = text.count("\n") - body.count("\n")
        shown = self.files.relative(path)
        for line, url in remote_images(body):
            message = REMOTE_IMAGE_ADVICE.format(url=url)
            self.errors.append(SiteError(shown, lines_before + line, 1, "", message, Severity.WARNING))


def _listed_files(directory: Path, cache: ParseCache | None, trusted: FileChanges | None) -> ProjectFiles:
    """The project's files: as the cache last listed them when no file was created or removed since (`trusted`)."""
    if cache is not None and cache.files is not None and trusted is not None and not trusted.created_or_removed:
        return cache.files  # no file, so no link to outside, can have appeared
    files = find_project(directory)
    links: list[Path] = []
    outside = links_outside(files, links)
    if cache is not None:
        cache.remember(None if links else files)
    if outside:  # reading them would already leak them into error messages
        raise ProjectInvalid(outside)
    return files


def load_site(directory: Path, cache: ParseCache | None = None, changes: FileChanges | None = None) -> Site:
    """Read and check a project; raise ProjectInvalid listing every error and warning.

    With a `cache`, files unchanged since the last call are not parsed again:
    those not named in `changes` when the cache trusts them, else those whose
    stamps (modification time and size) are the same.
    """
    load_plugins()  # before any survey or scorecard is read: their types join the models
    trusted = changes if cache is not None and changes is not None and cache.trusts(changes) else None
    files = _listed_files(directory, cache, trusted)
    reader = _Reader(files, cache, None if trusted is None else trusted.paths)
    config = reader.model(files.config, SiteConfig)
    languages = config.model.languages if config is not None else None
    site = Site(
        files=files,
        config=config,  # type: ignore[arg-type]
        vision=reader.model(files.vision, Vision) if files.vision.is_file() else None,
        standards=reader.models(files.standards, Standard),
        guides=reader.models(files.guides, Guide),
        surveys=reader.models(files.surveys, Survey),
        scorecards=reader.models(files.scorecards, Scorecard),
        pages=[page for page in (reader.page(p, languages) for p in files.pages) if page is not None],
        invalid_ids=reader.invalid_ids,
    )
    problems = reader.errors
    if not files.vision.is_file():
        problems.append(
            SiteError(
                files.relative(files.vision),
                1,
                1,
                "",
                "missing file: the home page shows the vision and values written here",
            )
        )
    problems += check_site(site)
    survey_paths = {source.path for source in site.surveys}
    if not any(problem.path in survey_paths for problem in problems if not problem.is_warning):
        problems += check_edits(site)  # judged once the survey files themselves hold
    errors = [problem for problem in problems if not problem.is_warning]
    site.warnings = sorted(problem for problem in problems if problem.is_warning)
    if errors:
        raise ProjectInvalid(problems)
    return site
