"""Owner-written Markdown -> sanitised HTML.

Owners are trusted to write content but not to be perfect: a pasted
`<script>` or `onclick=` must never reach a page, so every conversion goes
through nh3 (ammonia) with its conservative default allow-list.

The dialect is CommonMark with tables, footnotes, definition lists and
heading attributes, converted by pyromark (pulldown-cmark, in Rust): about a
hundred times faster than python-markdown on the pages owners write, with
the same HTML once sanitised (README, "Build: `bench/build/run`").

Markdown conversion is most of a big build's time, so a build converts the
texts of the pages it is about to render at once on every core
(`prepared_markdown`); templates then find them ready.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
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
PARALLEL_FROM = 300
"""Fewer texts than this are converted in the build's own process: starting workers would cost more."""
CHUNKS_PER_WORKER = 16
_ready: dict[str, Markup] = {}
_pending: dict[str, tuple[Future[list[str]], list[str]]] = {}


def convert(text: str) -> str:
    """Markdown to sanitised HTML (in whichever process runs it), without the renderer's closing line break."""
    return nh3.clean(pyromark.html(text, options=DIALECT).removesuffix("\n"))


def convert_all(texts: list[str]) -> list[str]:
    """A worker's share of a build's texts."""
    return [convert(text) for text in texts]


@lru_cache(maxsize=4096)
def _converted(text: str) -> Markup:
    return Markup(convert(text))


def render_markdown(text: str) -> Markup:
    """Convert Markdown to HTML that is safe to put in a page."""
    if text not in _ready and text in _pending:
        future, chunk = _pending[text]
        try:
            _ready.update((done, Markup(html)) for done, html in zip(chunk, future.result(), strict=True))
        except BrokenProcessPool:  # workers could not start (a script without a main guard): convert here
            for done in chunk:
                _pending.pop(done, None)
    ready = _ready.get(text)
    return ready if ready is not None else _converted(text)


@contextmanager
def prepared_markdown(texts: Iterable[str]) -> Iterator[None]:
    """While inside, many texts are converted in other processes, in order, while this one renders.

    `render_markdown` waits for a text's share when it is still being
    converted; render the pages that need none first.
    """
    missing = list(dict.fromkeys(texts))
    workers = os.cpu_count() or 1
    if len(missing) < PARALLEL_FROM or workers < 2:
        yield
        return
    # forkserver: workers start from a clean process, never a copy of this one's threads.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
    size = max(1, len(missing) // (workers * CHUNKS_PER_WORKER))
    for start in range(0, len(missing), size):
        chunk = missing[start : start + size]
        future = pool.submit(convert_all, chunk)
        _pending.update((text, (future, chunk)) for text in chunk)
    try:
        yield
    finally:
        _pending.clear()
        _ready.clear()
        pool.shutdown(cancel_futures=True)
