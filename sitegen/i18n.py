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


def catalog_path(lang: str) -> Path:
    return LOCALES_DIR / f"{lang}.po"


def has_catalog(lang: str) -> bool:
    """Whether the built-in theme speaks `lang` (lv, ru and en ship)."""
    return catalog_path(lang).is_file()


@cache
def translations(lang: str) -> NullTranslations:
    """gettext translations for the theme's UI strings in `lang`."""
    if not has_catalog(lang):
        return NullTranslations()
    with catalog_path(lang).open("rb") as po_file:
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
