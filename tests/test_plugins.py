"""Plugins: a real package installed with pip adds a question type, a metric kind and a theme; broken ones are named.

The installed plugin runs only in subprocesses (`sitegen collect`, `sitegen
build`), so this process's registries stay the built-in ones; the broken
plugins are fake distributions whose loading fails before any registry changes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import EntryPoint, distributions
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from test_collector_process import configure, free_port, start_collector, stop

from sitegen.metric_kinds import KINDS
from sitegen.plugins import PluginInvalid, register_plugins
from sitegen.question_types import TYPES
from sitegen.themes import THEMES

FIXTURES = Path(__file__).parent / "fixtures"
PLUGIN = FIXTURES / "plugin-slider"
PLUGIN_SITE = FIXTURES / "plugin-site"
Problems = Callable[..., list[str]]
WARMTHS = (3, 5, 6, 7, 9)
"""One answer each, as many as the site's privacy rule needs for a figure: their mean is 6."""


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/plugin-slider built and installed by pip into a folder of its own (for PYTHONPATH)."""
    root = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN, root / "source")  # setuptools writes build/ and *.egg-info beside the sources
    target = root / "site-packages"
    offline = ["--no-deps", "--no-build-isolation", "--no-index"]  # setuptools and wheel are the venv's own
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", *offline, "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return target


def sitegen(plugin_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`sitegen ARGUMENTS` in a process that finds the packages in `plugin_path`."""
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(plugin_path)},
        timeout=300,
    )


@pytest.fixture(scope="module")
def built_site(installed_plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Any]]]:
    """tests/fixtures/plugin-site with answers posted to its collector, then built: the project and the replies."""
    project = configure(shutil.copytree(PLUGIN_SITE, tmp_path_factory.mktemp("site") / "plugin-site"))
    port = free_port()
    collector = start_collector(project, port, environment={"PYTHONPATH": str(installed_plugin)})
    try:
        replies = [
            httpx.post(
                f"http://127.0.0.1:{port}/s/comfort",
                json={"rid": f"slider-{index:04d}-abcdef", "lang": "en", "answers": {"warmth": warmth}},
            )
            for index, warmth in enumerate(WARMTHS)
        ]
        replies.append(httpx.post(f"http://127.0.0.1:{port}/s/comfort", json={"lang": "en", "answers": {"warmth": 11}}))
    finally:
        stop(collector)
    built = sitegen(installed_plugin, "-C", str(project), "build")
    assert built.returncode == 0, built.stderr
    yield project, replies


def test_the_collector_stores_a_plugin_type_s_answers_and_refuses_one_off_its_scale(
    built_site: tuple[Path, list[Any]],
) -> None:
    _project, replies = built_site
    assert [reply.status_code for reply in replies] == [201] * len(WARMTHS) + [422]
    assert "warmth" in replies[-1].text


def test_the_survey_page_shows_the_plugin_s_control_in_each_language(built_site: tuple[Path, list[Any]]) -> None:
    project, _replies = built_site
    pages = {lang: project / "output" / "public" / lang / "surveys" / "comfort" / "index.html" for lang in ("lv", "en")}
    hints = {}
    for lang, page in pages.items():
        html = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        control = html.find("input", attrs={"name": "warmth"})
        assert control is not None
        assert (control["type"], control["min"], control["max"], control["step"]) == ("range", "0", "10", "1")
        assert "required" in control.attrs
        hints[lang] = html.select_one("#q-warmth .slider-hint").get_text()  # type: ignore[union-attr]
    assert hints == {"lv": "Velciet rokturi līdz savai atbildei", "en": "Drag the handle to your answer"}


def test_the_scorecard_figures_the_plugin_s_metric_kind_and_a_built_in_one_of_its_answers(
    built_site: tuple[Path, list[Any]],
) -> None:
    project, _replies = built_site
    published = json.loads((project / "output" / "intranet" / "scorecards" / "comfort" / "scorecard.json").read_text())
    figures = [(metric["kind"], metric["overall"]["n"], metric["overall"]["value"]) for metric in published["metrics"]]
    assert figures == [("slider_mean", 5, 6.0), ("mean", 5, 6.0)]  # a built-in kind reads the numeric plugin type too
    page = (project / "output" / "intranet" / "lv" / "scorecards" / "comfort" / "index.html").read_text()
    assert "Vidējā slīdņa pozīcija" in page  # the kind's title, from the plugin's own catalog


def test_the_theme_a_site_picks_overrides_some_templates_and_keeps_the_rest(
    built_site: tuple[Path, list[Any]],
) -> None:
    project, _replies = built_site
    home = BeautifulSoup((project / "output" / "public" / "lv" / "index.html").read_text(), "html.parser")
    assert home.select_one("footer.quiet-footer") is not None  # the theme's _footer.html
    assert "Klusa tēma" in home.select_one("footer").get_text()  # type: ignore[union-attr]
    assert home.select_one("nav") is not None  # the built-in theme's nav, which the theme leaves alone
    assert (project / "output" / "public" / "static" / "quiet.css").is_file()
    assert (project / "output" / "public" / "static" / "survey.js").is_file()


def test_an_edit_to_a_plugin_type_s_meaning_key_is_judged_against_its_stored_answers(
    built_site: tuple[Path, list[Any]], installed_plugin: Path, tmp_path: Path
) -> None:
    project = shutil.copytree(built_site[0], tmp_path / "answered", ignore=shutil.ignore_patterns("output"))
    survey = project / "surveys" / "comfort.yaml"
    text = survey.read_text(encoding="utf-8")
    survey.write_text(text.replace("How warm is the room?", "How warm is it here?"), encoding="utf-8")
    assert sitegen(installed_plugin, "-C", str(project), "check").returncode == 0  # a label is not a meaning key
    survey.write_text(text.replace("    max: 10\n", "    max: 8\n"), encoding="utf-8")
    checked = sitegen(installed_plugin, "-C", str(project), "check")
    assert checked.returncode == 1
    assert "surveys/comfort.yaml:9:10: questions[0].max: its max changed from 10 to 8" in checked.stderr


def test_the_editor_schema_offers_the_plugin_s_type_and_kind(installed_plugin: Path, tmp_path: Path) -> None:
    project = shutil.copytree(PLUGIN_SITE, tmp_path / "plugin-site")
    written = sitegen(installed_plugin, "-C", str(project), "schema")
    assert written.returncode == 0, written.stderr
    survey = json.loads((project / "schemas" / "survey.schema.json").read_text())
    scorecard = json.loads((project / "schemas" / "scorecard.schema.json").read_text())
    assert "SliderQuestion" in survey["$defs"] and "SliderMeanMetric" in scorecard["$defs"]


def test_a_site_whose_plugin_is_not_installed_is_told_which_types_there_are(tmp_path: Path) -> None:
    project = shutil.copytree(PLUGIN_SITE, tmp_path / "plugin-site")
    checked = sitegen(tmp_path / "nothing-here", "-C", str(project), "check")
    assert checked.returncode == 1
    assert "sitegen.yaml:5:8: theme: no theme 'quiet' is installed; expected one of default" in checked.stderr
    assert "content/scorecards/comfort.yaml:6:11: metrics[0].kind: unknown kind 'slider_mean'" in checked.stderr
    assert "surveys/comfort.yaml:7:11: questions[0].type: unknown type 'slider'" in checked.stderr
    assert "Traceback" not in checked.stderr


# Broken plugins: fake distributions, found the way installed ones are -----------------------------------


def fake_distribution(root: Path, name: str, entry_points: str, module: str = "", source: str = "") -> None:
    """A distribution `name` installed in `root` with these entry points, and a module of that source beside it."""
    dist_info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(entry_points)
    if module:
        (root / f"{module}.py").write_text(source)


def found_in(root: Path) -> Callable[[str], Iterable[EntryPoint]]:
    """What `register_plugins` is given when only the distributions in `root` are installed."""
    return lambda group: [
        point for dist in distributions(path=[str(root)]) for point in dist.entry_points.select(group=group)
    ]


def refusal(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The problems loading the distributions in `root` reports; the registries are left as they were."""
    monkeypatch.syspath_prepend(str(root))
    before = (dict(TYPES), dict(KINDS), dict(THEMES))
    with pytest.raises(PluginInvalid) as refused:
        register_plugins(found_in(root))
    assert (dict(TYPES), dict(KINDS), dict(THEMES)) == before
    return refused.value.problems


def test_a_plugin_that_fails_to_import_is_named_by_its_distribution_and_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path, "sitegen-gauge", "[sitegen.question_types]\ngauge = sitegen_gauge:GAUGE\n")
    assert refusal(tmp_path, monkeypatch) == [
        "plugin sitegen-gauge, entry point 'gauge' (sitegen.question_types): cannot be loaded: "
        "ModuleNotFoundError: No module named 'sitegen_gauge'"
    ]


def test_a_plugin_that_names_the_wrong_object_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry_points = "[sitegen.metric_kinds]\nrate = odd:RATE\n[sitegen.themes]\ndark = odd:DARK\n"
    fake_distribution(tmp_path, "sitegen-odd", entry_points, "odd", "RATE = 'a rate'\nDARK = {'path': 'dark'}\n")
    assert refusal(tmp_path, monkeypatch) == [
        "plugin sitegen-odd, entry point 'rate' (sitegen.metric_kinds): names a str; "
        "expected a sitegen.metric_kinds.MetricKind",
        "plugin sitegen-odd, entry point 'dark' (sitegen.themes): names a dict; expected a sitegen.themes.Theme",
    ]


def test_a_plugin_may_not_take_a_built_in_name_nor_another_plugin_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "from pathlib import Path\nfrom sitegen.metric_kinds import KINDS\nfrom sitegen.themes import Theme\n"
    source += "NPS = KINDS['nps']\nDARK = Theme(Path(__file__).parent)\n"
    fake_distribution(
        tmp_path, "sitegen-a", "[sitegen.metric_kinds]\nnps = clash:NPS\n[sitegen.themes]\ndark = clash:DARK\n"
    )
    fake_distribution(tmp_path, "sitegen-b", "[sitegen.themes]\ndark = clash:DARK\n", "clash", source)
    assert refusal(tmp_path, monkeypatch) == [
        "plugin sitegen-a, entry point 'nps' (sitegen.metric_kinds): the metric kind 'nps' is built in; "
        "choose another name",
        "plugin sitegen-b, entry point 'dark' (sitegen.themes): the theme 'dark' is also given by plugin sitegen-a, "
        "entry point 'dark' (sitegen.themes); uninstall one of them",
    ]


def test_a_question_type_is_named_as_its_model_and_brings_its_form_control(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "from pathlib import Path\nfrom typing import Literal\n"
        "from sitegen.models.survey import BaseQuestion\nfrom sitegen.question_types import QuestionType\n"
        "class GaugeQuestion(BaseQuestion):\n    type: Literal['gauge']\n"
        "def read(question, values):\n    return values[0]\n"
        "GAUGE = QuestionType(GaugeQuestion, read)\n"
        "DIAL = QuestionType(GaugeQuestion, read, templates=Path(__file__).parent)\n"
    )
    entry_points = "[sitegen.question_types]\ngauge = gauges:GAUGE\ndial = gauges:DIAL\nmeter = gauges:DIAL\n"
    fake_distribution(tmp_path, "sitegen-gauges", entry_points, "gauges", source)
    assert refusal(tmp_path, monkeypatch) == [
        "plugin sitegen-gauges, entry point 'dial' (sitegen.question_types): names the question type 'gauge'; "
        "name the entry point so",
        "plugin sitegen-gauges, entry point 'meter' (sitegen.question_types): names the question type 'gauge'; "
        "name the entry point so",
        "plugin sitegen-gauges, entry point 'gauge' (sitegen.question_types): gives no templates folder; "
        "it must hold _question_gauge.html",
    ]


def test_a_metric_kind_s_model_is_a_metric_with_a_literal_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (
        "from sitegen.metric_kinds import DECIMAL, MetricKind\nfrom sitegen.models.scorecard import BaseMetric\n"
        "from sitegen.models.survey import NpsQuestion\n"
        "class LooseMetric(BaseMetric):\n    kind: str\n"
        "LOOSE = MetricKind(LooseMetric, 'Loose', '', DECIMAL, print)\n"
        "QUESTION = MetricKind(NpsQuestion, 'A question', '', DECIMAL, print)\n"
    )
    entry_points = "[sitegen.metric_kinds]\nloose = kinds:LOOSE\nquestion = kinds:QUESTION\n"
    fake_distribution(tmp_path, "sitegen-kinds", entry_points, "kinds", source)
    expected = "its model is not a sitegen.models.scorecard.BaseMetric subclass with a Literal metric kind name"
    assert refusal(tmp_path, monkeypatch) == [
        f"plugin sitegen-kinds, entry point 'loose' (sitegen.metric_kinds): {expected}",
        f"plugin sitegen-kinds, entry point 'question' (sitegen.metric_kinds): {expected}",
    ]


def test_a_theme_is_a_folder_whose_parents_end_in_the_built_in_theme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "from pathlib import Path\nfrom sitegen.themes import Theme\nHERE = Path(__file__).parent\n"
        "GONE = Theme(HERE / 'gone')\nORPHAN = Theme(HERE, parent='nowhere')\nROOT = Theme(HERE, parent=None)\n"
        "LEFT = Theme(HERE, parent='right')\nRIGHT = Theme(HERE, parent='left')\n"
    )
    names = ("gone", "orphan", "root", "left", "right")
    entry_points = "[sitegen.themes]\n" + "".join(f"{name} = looks:{name.upper()}\n" for name in names)
    fake_distribution(tmp_path, "sitegen-looks", entry_points, "looks", source)
    prefix = "plugin sitegen-looks, entry point '{}' (sitegen.themes): "
    assert refusal(tmp_path, monkeypatch) == [
        prefix.format("gone") + f"its folder {tmp_path / 'gone'} does not exist",
        prefix.format("left") + "its parents lead back to itself; end the chain in 'default'",
        prefix.format("orphan") + "its parent theme 'nowhere' is not installed; known: "
        "default, gone, left, orphan, right, root",
        prefix.format("right") + "its parents lead back to itself; end the chain in 'default'",
        prefix.format("root") + "has no parent; give parent='default' or another installed theme",
    ]


def test_sitegen_reports_a_broken_plugin_without_a_traceback(minimal_project: Path, tmp_path: Path) -> None:
    fake_distribution(tmp_path, "sitegen-gauge", "[sitegen.question_types]\ngauge = sitegen_gauge:GAUGE\n")
    checked = sitegen(tmp_path, "-C", str(minimal_project), "check")
    assert checked.returncode == 1
    assert checked.stderr.strip() == (
        "Error: plugin sitegen-gauge, entry point 'gauge' (sitegen.question_types): cannot be loaded: "
        "ModuleNotFoundError: No module named 'sitegen_gauge'"
    )


def test_a_site_names_an_installed_theme(minimal_project: Path, problems: Problems) -> None:
    base = "base_url: https://saulite.example\n"
    assert problems(minimal_project, ("sitegen.yaml", base, base + "theme: defualt\n")) == [
        "sitegen.yaml:3:8: theme: no theme 'defualt' is installed; expected one of default. Did you mean 'default'?"
    ]
