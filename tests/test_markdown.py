"""Owner Markdown: the documented dialect, always sanitised."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.render.markdown import convert, render_markdown
from sitegen.site import remote_images


def test_scripts_and_event_handlers_never_reach_a_page() -> None:
    html = render_markdown('Hello <script>alert(1)</script> <a href="/x" onclick="steal()">link</a>')
    assert "<script" not in html and "onclick" not in html and 'href="/x"' in html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("| Coffee | 18 g |\n| --- | ---: |\n| Time | 30 s |", "<td>Time</td><td>30 s</td>"),
        ("Greet them[^1].\n\n[^1]: Within 30 seconds.", "<p>Within 30 seconds.</p>"),
        ("NPS\n: Net Promoter Score", "<dl>\n<dt>NPS</dt>\n<dd>Net Promoter Score</dd>\n</dl>"),
        ("## Sveiki {: lang=lv }", '<h2 lang="lv">Sveiki</h2>'),
        ("Steps:\n1. greet\n   the guest\n2. smile", "<p>Steps:</p>\n<ol>\n<li>greet\nthe guest</li>\n<li>smile</li>"),
        ("3. third\n4. fourth", '<ol start="3">'),
        ("<div>\n\n**inside**\n\n</div>", "<div>\n<p><strong>inside</strong></p>\n</div>"),
    ],
    ids=["table", "footnote", "definition-list", "heading-attributes", "list-after-a-line", "list-start", "html-block"],
)
def test_the_documented_dialect_converts_as_the_readme_says(text: str, html: str) -> None:
    assert html in convert(text)


def test_a_conversion_ends_without_the_renderers_closing_line_break() -> None:
    assert convert("Hello") == "<p>Hello</p>"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("![logo](https://cdn.example/logo.png)", [(1, "https://cdn.example/logo.png")]),
        ('Intro\n\n![logo]( http://cdn.example/a.png "title")', [(3, "http://cdn.example/a.png")]),
        ("![logo](<//cdn.example/a b.png>)", [(1, "//cdn.example/a")]),
        ('<img alt="x" src="https://track.example/pixel.gif">', [(1, "https://track.example/pixel.gif")]),
        ("<IMG SRC=//track.example/p.gif>", [(1, "//track.example/p.gif")]),
        ("![x][logo]\n\n[logo]: https://cdn.example/logo.png", [(3, "https://cdn.example/logo.png")]),
        ("![logo]\n\n[Logo]: <https://cdn.example/logo.png>", [(3, "https://cdn.example/logo.png")]),
        ("[a link](https://example.com/) is no image", []),
        ("[docs]: https://example.com/ is a link definition no image uses", []),
        ("![local](static/logo.png) and ![inline](data:image/png;base64,AAAA)", []),
    ],
    ids=[
        "inline",
        "spaces-title",
        "angle-brackets",
        "html",
        "html-unquoted",
        "reference",
        "shortcut",
        "link",
        "definition-only",
        "local-and-data",
    ],
)
def test_remote_images_are_found_with_their_line(text: str, found: list[tuple[int, str]]) -> None:
    assert list(remote_images(text)) == found


def test_a_remote_image_in_a_page_or_a_yaml_text_is_a_warning_at_its_line(
    minimal_project: Path, problems: Callable[..., list[str]]
) -> None:
    advice = "the site loads nothing from other hosts; put the image in templates/static/"
    why = "en: Customers who are greeted at once feel expected."
    found = problems(
        minimal_project,
        ("content/pages/about.md", "Rīgā.\n", "Rīgā.\n\n![team](https://cdn.example/team.jpg)\n"),
        ("content/pages/about.en.md", "", '<img src="https://cdn.example/en.jpg">\n'),
        ("content/standards/greeting.yaml", why, 'en: "![x](//cdn.example/x.png)"'),
    )
    assert found == [
        f"content/pages/about.en.md:1:1: warning: a remote image (https://cdn.example/en.jpg): {advice}",
        f"content/pages/about.md:7:1: warning: a remote image (https://cdn.example/team.jpg): {advice}",
        f"content/standards/greeting.yaml:6:39: warning: why.en: a remote image (//cdn.example/x.png): {advice}",
    ]
