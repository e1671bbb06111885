"""Markdown converters compared on owners' texts: time per text, and whether the sanitised HTML is sitegen's.

Usage (the candidates are not sitegen's dependencies, so they go in a venv of their own):

    python3 -m venv /tmp/converters
    /tmp/converters/bin/pip install pyyaml nh3 markdown markdown-it-py mdit-py-plugins mistune cmarkgfm \\
        markdown-it-pyrs pyromark comrak
    /tmp/converters/bin/python bench/build/converters.py

The texts: the build benchmark's page bodies (`text.py`, 200 pages x 3
languages) and every Markdown text of the example site (content/pages/*.md
and the YAML texts of content/ and surveys/ longer than 40 characters). Each
candidate has the extensions closest to python-markdown's `extra` +
`sane_lists` that it offers. "same" counts texts whose HTML, after nh3 and
with white space runs made one space, equals python-markdown's: what a reader
of the built page sees.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cmarkgfm
import comrak
import markdown
import markdown_it_pyrs
import mistune
import nh3
import pyromark
import yaml
from cmarkgfm.cmark import Options as CmarkOptions
from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from text import LANGUAGES, body

REPOSITORY = Path(__file__).resolve().parents[2]
ROUNDS = 3

_python_markdown = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
_markdown_it = (
    MarkdownIt("commonmark", {"html": True})
    .enable("table")
    .use(footnote_plugin)
    .use(deflist_plugin)
    .use(attrs_plugin)
    .use(attrs_block_plugin)
)
_mistune = mistune.create_markdown(escape=False, plugins=["table", "footnotes", "def_list", "abbr"])
_markdown_it_rs = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "footnote", "deflist"])
_comrak_extensions = comrak.ExtensionOptions()
_comrak_extensions.table = _comrak_extensions.footnotes = _comrak_extensions.description_lists = True
_comrak_render = comrak.RenderOptions()
_comrak_render.unsafe_ = True
_pyromark_options = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_DEFINITION_LIST
    | pyromark.Options.ENABLE_HEADING_ATTRIBUTES
)

CONVERTERS: dict[str, Callable[[str], str]] = {
    "python-markdown (extra, sane_lists)": lambda text: _python_markdown.reset().convert(text),
    "markdown-it-py + mdit-py-plugins": _markdown_it.render,
    "mistune 3": lambda text: str(_mistune(text)),
    "cmarkgfm": lambda text: cmarkgfm.github_flavored_markdown_to_html(
        text, options=CmarkOptions.CMARK_OPT_UNSAFE | CmarkOptions.CMARK_OPT_FOOTNOTES
    ),
    "markdown-it-pyrs": _markdown_it_rs.render,
    "comrak": lambda text: comrak.render_markdown(
        text, extension_options=_comrak_extensions, render_options=_comrak_render
    ),
    "pyromark": lambda text: pyromark.html(text, options=_pyromark_options),
}


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for item in node.values():
            yield from _strings(item)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def example_texts() -> list[str]:
    texts = []
    for path in sorted((REPOSITORY / "content" / "pages").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        texts.append(text.split("---", 2)[2] if text.startswith("---") else text)
    for path in sorted([*(REPOSITORY / "content").rglob("*.yaml"), *(REPOSITORY / "surveys").glob("*.yaml")]):
        texts += [text for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))) if len(text) > 40]
    return texts


def as_read(html: str) -> str:
    """Sanitised HTML with white space between and around tags dropped and runs of it made one space."""
    html = re.sub(r"\s*(<[^>]+>)\s*", r"\1", nh3.clean(html))
    return re.sub(r"\s+", " ", html).replace("&nbsp;", "\u00a0").replace("&#160;", "\u00a0").strip()


def milliseconds_per_text(convert: Callable[[str], str], texts: list[str], sanitise: bool) -> float:
    """Best of `ROUNDS` passes, in CPU time (the machine is shared)."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for text in texts:
            html = convert(text)
            if sanitise:
                nh3.clean(html)
        best = min(best, time.process_time() - started)
    return best / len(texts) * 1000


def main() -> None:
    corpora = {
        "benchmark": [body(index, lang) for index in range(200) for lang in LANGUAGES],
        "example": example_texts(),
    }
    reference = CONVERTERS["python-markdown (extra, sane_lists)"]
    expected = {name: [as_read(reference(text)) for text in texts] for name, texts in corpora.items()}
    print(
        f"{len(corpora['benchmark'])} benchmark texts, {len(corpora['example'])} example-site texts; ms of CPU per text"
    )
    print(f"{'converter':<38} {'bench':>7} {'+nh3':>7} {'example':>8}  same HTML as read (bench, example)")
    for name, convert in CONVERTERS.items():
        same = [
            sum(as_read(convert(text)) == wanted for text, wanted in zip(texts, expected[corpus], strict=True))
            for corpus, texts in corpora.items()
        ]
        print(
            f"{name:<38} {milliseconds_per_text(convert, corpora['benchmark'], False):7.3f} "
            f"{milliseconds_per_text(convert, corpora['benchmark'], True):7.3f} "
            f"{milliseconds_per_text(convert, corpora['example'], False):8.3f}  "
            f"{same[0]}/{len(corpora['benchmark'])}, {same[1]}/{len(corpora['example'])}"
        )


if __name__ == "__main__":
    main()
