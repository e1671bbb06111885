"""README.md documents what the code accepts: every command, every key, every type and kind."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from sitegen.cli import main
from sitegen.models import alerts, content, deploy, scorecard, site, survey

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_set_up_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make site" in first_block and "make test" in first_block


def test_the_ci_script_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci/run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command: str) -> None:
    assert f"`sitegen {command}" in README


def _models() -> list[type[BaseModel]]:
    found = []
    for module in (site, alerts, content, survey, scorecard, deploy):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                found.append(value)
    return found


@pytest.mark.parametrize("model", _models(), ids=lambda model: model.__name__)
def test_every_key_of_every_model_is_documented(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        key = field.alias or name
        assert f"{key}:" in README or f"`{key}`" in README, f"{model.__name__}.{key} is not in README.md"


def test_every_question_type_has_a_row_in_the_readme() -> None:
    for question in typing.get_args(typing.get_args(survey.Question)[0]):
        kind = typing.get_args(question.model_fields["type"].annotation)[0]
        assert f"| `{kind}` |" in README


def test_every_metric_kind_has_a_row_in_the_readme() -> None:
    for metric in typing.get_args(typing.get_args(scorecard.Metric)[0]):
        kind = typing.get_args(metric.model_fields["kind"].annotation)[0]
        assert f"| `{kind}` |" in README
