"""The floor for any Python generator: python-markdown and one Jinja2 template in a bare loop.

Usage: bare.py SOURCE OUTPUT   (SOURCE/*.md: a title line, a blank line, the body)

One reused `markdown.Markdown` with the extensions sitegen used before it
moved to pyromark (`extra`, `sane_lists`), one compiled template, one folder
and `index.html` per page. It runs in the tools' venv (`tools.py`), beside
Pelican and MkDocs, which convert with python-markdown too.
No front matter, no validation, no sanitising, no navigation: what the
simplest honest script would do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import markdown
from jinja2 import Environment
from markupsafe import Markup

TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<main>
<h1>{{ title }}</h1>
{{ content }}
</main>
</body>
</html>
"""


def main(source: Path, output: Path) -> None:
    converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    template = Environment(autoescape=True).from_string(TEMPLATE)
    for path in sorted(source.glob("*.md")):
        title, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        content = converter.reset().convert(text)
        folder = output / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        html = template.render(lang=path.stem.rsplit("-", 1)[-1], title=title, content=Markup(content))
        (folder / "index.html").write_text(html, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
