"""The built site of tests/fixtures/minimal, file for file, against the tree kept in tests/golden/minimal.

Any change to what a build writes shows up here as a diff to review. When
the change is meant, run `pytest tests/test_golden.py --update-golden` and
commit the new tree with the change that made it. Large third-party files
(the Vega bundle), the theme's static files, copied as they are, and the
search index (Pagefind's binary files and script) are kept as a digest in
`MANIFEST`, not as copies.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import shutil
from pathlib import Path

import pytest

from sitegen.build import build_project

FIXTURE = Path(__file__).parent / "fixtures" / "minimal"
GOLDEN = Path(__file__).parent / "golden" / "minimal"
MANIFEST = "MANIFEST"
AS_OF = dt.date(2026, 6, 15)
"""The kept tree is the site as it stood on this day, so it does not change with the calendar."""
DIGEST_ONLY_BYTES = 100_000
"""Files larger than this are kept in the manifest only, and so are the files of `DIGEST_ONLY_FOLDERS`."""
DIGEST_ONLY_FOLDERS = {"static", "pagefind"}
"""Copies of the theme's static files, and the search index (`sitegen.render.search.BUNDLE`)."""


def _manifest(tree: Path) -> dict[str, str]:
    """Every file below `tree`: its path relative to `tree` -> its SHA-256."""
    return {
        path.relative_to(tree).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(tree.rglob("*"))
        if path.is_file()
    }


def _write_golden(output: Path) -> None:
    shutil.rmtree(GOLDEN, ignore_errors=True)
    GOLDEN.mkdir(parents=True)
    manifest = _manifest(output)
    for name in manifest:
        source = output / name
        folders = set(source.relative_to(output).parts)
        if source.stat().st_size <= DIGEST_ONLY_BYTES and not DIGEST_ONLY_FOLDERS & folders:
            target = GOLDEN / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    lines = [f"{digest}  {name}" for name, digest in manifest.items()]
    (GOLDEN / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _read_manifest() -> dict[str, str]:
    entries = (GOLDEN / MANIFEST).read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in entries)}


def _diff(name: str, built: Path) -> str:
    kept = GOLDEN / name
    if not kept.is_file():
        return f"{name}: differs (kept as a digest only)"
    lines = difflib.unified_diff(
        kept.read_text(encoding="utf-8").splitlines(),
        built.read_text(encoding="utf-8").splitlines(),
        f"golden/{name}",
        f"built/{name}",
        lineterm="",
        n=1,
    )
    return "\n".join(list(lines)[:40])


def test_the_minimal_site_builds_exactly_as_kept(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    build_project(project, as_of=AS_OF)
    output = project / "output"
    if request.config.getoption("--update-golden"):
        _write_golden(output)
    built, kept = _manifest(output), _read_manifest()
    assert sorted(built) == sorted(kept), "files added or removed; run with --update-golden if that is meant"
    changed = [name for name in built if built[name] != kept[name]]
    assert not changed, "\n\n".join(_diff(name, output / name) for name in changed[:5])


def test_the_kept_tree_matches_its_manifest() -> None:
    """A hand edit of a kept file (instead of --update-golden) is caught too."""
    kept = _read_manifest()
    copies = {name: digest for name, digest in _manifest(GOLDEN).items() if name != MANIFEST}
    assert all(kept[name] == digest for name, digest in copies.items())
    assert set(copies) <= set(kept)
