"""Owner-written Markdown -> sanitised HTML.

Owners are trusted to write content but not to be perfect: a pasted
`<script>` or `onclick=` must never reach a page, so every conversion goes
through nh3 (ammonia) with its conservative default allow-list.

The dialect is CommonMark with tables, footnotes, definition lists and
heading attributes, converted by pyromark (pulldown-cmark, in Rust): about a
hundred times faster than python-markdown on the pages owners write, with
the same HTML once sanitised (README, "Build: `bench/build/run`"). A text
converts in a fraction of a millisecond, in the build's own process: handing
texts to worker processes cost more than it saved.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
import pyromark
from markupsafe import Markup

DIALECT = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_DEFINITION_LIST
    | pyromark.Options.ENABLE_HEADING_ATTRIBUTES
)
"""The Markdown owners may write: CommonMark and these extensions (README, `content/pages/<slug>.md`)."""
KEPT_CONVERSIONS = 512
"""Enough for the short texts many pages show (a standard's `why`, a survey's intro); a page's long body, shown
once or twice a build, is cheaper to convert again than to keep (4,096 kept bodies held 77 MB at 5,000 pages)."""


def convert(text: str) -> str:
    """Markdown to sanitised HTML, without the renderer's closing line break."""
    return nh3.clean(pyromark.html(text, options=DIALECT).removesuffix("\n"))


@lru_cache(maxsize=KEPT_CONVERSIONS)
def render_markdown(text: str) -> Markup:
    """Convert Markdown to HTML that is safe to put in a page."""
    return Markup(convert(text))
