"""JSON Schemas of the files an owner edits, made from the models that validate them, for editors to complete keys.

Each kind of file is one entry of `FILE_KINDS`: its model and where such
files live in a project. `sitegen schema` writes one `<kind>.schema.json` per
kind into the project's `schemas/` folder, and a YAML file points its editor
at its schema with a first line such as
`# yaml-language-server: $schema=../schemas/survey.schema.json` (VS Code's
YAML extension, and every editor using the YAML language server, read it).
The schemas say what the models accept as JSON; `sitegen check` stays the one
judge (cross-file rules, positions, a survey edited after answers came in).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from sitegen.models.content import Guide, PageMeta, Standard, Vision
from sitegen.models.scorecard import Scorecard
from sitegen.models.site import SiteConfig
from sitegen.models.survey import Survey
from sitegen.plugins import load_plugins

SCHEMA_DIR = "schemas"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MODELINE = "# yaml-language-server: $schema="


@dataclass(frozen=True)
class FileKind:
    """One kind of file: its model, and the project's files of that kind (glob patterns from the project root)."""

    name: str
    model: type[BaseModel]
    patterns: tuple[str, ...]
    title: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.schema.json"

    def schema(self) -> dict[str, Any]:
        """The model's JSON Schema (validation mode: what a file may say), with the dialect and a title."""
        body = self.model.model_json_schema(mode="validation")
        return {"$schema": SCHEMA_DIALECT, "title": self.title, **body}

    def files(self, root: Path) -> list[Path]:
        return sorted(path for pattern in self.patterns for path in root.glob(pattern))


FILE_KINDS = (
    FileKind("site", SiteConfig, ("sitegen.yaml",), "sitegen.yaml: the site"),
    FileKind("vision", Vision, ("content/vision.yaml",), "content/vision.yaml: the service vision"),
    FileKind("standard", Standard, ("content/standards/*.yaml",), "content/standards/<id>.yaml: a service standard"),
    FileKind("guide", Guide, ("content/onboarding/*.yaml",), "content/onboarding/<id>.yaml: an onboarding guide"),
    FileKind("page", PageMeta, (), "content/pages/<slug>.md: a page's front matter"),
    FileKind("survey", Survey, ("surveys/*.yaml",), "surveys/<id>.yaml: a survey"),
    FileKind("scorecard", Scorecard, ("content/scorecards/*.yaml",), "content/scorecards/<id>.yaml: a scorecard"),
)
"""Every kind of file an owner writes. Page front matter has no modeline (it sits inside Markdown)."""


def schema_text(kind: FileKind) -> str:
    """The schema as written: sorted keys and a final newline, so the same models give the same bytes."""
    return json.dumps(kind.schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(root: Path) -> list[Path]:
    """Write every kind's schema into `root/schemas/`, plugins' question types and metric kinds included; the files
    written."""
    load_plugins()
    folder = root / SCHEMA_DIR
    folder.mkdir(exist_ok=True)
    written = []
    for kind in FILE_KINDS:
        target = folder / kind.file_name
        target.write_text(schema_text(kind), encoding="utf-8")
        written.append(target)
    return written


def modeline(root: Path, path: Path, kind: FileKind) -> str:
    """The first line that points the editor of `path` at its kind's schema, relative to the file."""
    depth = len(path.relative_to(root).parts) - 1
    relative = PurePosixPath(*([".."] * depth), SCHEMA_DIR, kind.file_name)
    return f"{MODELINE}{relative}\n"


def add_modelines(root: Path) -> list[Path]:
    """Start each project file with its schema's modeline, once; the files changed."""
    changed = []
    for kind in FILE_KINDS:
        for path in kind.files(root):
            text = path.read_text(encoding="utf-8")
            if text.startswith(MODELINE):
                continue
            path.write_text(modeline(root, path, kind) + text, encoding="utf-8")
            changed.append(path)
    return changed
