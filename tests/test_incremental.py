"""Incremental rebuilds (`sitegen serve`) give exactly what a fresh full build gives, and re-render little."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_example_project

import sitegen.build
from sitegen.build import RenderCache, render_site
from sitegen.site import ParseCache, load_site


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
