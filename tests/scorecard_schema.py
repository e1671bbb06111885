"""The JSON Schema of `scorecard.json` that sitegen ships, and a check that tests call on every document they build."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema

SCHEMA: dict[str, Any] = json.loads(files("sitegen").joinpath("schemas/scorecard.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def problems(document: object) -> list[str]:
    """Every way `document` breaks the schema, as `path: message`."""
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in VALIDATOR.iter_errors(document)]


def assert_valid(document: object) -> None:
    found = problems(document)
    assert not found, "scorecard.json breaks its schema:\n" + "\n".join(found[:10])
