"""The Jinja2 environment: the theme search path, autoescaping and the filters pages use.

Templates are looked up first in the project's `templates/`, then in the
site's theme and its parents down to the built-in theme, then in plugins'
form controls (`sitegen.themes.template_folders`), so a project overrides
the theme file by file; an override can still extend the built-in original
as `"!theme/<name>"` (MkDocs' and Pelican's search path).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, meta, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from sitegen.models.common import Text
from sitegen.question_types import MAX_EMAIL_LENGTH, scale_bounds, type_of
from sitegen.render.markdown import render_markdown
from sitegen.themes import THEME_DIR


def create_environment(folders: Sequence[Path]) -> Environment:
    """One environment per build, looking templates up in `folders` (`Site.template_folders`), first match wins."""
    search_path = [str(folder) for folder in folders]
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
    environment.filters["figure"] = figure_filter
    environment.filters["interval"] = interval_filter
    # The form controls read their bounds, fixed choices and partial from the question types' registry.
    environment.globals.update(question_type=type_of, scale_bounds=scale_bounds, max_email_length=MAX_EMAIL_LENGTH)
    return environment


@pass_context
def localise(context: Context, text: Text | str | None) -> str:
    """A Text in the page's language, falling back to the site's default language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(context["lang"], context["default_language"])


@pass_context
def figure_filter(context: Context, value: float | None, kind: str, unit: str = "") -> str:
    """A scorecard figure formatted for the page's language."""
    from sitegen.render.scorecard_view import format_value  # the view imports charts; keep this module light

    return format_value(value, kind, context["lang"], unit)


@pass_context
def interval_filter(context: Context, cell: Any, kind: str, unit: str = "") -> str:
    """A scorecard cell's 95% interval for the page's language ("" where it has none)."""
    from sitegen.render.scorecard_view import format_interval

    return format_interval(cell, kind, context["lang"], unit) or ""


def markdown_filter(text: Any) -> Markup:
    """Owner-written Markdown as sanitised HTML."""
    return render_markdown(str(text)) if text else Markup("")


def names_used(environment: Environment, template: str, seen: set[str] | None = None) -> frozenset[str]:
    """Every variable a template may read, through everything it extends, includes and imports.

    Incremental rebuilds use this to know which shared values a page depends on.
    """
    seen = set() if seen is None else seen
    if template in seen:
        return frozenset()
    seen.add(template)
    source, _, _ = environment.loader.get_source(environment, template)  # type: ignore[union-attr]
    tree = environment.parse(source)
    names = set(meta.find_undeclared_variables(tree))
    for referenced in meta.find_referenced_templates(tree):
        if referenced is None:  # a computed name (the question partials): assume it may read anything its parent can
            names |= _all_partials(environment, seen)
        else:
            names |= names_used(environment, referenced, seen)
    return frozenset(names)


def _all_partials(environment: Environment, seen: set[str]) -> set[str]:
    names: set[str] = set()
    for template in environment.list_templates():
        if template.startswith("_") and template.endswith(".html"):
            names |= names_used(environment, template, seen)
    return names
