"""The editors' JSON Schemas: made from the models, shipped as written, and every example file passes its own."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from sitegen.cli import main
from sitegen.editor_schemas import FILE_KINDS, MODELINE, FileKind, schema_text
from sitegen.scaffold import create_project
from sitegen.site import load_site

REPOSITORY = Path(__file__).resolve().parent.parent
PROJECTS = {
    "example": REPOSITORY,
    "minimal fixture": REPOSITORY / "tests" / "fixtures" / "minimal",
    "design fixture": REPOSITORY / "tests" / "fixtures" / "design",
}


def as_json(value: Any) -> Any:
    """YAML as an editor's language server reads it: dates stay the text they were written as (YAML 1.2)."""
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def problems(kind: FileKind, path: Path) -> list[str]:
    document = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    validator = Draft202012Validator(kind.schema())
    return [
        f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda kind: kind.name)
def test_each_schema_is_a_valid_json_schema(kind: FileKind) -> None:
    Draft202012Validator.check_schema(kind.schema())


@pytest.mark.parametrize("project", list(PROJECTS.values()), ids=list(PROJECTS))
def test_every_example_file_passes_its_schema(project: Path) -> None:
    checked = [path for kind in FILE_KINDS for path in kind.files(project)]
    assert len(checked) >= 3
    assert [line for kind in FILE_KINDS for path in kind.files(project) for line in problems(kind, path)] == []


@pytest.mark.parametrize(
    ("kind_name", "file", "old", "new", "expected"),
    [
        ("survey", "surveys/after-visit.yaml", "type: nps", "type: npss", "questions/0"),
        ("survey", "surveys/after-visit.yaml", "audience: customer", "audience: customers", "audience"),
        (
            "site",
            "sitegen.yaml",
            "timezone: Europe/Riga",
            "timezone: Europe/Riga\ncolour: red",
            "Additional properties",
        ),
    ],
)
def test_a_broken_file_fails_its_schema(
    minimal_project: Path, kind_name: str, file: str, old: str, new: str, expected: str
) -> None:
    path = minimal_project / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    [kind] = [kind for kind in FILE_KINDS if kind.name == kind_name]
    found = problems(kind, path)
    assert found and any(expected in line for line in found), found


def test_a_new_project_has_its_schemas_and_each_file_names_its_own(tmp_path: Path) -> None:
    project = tmp_path / "site"
    create_project(project)
    for kind in FILE_KINDS:
        assert (project / "schemas" / kind.file_name).read_text(encoding="utf-8") == schema_text(kind)
        for path in kind.files(project):
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first.startswith(MODELINE) and (path.parent / first[len(MODELINE) :]).resolve() == (
                project / "schemas" / kind.file_name
            )
    assert load_site(project).warnings == []  # the modelines are comments: the project still loads as it was


def test_the_schema_command_writes_the_schemas_and_adds_each_modeline_once(minimal_project: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["-C", str(minimal_project), "schema", "--modelines"])
    second = runner.invoke(main, ["-C", str(minimal_project), "schema", "--modelines"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert f"Wrote {len(FILE_KINDS)} schemas" in first.output and "Added the schema line to 0 files." in second.output
    survey = (minimal_project / "surveys/after-visit.yaml").read_text(encoding="utf-8")
    assert survey.startswith(f"{MODELINE}../schemas/survey.schema.json\n") and survey.count(MODELINE) == 1
    assert json.loads((minimal_project / "schemas/survey.schema.json").read_text(encoding="utf-8"))["title"]
