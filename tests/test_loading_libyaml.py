"""libyaml composes the nodes only where it gives exactly what the pure-Python loader gives.

Each text is parsed twice, as `parse_yaml` does and with libyaml turned off,
and the values, every position and every error must be the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sitegen import loading
from sitegen.loading import Document, parse_markdown_file, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = sorted(
    path
    for pattern in ("*.yaml", "content/**/*.yaml", "content/**/*.md", "surveys/*.yaml", "sitegen/starter/**/*")
    for path in ROOT.glob(pattern)
    if path.is_file() and path.suffix in {".yaml", ".md"}
) + sorted((ROOT / "tests" / "fixtures").rglob("*.yaml"))

TEXTS = [
    "title:\n  en: Café Etalons\n  ru: Кафе Эталон\nitems:\n- a\n- 'b: c'\n- \"d\\u00e9\"\n",
    "a: 1\nb: 1\na: 2\n",  # duplicate key
    "a:\n\tb: 1\n",  # tab
    "a: 1\n\tb: 2\n",
    "a: x\tb\n",
    "q: {en: How did we do?}\n",  # libyaml accepts, the pure loader refuses
    "q: [a, b: c]\n",
    "q: {en: fine}\n",
    "q:\n  - [1, 2]\n",
    "a: 'never closed\nb: 2\n",
    'a: "never closed\n',
    "a: b: c\n",
    "a:\n  b: 1\n c: 2\n",
    "a: 1\n---\nb: 2\n",
    "a: &x {b: 1}\nc: *x\n",
    "base: &b\n  x: 1\nmore:\n  <<: *b\n  y: 2\n",
    "bad: \n  <<: 5\n",
    "a: &x\n  b: *x\n",
    "n: !!int abc\n",
    "n: !foo x\n",
    "? [a]\n: b\n",
    "? complex\n: value\n",
    "a: yes\nb: No\nc: true\nd: 2026-05-01\ne: 0x1F\nf: .inf\ng: ~\n",
    "a: \x00\n",
    "a: \x85b\n",
    "a: line\u2028break\n",
    "\ufeffa: 1\n",
    "a: \ud800\n",  # lone surrogate
    "a: 😀 b\nc: 😀😀: d\n",
    "a: |\n  text\n   more\n\nb: >-\n  folded\n  lines\n",
    "a: 1\r\nb: 2\r\n  c: 3\r\n",
    "%YAML 1.1\n---\na: 1\n",
    "%YAML 2.0\n---\na: 1\n",
    "a: @x\n",
    "a: `x\n",
    "- a\n- b\nc: d\n",
    "a: 'it''s'\nb: \"\\q\"\n",
    "a: 1\n...\n",
    "x" * 1100 + ": 1\n",
    "# only a comment\n",
    "",
    "key with spaces: value with: colon\n",
    "a:\n- b\n-c\n",
    "a: - b\n",
]


def both(text: str, monkeypatch: pytest.MonkeyPatch, parse: str = "yaml") -> tuple[object, object]:
    def run() -> object:
        try:
            return parsed()
        except yaml.YAMLError as problem:  # a character YAML refuses: the caller reports it
            return repr(problem)

    def parsed() -> object:
        if parse == "yaml":
            return summary(parse_yaml(text, "f.yaml", first_line=3))
        markdown = parse_markdown_file(text, "f.md")
        return markdown.body, markdown.front_matter and summary(markdown.front_matter)

    fast = run()
    with monkeypatch.context() as patch:
        patch.setattr(loading, "_NOT_FOR_LIBYAML", re.compile(""))  # every text to the pure-Python loader
        pure = run()
    return fast, pure


def summary(document: Document) -> object:
    return repr(document.value), repr(document.tree), [str(error) for error in document.errors]


@pytest.mark.parametrize("text", TEXTS)
def test_tricky_texts_read_alike(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = both(text, monkeypatch)
    assert fast == pure


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_project_files_read_alike(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    fast, pure = both(text, monkeypatch, "markdown" if path.suffix == ".md" else "yaml")
    assert fast == pure


def test_plain_block_yaml_goes_to_libyaml() -> None:
    """The speed is real: a block-style file without tabs is composed by libyaml."""
    assert yaml.__with_libyaml__
    loader, node = loading._compose("title:\n  en: Café\nitems:\n- a\n")
    assert isinstance(loader, yaml.CSafeLoader)
    assert isinstance(node, yaml.MappingNode)


@pytest.mark.parametrize("text", ["q: {en: How did we do?}\n", "a:\n\tb: 1\n", "a: 1\nb: [\n", "a: \x85b\n"])
def test_flow_tabs_errors_and_odd_characters_go_to_the_pure_loader(text: str) -> None:
    loader, _ = loading._compose(text)
    assert isinstance(loader, yaml.SafeLoader)


def test_flow_question_mark_is_still_refused() -> None:
    errors = [str(error) for error in parse_yaml("q: {en: How did we do?}\n", "s.yaml").errors]
    assert len(errors) == 1 and errors[0].startswith("s.yaml:1:")
    assert "put the text in quotes" in errors[0]


def test_a_pyyaml_without_libyaml_reads_everything_with_the_pure_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    loader, _ = loading._compose("title:\n  en: Café\n")
    assert isinstance(loader, yaml.SafeLoader)
    assert parse_yaml("a: 1\na: 2\n", "s.yaml").errors[0].line == 2
