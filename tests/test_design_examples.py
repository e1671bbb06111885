"""A project written from docs/DESIGN.md's examples, key for key, passes `sitegen check` and builds."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from sitegen.cli import main

DESIGN_PROJECT = Path(__file__).parent / "fixtures" / "design"


def test_the_design_examples_pass_check_with_warnings_only(tmp_path: Path) -> None:
    project = tmp_path / "design"
    shutil.copytree(DESIGN_PROJECT, project)
    result = CliRunner().invoke(main, ["-C", str(project), "check"])
    assert result.exit_code == 0, result.stderr
    assert (
        "surveys/after-visit.yaml:24:5: warning: questions[4]: question 'channel' has no label; the form shows its "
        "id instead"
    ) in result.stderr
    assert " error" not in result.stderr.replace("0 errors", "")


def test_the_design_examples_build(tmp_path: Path) -> None:
    project = tmp_path / "design"
    shutil.copytree(DESIGN_PROJECT, project)
    result = CliRunner().invoke(main, ["-C", str(project), "build"])
    assert result.exit_code == 0, result.stderr
    assert (project / "output/public/en/surveys/after-visit/index.html").is_file()
