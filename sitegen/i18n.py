"""The built-in theme's UI strings in each language, from gettext catalogs (Babel).

Catalogs are the `.po` files in `sitegen/theme/locales/`, compiled in memory
when a build starts, so there is no generated `.mo` file to keep in sync.
Message ids are the English texts; a language without a catalog shows them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "theme" / "locales"
_PLUGIN_LOCALES: list[Path] = []
"""Plugins' folders of `<lang>.po` catalogs (`sitegen.plugins`), read after the theme's: their texts, in order."""


def catalog_path(lang: str) -> Path:
    return LOCALES_DIR / f"{lang}.po"


def has_catalog(lang: str) -> bool:
    """Whether the built-in theme speaks `lang` (lv, ru and en ship)."""
    return catalog_path(lang).is_file()


def add_catalogs(folder: Path) -> None:
    """Read a plugin's `<lang>.po` catalogs beside the theme's from now on; a message both translate keeps the
    theme's translation."""
    if folder not in _PLUGIN_LOCALES:
        _PLUGIN_LOCALES.append(folder)
        translations.cache_clear()


@cache
def translations(lang: str) -> NullTranslations:
    """gettext translations for the theme's UI strings in `lang`, and for the plugins' that translate into it."""
    paths = (catalog_path(lang), *(folder / f"{lang}.po" for folder in _PLUGIN_LOCALES))
    found = [_compiled(path, lang) for path in paths if path.is_file()]
    if not found:
        return NullTranslations()
    merged = found[-1]
    for earlier in reversed(found[:-1]):
        merged.merge(earlier)  # an earlier catalog's translation of a message wins over a later one's
    return merged


def _compiled(path: Path, lang: str) -> Translations:
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def language_name(lang: str) -> str:
    """The language's own name for itself, as a switcher shows it ("Latviešu")."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class UiText:
    """The `_` and `ngettext` that templates call, with `%(name)s` filled in."""

    lang: str

    def gettext(self, message: str, **values: object) -> str:
        text = translations(self.lang).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values: object) -> str:
        return translations(self.lang).ngettext(singular, plural, num) % {"num": num, **values}
