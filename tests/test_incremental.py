"""Incremental rebuilds (`sitegen serve`) give exactly what a fresh full build gives, and re-render little."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_example_project

import sitegen.build
from sitegen.build import RenderCache, render_site
from sitegen.errors import ProjectInvalid
from sitegen.site import FileChanges, ParseCache, load_site


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_standard(project: Path) -> None:
    copy = project / "content/standards/zz-copy.yaml"
    shutil.copy(project / "content/standards/greeting.yaml", copy)
    edit(copy, "id: greeting", "id: zz-copy")


EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("a standard's title", lambda p: edit(p / "content/standards/greeting.yaml", "en: ", "en: Edited ")),
    ("a page's translation", lambda p: (p / "content/pages/about.en.md").write_text("Rewritten.\n", encoding="utf-8")),
    ("a survey label", lambda p: edit(p / "surveys/after-visit.yaml", "en: ", "en: Edited ")),
    ("the vision", lambda p: edit(p / "content/vision.yaml", "en: ", "en: Edited ")),
    ("a guide", lambda p: edit(p / "content/onboarding/barista.yaml", "en: ", "en: Edited ")),
    ("a scorecard title", lambda p: edit(p / "content/scorecards/complaints.yaml", "en: ", "en: Edited ")),
    ("the site title", lambda p: edit(p / "sitegen.yaml", "en: ", "en: Edited ")),
    (
        "a template override",
        lambda p: (p / "templates/_footer.html").write_text(
            '<footer class="site-footer">New footer</footer>\n', encoding="utf-8"
        ),
    ),
    ("a new standard", lambda p: add_standard(p)),
    ("a page's front matter", lambda p: edit(p / "content/pages/about.md", "en: About", "en: Edited about")),
    ("a removed translation", lambda p: (p / "content/pages/complaint-log.ru.md").unlink()),
    ("a removed page", lambda p: [path.unlink() for path in (p / "content/pages").glob("about*.md")]),
]


@pytest.fixture
def copy_project(tmp_path: Path) -> Path:
    return copy_example_project(tmp_path / "site")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("incremental") / "site"
    copy_example_project(copy)
    return copy


def test_every_edit_rebuilds_incrementally_to_exactly_the_full_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = ParseCache()
    cache = RenderCache()
    render_site(load_site(project, parsed), cache=cache)
    rendered: list[str] = []
    original = sitegen.build.render_page
    monkeypatch.setattr(
        sitegen.build, "render_page", lambda *args, **kw: rendered.append(args[2].path) or original(*args, **kw)
    )
    for name, change in EDITS:
        change(project)
        rendered.clear()
        incremental = render_site(load_site(project, parsed), cache=cache)
        fresh = render_site(load_site(project))
        assert incremental == fresh, f"after {name} the incremental build differs"
        assert rendered, f"{name}: nothing was rendered again"


def test_editing_one_standard_re_renders_only_its_pages_and_lists(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = ParseCache()
    cache = RenderCache()
    render_site(load_site(project, parsed), cache=cache)
    rendered: list[str] = []
    original = sitegen.build.render_page
    monkeypatch.setattr(
        sitegen.build,
        "render_page",
        lambda *args, **kw: rendered.append(f"{args[2].tree}/{args[2].path}") or original(*args, **kw),
    )
    edit(project / "content/standards/advice.yaml", "en: ", "en: Changed ")
    render_site(load_site(project, parsed), cache=cache)
    expected = [
        f"intranet/{lang}/{page}index.html"
        for lang in ("lv", "ru", "en")
        for page in ("", "standards/", "standards/advice/")
    ]
    expected += [
        f"public/{lang}/index.html" for lang in ("lv", "ru", "en")
    ]  # the home template names the standards list
    assert sorted(rendered) == sorted(expected)


Snapshot = dict[Path, tuple[int, int, int]]


def snapshot(project: Path) -> Snapshot:
    """Every file of the project with its inode, modification time and size."""
    files = (path for path in project.rglob("*") if path.is_file() and "output" not in path.parts)
    return {path: (status.st_ino, status.st_mtime_ns, status.st_size) for path in files if (status := path.stat())}


def watched(before: Snapshot, after: Snapshot) -> FileChanges:
    """What a file watcher reports between two snapshots: a file replaced by a rename is created, not written."""
    kept = before.keys() & after.keys()
    written = {path for path in kept if before[path] != after[path] and before[path][0] == after[path][0]}
    replaced = {path for path in kept if before[path][0] != after[path][0]}
    return FileChanges(frozenset(written), frozenset((before.keys() ^ after.keys()) | replaced))


def save_atomically(path: Path, text: str) -> None:
    """Save as many editors do: write a temporary file beside the file, then rename it over the file."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


WATCHED_EDITS: list[tuple[str, Callable[[Path], None]]] = [
    *EDITS,
    (
        "an atomic rename-save of a page",
        lambda p: save_atomically(
            p / "content/pages/complaint-log.md",
            (p / "content/pages/complaint-log.md").read_text(encoding="utf-8") + "\nSaved by rename.\n",
        ),
    ),
    (
        "a new translation",
        lambda p: (p / "content/pages/complaint-log.ru.md").write_text("Новый текст.\n", encoding="utf-8"),
    ),
    ("a broken survey", lambda p: edit(p / "surveys/after-visit.yaml", "questions:", "colour: red\nquestions:")),
    ("the survey mended", lambda p: edit(p / "surveys/after-visit.yaml", "colour: red\nquestions:", "questions:")),
    ("a removed guide", lambda p: (p / "content/onboarding/barista.yaml").unlink()),
]


def test_every_edit_rebuilt_from_the_watchers_list_is_exactly_the_full_build(copy_project: Path) -> None:
    parsed = ParseCache()
    cache = RenderCache()
    render_site(load_site(copy_project, parsed), cache=cache)
    for name, change in WATCHED_EDITS:
        before = snapshot(copy_project)
        change(copy_project)
        changes = watched(before, snapshot(copy_project))
        assert changes.paths and parsed.trusts(changes), name
        try:
            incremental = render_site(load_site(copy_project, parsed, changes), cache=cache)
        except ProjectInvalid as invalid:
            with pytest.raises(ProjectInvalid) as full:
                load_site(copy_project)
            assert invalid.errors == full.value.errors, f"after {name} the errors differ"
            continue
        assert incremental == render_site(load_site(copy_project)), f"after {name} the incremental build differs"


def test_a_rebuild_given_the_watchers_list_reads_only_the_files_it_names(copy_project: Path) -> None:
    parsed = ParseCache()
    load_site(copy_project, parsed)
    edit(copy_project / "content/standards/greeting.yaml", "en: ", "en: Unseen ")
    edit(copy_project / "content/standards/advice.yaml", "en: ", "en: Seen ")
    site = load_site(
        copy_project, parsed, FileChanges(written=frozenset({copy_project / "content/standards/advice.yaml"}))
    )
    titles = {source.model.id: source.model.title.translations["en"] for source in site.standards}
    assert titles["advice"].startswith("Seen ")
    assert not titles["greeting"].startswith("Unseen ")


def test_a_file_reported_but_unchanged_rebuilds_to_the_same_site(copy_project: Path) -> None:
    parsed = ParseCache()
    cache = RenderCache()
    first = render_site(load_site(copy_project, parsed), cache=cache)
    reported = FileChanges(written=frozenset({copy_project / "surveys/after-visit.yaml", copy_project / "notes.txt"}))
    assert render_site(load_site(copy_project, parsed, reported), cache=cache) == first


@pytest.mark.parametrize("folder", ["content/onboarding", "content/pages"])
def test_a_moved_folder_reported_alone_scans_every_file(copy_project: Path, folder: str) -> None:
    parsed = ParseCache()
    cache = RenderCache()
    render_site(load_site(copy_project, parsed), cache=cache)
    moved = copy_project / folder
    moved.rename(copy_project / "moved-away")  # inotify names the folder, not the files it takes along
    changes = FileChanges(created_or_removed=frozenset({moved}))
    assert not parsed.trusts(changes)
    assert render_site(load_site(copy_project, parsed, changes), cache=cache) == render_site(load_site(copy_project))


def test_a_project_with_a_linked_source_is_scanned_whole_every_time(copy_project: Path) -> None:
    parsed = ParseCache()
    guide = copy_project / "content/onboarding/barista.yaml"
    linked = copy_project / "data/barista.yaml"
    guide.rename(linked)
    guide.symlink_to(linked)
    load_site(copy_project, parsed)
    assert not parsed.trusts(FileChanges(written=frozenset({linked})))


def test_a_removed_or_renamed_file_leaves_the_parse_cache(copy_project: Path) -> None:
    parsed = ParseCache()
    load_site(copy_project, parsed)
    standard = copy_project / "content/standards/greeting.yaml"
    renamed = copy_project / "content/standards/greeting-renamed.yaml"
    advice = copy_project / "content/standards/advice.yaml"
    assert {standard, advice} <= {path for path, _ in parsed.parsed}
    standard.rename(renamed)
    advice.unlink()
    load_site(copy_project, parsed, FileChanges(created_or_removed=frozenset({standard, renamed, advice})))
    kept = {path for path, _ in parsed.parsed}
    assert renamed in kept and not {standard, advice} & kept, "only the files the project holds now"
