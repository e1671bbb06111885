"""scorecard.json keeps to the JSON Schema sitegen ships, and docs/scorecard-json.md describes every field."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scorecard_schema import SCHEMA, assert_valid, problems
from test_scorecard_control import AS_OF, scores_by_month, store_scores

from sitegen.metric_kinds import KINDS
from sitegen.metrics.control_charts import CHARTS, RULES
from sitegen.scorecards import SCHEMA_VERSION, compute_scorecards, scorecard_json
from sitegen.site import load_site

REPOSITORY = Path(__file__).resolve().parent.parent
GOLDEN = REPOSITORY / "tests/golden/minimal/intranet/scorecards/customer-experience/scorecard.json"
DOCS = (REPOSITORY / "docs/scorecard-json.md").read_text(encoding="utf-8")


def test_the_kept_minimal_build_keeps_to_the_schema() -> None:
    document = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert document["schema"] == SCHEMA_VERSION == 2
    assert_valid(document)


def test_every_scorecard_of_the_example_site_keeps_to_the_schema(example_output: Path) -> None:
    built = sorted((example_output / "intranet/scorecards").glob("*/scorecard.json"))
    assert len(built) >= 3
    for path in built:
        assert_valid(json.loads(path.read_text(encoding="utf-8")))


def test_the_schemas_lists_are_the_registries() -> None:
    metric = SCHEMA["$defs"]["metric"]["properties"]
    assert metric["kind"]["enum"] == list(KINDS)
    assert set(SCHEMA["$defs"]["control"]["properties"]["chart"]["enum"]) == set(CHARTS)
    signal = SCHEMA["$defs"]["signal"]["oneOf"][1]["properties"]["rule"]["enum"]
    assert signal == [rule.id for rule in RULES]


@pytest.fixture
def example(minimal_project: Path) -> dict[str, Any]:
    """17 months of NPS answers and a jump in the last: intervals, limits and a signal to break."""
    store_scores(minimal_project, scores_by_month([10] * 40))
    figures = compute_scorecards(load_site(minimal_project), AS_OF)["customer-experience"]
    return dict(json.loads(scorecard_json(figures, "Experience")))


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("a key nobody documented", lambda d: d["metrics"][0].update(trend="up")),
        ("an old schema number", lambda d: d.update(schema=1)),
        (
            "a hidden cell that keeps its n",
            lambda d: d["metrics"][0]["segments"]["location"].append(
                {"key": "ogre", "value": None, "suppressed": True, "n": 2}
            ),
        ),
        ("a low without a high", lambda d: d["metrics"][0]["overall"].pop("high")),
        ("a period that is no period", lambda d: d["metrics"][0]["periods"][0].update(period="2026-13")),
        (
            "a signal by an unknown rule",
            lambda d: d["metrics"][0]["periods"][0].update(signal={"direction": "up", "rule": "gut_feeling"}),
        ),
    ],
)
def test_the_schema_refuses(example: dict[str, Any], where: str, change: Any) -> None:
    assert_valid(example)
    document = copy.deepcopy(example)
    change(document)
    assert problems(document), where


def _property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties":
                yield from value
            yield from _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _property_names(item)


def test_docs_describe_every_field_of_the_schema() -> None:
    documented = set(re.findall(r"`([a-z_0-9]+)`", DOCS))
    missing = sorted(set(_property_names(SCHEMA)) - documented)
    assert not missing, f"docs/scorecard-json.md does not describe {missing}"
