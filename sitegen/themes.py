"""Themes: one entry per name a project may pick (`theme:` in sitegen.yaml), and the folders a build reads from it.

A theme is a folder of templates (and `static/`) laid over its parent's, so
it overrides some files and falls back to the rest, down to the built-in
theme that every chain ends in. The project's own `templates/` come first
of all, and the form controls of plugins' question types last
(`sitegen.plugins` registers both kinds). The built-in theme and plugins'
themes are entries of the same registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

THEME_DIR = Path(__file__).resolve().parent / "theme"
DEFAULT_THEME = "default"


@dataclass(frozen=True)
class Theme:
    """A folder of templates (`static/` inside it) laid over the `parent` theme's, which fills in what it lacks."""

    path: Path
    parent: str | None = DEFAULT_THEME


_THEMES: dict[str, Theme] = {DEFAULT_THEME: Theme(THEME_DIR, parent=None)}
THEMES: Mapping[str, Theme] = _THEMES
"""Every theme by its name: the built-in one, then the plugins'."""
_CONTROL_FOLDERS: list[Path] = []


def register_theme(name: str, theme: Theme) -> None:
    """Add a plugin's theme under `name` (`sitegen.plugins` has checked its parents exist)."""
    _THEMES[name] = theme


def register_control_folder(folder: Path) -> None:
    """Add the folder of a plugin question type's form control, searched after every theme."""
    if folder not in _CONTROL_FOLDERS:
        _CONTROL_FOLDERS.append(folder)


def theme_chain(name: str) -> list[Path]:
    """The folders of a theme and its parents, the theme's own first, the built-in theme last."""
    folders: list[Path] = []
    current: str | None = name
    while current is not None and THEMES[current].path not in folders:
        folders.append(THEMES[current].path)
        current = THEMES[current].parent
    return folders


def template_folders(project_templates: Path, theme: str = DEFAULT_THEME) -> list[Path]:
    """Where templates are looked up, first match wins: the project's, the theme chain's, the plugins' controls."""
    project = [project_templates] if project_templates.is_dir() else []
    return [*project, *theme_chain(theme), *_CONTROL_FOLDERS]


def static_folders(project_templates: Path, theme: str = DEFAULT_THEME) -> Iterable[Path]:
    """The `static/` folders a build copies, a later one's file replacing an earlier one's: built-in theme first."""
    return [folder / "static" for folder in reversed(template_folders(project_templates, theme))]
