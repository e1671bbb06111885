"""Owner Markdown: sanitised, and the same HTML whether converted here or in worker processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sitegen.render import markdown as markdown_module
from sitegen.render.markdown import convert, prepared_markdown, render_markdown

TEXTS = [
    f"# Standard {number}\n\nGreet every guest within **{number} seconds**.\n\n- smile\n- eye contact\n"
    for number in range(40)
]


def test_scripts_and_event_handlers_never_reach_a_page() -> None:
    html = render_markdown('Hello <script>alert(1)</script> <a href="/x" onclick="steal()">link</a>')
    assert "<script" not in html and "onclick" not in html and 'href="/x"' in html


def test_texts_converted_in_worker_processes_are_exactly_those_converted_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(markdown_module.os, "cpu_count", lambda: 2)
    with prepared_markdown(TEXTS):
        assert markdown_module._pending, "the texts were not handed to workers"
        rendered = [str(render_markdown(text)) for text in TEXTS]
    assert rendered == [convert(text) for text in TEXTS]
    assert not markdown_module._pending and not markdown_module._ready


def test_a_script_without_a_main_guard_still_gets_every_text_converted(tmp_path: Path) -> None:
    # Worker processes re-import such a script and fail; the build converts the texts itself instead.
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent("""
        from sitegen.render import markdown
        markdown.PARALLEL_FROM = 1
        markdown.os.cpu_count = lambda: 2
        texts = [f"**{number}**" for number in range(20)]
        with markdown.prepared_markdown(texts):
            print(all(markdown.render_markdown(text) == markdown.convert(text) for text in texts))
    """),
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True"
