"""The Jinja2 environment: the theme search path, autoescaping and the filters pages use.

Templates are looked up first in the project's `templates/`, then in the
built-in theme, so a project overrides the theme file by file; an override
can still extend the original as `"!theme/<name>"` (MkDocs' and Pelican's
search path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from sitegen.models.common import Text
from sitegen.render.markdown import render_markdown

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"


def create_environment(project_templates: Path) -> Environment:
    """One environment per build, with the project's overrides first."""
    search_path = [str(project_templates), str(THEME_DIR)] if project_templates.is_dir() else [str(THEME_DIR)]
    loader = ChoiceLoader([FileSystemLoader(search_path), PrefixLoader({"!theme": FileSystemLoader(str(THEME_DIR))})])
    environment = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["local"] = localise
    environment.filters["markdown"] = markdown_filter
    environment.filters["zip"] = zip
    return environment


@pass_context
def localise(context: Context, text: Text | str | None) -> str:
    """A Text in the page's language, falling back to the site's default language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(context["lang"], context["default_language"])


def markdown_filter(text: Any) -> Markup:
    """Owner-written Markdown as sanitised HTML."""
    return render_markdown(str(text)) if text else Markup("")
