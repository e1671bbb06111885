"""Find a site project on disk, list its source files by kind, and read them as text.

This is the one place that knows the project layout of docs/DESIGN.md section 3.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.errors import SiteError, SitegenError

CONFIG_FILE = "sitegen.yaml"
OUTPUT_DIR = "output"
TEMPLATES_DIR = "templates"
SURVEYS_DIR = "surveys"
SOURCE_FOLDERS = ("content", "surveys", TEMPLATES_DIR, "data")
"""The folders a build reads (templates/ holds static/ too): nothing in them may resolve outside the project."""
_TRANSLATED_PAGE = re.compile(r"^(?P<slug>.+)\.(?P<lang>[a-z]{2,3})$")


class NoProject(SitegenError):
    """The directory given is not a site project."""


@dataclass
class PageFiles:
    """A free page: its main file (front matter + default-language body) and translations."""

    slug: str
    main: Path | None
    translations: dict[str, Path] = field(default_factory=dict)


@dataclass
class ProjectFiles:
    """Every source file of a project, grouped by what it holds, in a stable order."""

    root: Path
    config: Path
    vision: Path
    standards: list[Path]
    guides: list[Path]
    scorecards: list[Path]
    surveys: list[Path]
    pages: list[PageFiles]

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES_DIR

    @property
    def output(self) -> Path:
        return self.root / OUTPUT_DIR

    def relative(self, path: Path) -> str:
        """The path as the owner would type it from the project root."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def find_project(directory: Path) -> ProjectFiles:
    """List the source files of the project in `directory`."""
    root = directory.resolve()
    config = root / CONFIG_FILE
    if not config.is_file():
        raise NoProject(f"{root}: no {CONFIG_FILE} here; run 'sitegen new DIR' to start a project, or pass -C DIR")
    content = root / "content"
    return ProjectFiles(
        root=root,
        config=config,
        vision=content / "vision.yaml",
        standards=_yaml_files(content / "standards"),
        guides=_yaml_files(content / "onboarding"),
        scorecards=_yaml_files(content / "scorecards"),
        surveys=_yaml_files(root / SURVEYS_DIR),
        pages=_page_files(content / "pages"),
    )


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        (path for path in directory.iterdir() if path.suffix in (".yaml", ".yml") and path.is_file()),
        key=lambda path: path.name,
    )


def _page_files(directory: Path) -> list[PageFiles]:
    """Group `about.md` with its translations `about.ru.md`, `about.en.md`."""
    if not directory.is_dir():
        return []
    pages: dict[str, PageFiles] = {}
    for path in sorted(directory.glob("*.md"), key=lambda path: path.name):  # names: Path comparisons are slow
        translated = _TRANSLATED_PAGE.match(path.stem)
        slug = translated["slug"] if translated else path.stem
        page = pages.setdefault(slug, PageFiles(slug, None))
        if translated:
            page.translations[translated["lang"]] = path
        else:
            page.main = path
    return [pages[slug] for slug in sorted(pages)]


def links_outside(files: ProjectFiles, links: list[Path] | None = None) -> list[SiteError]:
    """Every source file or folder that resolves outside the project, at any depth; every link met joins `links`.

    A symlink such as `content/pages/about.en.md -> /etc/passwd` would
    otherwise be published as if the owner had written it (CWE-59, link
    following; OWASP path traversal). Links that stay inside the project are
    fine, and are followed to check what they lead to.
    """
    problems: list[SiteError] = []
    visited: set[Path] = set()
    met = [] if links is None else links
    for source in (files.config, *(files.root / folder for folder in SOURCE_FOLDERS)):
        problems += _links_outside(source, files, visited, met)
    return problems


def _links_outside(path: Path, files: ProjectFiles, visited: set[Path], links: list[Path]) -> list[SiteError]:
    if path.is_symlink():
        links.append(path)
    resolved = path.resolve()
    if not resolved.is_relative_to(files.root):
        message = "links outside the project; copy the file into the project instead"
        return [SiteError(files.relative(path), 1, 1, "", message)]
    if resolved in visited or not resolved.is_dir():
        return []
    return _folder_links_outside(path, resolved, files, visited, links)


def _folder_links_outside(
    path: Path, resolved: Path, files: ProjectFiles, visited: set[Path], links: list[Path]
) -> list[SiteError]:
    """The links under a folder that resolves inside the project.

    Only a symbolic link can lead out: any other entry resolves to the
    folder's resolved path and its own name, so only links are resolved (a
    big project's files would otherwise each cost a `realpath`, most of a
    one-file rebuild under `sitegen serve`).
    """
    visited.add(resolved)  # a link to a folder above itself would otherwise be walked forever
    problems: list[SiteError] = []
    with os.scandir(path) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_symlink():
            problems += _links_outside(path / entry.name, files, visited, links)
        elif entry.is_dir(follow_symlinks=False) and resolved / entry.name not in visited:
            problems += _folder_links_outside(path / entry.name, resolved / entry.name, files, visited, links)
    return problems


def read_text(path: Path, shown_as: str) -> tuple[str | None, SiteError | None]:
    """Read a UTF-8 source file; a file in another encoding is an owner's error."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as problem:
        before = raw[: problem.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8-sig")) + 1  # in characters, as editors count
        message = f"not UTF-8 text (byte 0x{raw[problem.start]:02x}); save the file with UTF-8 encoding"
        return None, SiteError(shown_as, line, col, "", message)
