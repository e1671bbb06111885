"""Plugins: question types, metric kinds and themes that installed packages add through entry points.

A distribution declares entry points in three groups, each naming an object
of the same class the built-in entries are (docs/plugins.md):

- `sitegen.question_types`: a `sitegen.question_types.QuestionType`, named as its model's `type`;
- `sitegen.metric_kinds`: a `sitegen.metric_kinds.MetricKind`, named as its model's `kind`;
- `sitegen.themes`: a `sitegen.themes.Theme`, named as `theme:` in sitegen.yaml picks it.

`load_plugins` reads them once, checks every one, and only when all hold
adds them to the registries the built-in entries live in; until then no
registry changes. A plugin that does not import, gives the wrong object or
takes a name already taken is refused by a message naming its distribution
and entry point, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from sitegen.errors import SitegenError
from sitegen.i18n import add_catalogs
from sitegen.metric_kinds import KINDS, MetricKind, register_kind
from sitegen.models.scorecard import BaseMetric
from sitegen.models.survey import BaseQuestion
from sitegen.question_types import TYPES, QuestionType, register_type
from sitegen.themes import THEMES, Theme, register_control_folder, register_theme

QUESTION_TYPES = "sitegen.question_types"
METRIC_KINDS = "sitegen.metric_kinds"
THEME_GROUP = "sitegen.themes"


class PluginInvalid(SitegenError):
    """One or more installed plugins cannot be used; the message lists each, by distribution and entry point."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Plugin:
    """One entry point that loaded, and the object it names."""

    entry_point: EntryPoint
    value: Any

    @property
    def name(self) -> str:
        return self.entry_point.name

    def problem(self, message: str) -> str:
        return describe(self.entry_point) + message


def describe(entry_point: EntryPoint) -> str:
    """`plugin sitegen-slider, entry point 'slider' (sitegen.question_types): ` to start a message with."""
    distribution = entry_point.dist.name if entry_point.dist is not None else "(unknown distribution)"
    return f"plugin {distribution}, entry point '{entry_point.name}' ({entry_point.group}): "


_loaded = False


def installed(group: str) -> Iterable[EntryPoint]:
    """The entry points of `group` in every installed distribution."""
    return entry_points(group=group)


def load_plugins() -> None:
    """Register every installed plugin, once per process; raise PluginInvalid naming each one that cannot be used."""
    global _loaded
    if not _loaded:
        register_plugins(installed)
        _loaded = True


def register_plugins(found: Callable[[str], Iterable[EntryPoint]]) -> None:
    """Check the plugins `found(group)` lists, then register them all, or raise PluginInvalid and register none."""
    problems: list[str] = []
    loaded = {group: _load_group(found(group), problems) for group in (QUESTION_TYPES, METRIC_KINDS, THEME_GROUP)}
    types = _checked(loaded[QUESTION_TYPES], QuestionType, TYPES, "question type", problems)
    kinds = _checked(loaded[METRIC_KINDS], MetricKind, KINDS, "metric kind", problems)
    themes = _checked_themes(loaded[THEME_GROUP], problems)
    problems += [plugin.problem(message) for plugin in types for message in _type_problems(plugin.value)]
    if problems:
        raise PluginInvalid(problems)
    for plugin in types:
        register_type(plugin.value)
        if plugin.value.templates is not None:
            register_control_folder(plugin.value.templates)
    for plugin in kinds:
        register_kind(plugin.value)
    for plugin in themes:
        register_theme(plugin.name, plugin.value)
    for plugin in (*types, *kinds):
        if plugin.value.locales is not None:
            add_catalogs(plugin.value.locales)
    for plugin in themes:
        add_catalogs(plugin.value.path / "locales")


def _load_group(group: Iterable[EntryPoint], problems: list[str]) -> list[Plugin]:
    """Import each entry point's object, sorted by name and distribution so the order (and which of two plugins
    giving one name is refused) never depends on the disk."""
    plugins = []
    for entry_point in sorted(group, key=lambda point: (point.name, describe(point), point.value)):
        try:
            plugins.append(Plugin(entry_point, entry_point.load()))
        except Exception as failure:  # any error of a plugin's import is the plugin's, reported as such
            problems.append(describe(entry_point) + f"cannot be loaded: {type(failure).__name__}: {failure}")
    return plugins


def _checked(
    plugins: list[Plugin],
    entry_class: type[QuestionType | MetricKind | Theme],
    built: Iterable[str],
    what: str,
    problems: list[str],
) -> list[Plugin]:
    """The plugins whose object is an entry of `entry_class`, named as the entry names itself, and not taken."""
    accepted: list[Plugin] = []
    taken = set(built)
    for plugin in plugins:
        if not isinstance(plugin.value, entry_class):
            expected = f"{entry_class.__module__}.{entry_class.__name__}"
            problems.append(plugin.problem(f"names a {type(plugin.value).__name__}; expected a {expected}"))
            continue
        own_name = _declared_name(plugin.value, plugin.name)
        if own_name is None:
            problems.append(plugin.problem(f"its model is not a {_MODELS[entry_class]} with a Literal {what} name"))
        elif own_name != plugin.name:
            problems.append(plugin.problem(f"names the {what} '{own_name}'; name the entry point so"))
        elif plugin.name in taken:
            problems.append(plugin.problem(f"the {what} '{plugin.name}' {_taken_by(plugin.name, accepted)}"))
        else:
            taken.add(plugin.name)
            accepted.append(plugin)
    return accepted


_MODELS = {
    QuestionType: f"{BaseQuestion.__module__}.{BaseQuestion.__name__} subclass",
    MetricKind: f"{BaseMetric.__module__}.{BaseMetric.__name__} subclass",
}
"""What the model of an entry of each class must be: a question's, a metric's."""


def _declared_name(value: QuestionType | MetricKind | Theme, entry_point_name: str) -> str | None:
    """The name a type or kind gives itself (its model's `type` / `kind` literal), None where its model has none;
    a theme is named by its entry point alone."""
    if isinstance(value, Theme):
        return entry_point_name
    base = BaseQuestion if isinstance(value, QuestionType) else BaseMetric
    if not isinstance(value.model, type) or not issubclass(value.model, base):
        return None
    try:
        return value.name
    except (KeyError, IndexError):  # no `type` / `kind` field, or one that is not a Literal
        return None


def _taken_by(name: str, accepted: list[Plugin]) -> str:
    other = next((plugin for plugin in accepted if plugin.name == name), None)
    if other is None:
        return "is built in; choose another name"
    return f"is also given by {describe(other.entry_point).removesuffix(': ')}; uninstall one of them"


def _type_problems(entry: QuestionType) -> Iterable[str]:
    """A plugin's type brings its form control: sitegen has none for it."""
    if entry.templates is None:
        yield f"gives no templates folder; it must hold {entry.control}"
    elif not (entry.templates / entry.control).is_file():
        yield f"has no form control {entry.templates / entry.control}"


def _checked_themes(plugins: list[Plugin], problems: list[str]) -> list[Plugin]:
    """Themes that are folders, whose parent is a theme; a chain of parents ends in the built-in theme."""
    accepted = _checked(plugins, Theme, THEMES, "theme", problems)
    names = {*THEMES, *(plugin.name for plugin in accepted)}
    parents = {plugin.name: plugin.value.parent for plugin in accepted}
    usable = []
    for plugin in accepted:
        theme: Theme = plugin.value
        if not theme.path.is_dir():
            problems.append(plugin.problem(f"its folder {theme.path} does not exist"))
        elif theme.parent is None:
            problems.append(plugin.problem("has no parent; give parent='default' or another installed theme"))
        elif theme.parent not in names:
            problems.append(
                plugin.problem(f"its parent theme '{theme.parent}' is not installed; known: {', '.join(sorted(names))}")
            )
        elif _is_circular(plugin.name, parents):
            problems.append(plugin.problem("its parents lead back to itself; end the chain in 'default'"))
        else:
            usable.append(plugin)
    return usable


def _is_circular(name: str, parents: dict[str, str | None]) -> bool:
    seen = {name}
    current = parents.get(name)
    while current in parents:
        if current in seen:
            return True
        seen.add(current)
        current = parents[current]
    return False
