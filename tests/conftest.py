"""Shared fixtures: a small valid project to copy and break, and the problems sitegen reports for it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings

from sitegen.build import build_project
from sitegen.errors import ProjectInvalid
from sitegen.site import load_site

# Hypothesis' per-example deadline is a timing assertion, and on two shared cores it fails at random; speed is
# measured in bench/, never in unit tests.
settings.register_profile("sitegen", deadline=None)
settings.load_profile("sitegen")

pytest_plugins = ["alert_fixtures", "browser_fixtures", "postgres_fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/ from what the build writes now (review it)"
    )


T = TypeVar("T")


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own thread (a browser test's Playwright may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, scenario).result()


MINIMAL_PROJECT = Path(__file__).parent / "fixtures" / "minimal"

Edit = tuple[str, str, str]
"""`(file relative to the project, old text, new text)`: one text replacement."""


@pytest.fixture
def minimal_project(tmp_path: Path) -> Path:
    """A fresh copy of tests/fixtures/minimal (valid, no warnings), free to break."""
    project = tmp_path / "minimal"
    shutil.copytree(MINIMAL_PROJECT, project)
    return project


def report_problems(project: Path, *edits: Edit) -> list[str]:
    """Apply `edits` to `project`, then load it: every error and warning as a `file:line:col: ...` line.

    Each old text must occur in its file, so a test cannot pass because the
    fixture changed under it. A valid project without warnings gives [].
    """
    for name, old, new in edits:
        path = project / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    try:
        site = load_site(project)
    except ProjectInvalid as invalid:
        return [str(problem) for problem in invalid.errors]
    return [str(warning) for warning in site.warnings]


@pytest.fixture
def problems() -> Callable[..., list[str]]:
    """`problems(project, *edits)`: see `report_problems`."""
    return report_problems


REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("sitegen.yaml", "assets", "content", "surveys", "templates", "data")
"""The example site project at the repository root: just its sources, no store, no output, no tools."""


def copy_example_project(target: Path) -> Path:
    """A fresh copy of the example site's sources at `target` (without a response store)."""
    target.mkdir(parents=True)
    for part in EXAMPLE_PARTS:
        source = REPOSITORY / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("*.sqlite3*"))
        else:
            shutil.copy(source, target / part)
    return target


@pytest.fixture(scope="session")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site at the repository root, built once into a temporary copy (read, never changed)."""
    copy = tmp_path_factory.mktemp("example") / "site"
    copy_example_project(copy)
    build_project(copy)
    return copy / "output"
