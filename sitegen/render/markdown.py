"""Owner-written Markdown -> sanitised HTML.

Owners are trusted to write content but not to be perfect: a pasted
`<script>` or `onclick=` must never reach a page, so every conversion goes
through nh3 (ammonia) with its conservative default allow-list.
"""

from __future__ import annotations

from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

_EXTENSIONS = ["extra", "sane_lists"]
_converter = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Convert Markdown to HTML that is safe to put in a page."""
    html = _converter.reset().convert(text)
    return Markup(nh3.clean(html))
