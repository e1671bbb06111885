"""The theme's UI catalogs: every string the theme uses is translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sitegen.i18n import UiText, catalog_path, language_name

PACKAGE = Path(__file__).resolve().parent.parent / "sitegen"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def used_messages() -> set[str | tuple[str, ...]]:
    """Every message id the templates and the Python code ask for."""
    method_map = [("theme/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
    return {message for _, _, message, _, _ in extract_from_dir(str(PACKAGE), method_map=method_map)}


@pytest.mark.parametrize("lang", ["lv", "ru"])
def test_every_ui_string_is_translated_with_the_same_placeholders(lang: str) -> None:
    with catalog_path(lang).open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    for message in used_messages():
        entry = catalog.get(message)
        assert entry is not None, f"{message!r} is missing from {lang}.po: run scripts/update-catalogs"
        translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        source = message[0] if isinstance(message, tuple) else message
        for translation in translations:
            assert translation, f"{message!r} is not translated in {lang}.po"
            assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(source)), (lang, message)


def test_plural_forms_follow_each_language() -> None:
    assert UiText("ru").ngettext("%(num)d question", "%(num)d questions", 3) == "3 вопроса"
    assert UiText("ru").ngettext("%(num)d question", "%(num)d questions", 5) == "5 вопросов"
    assert UiText("lv").ngettext("%(num)d question", "%(num)d questions", 21) == "21 jautājums"
    assert UiText("en").ngettext("%(num)d question", "%(num)d questions", 1) == "1 question"


def test_a_language_without_a_catalog_shows_the_english_text() -> None:
    assert UiText("de").gettext("Surveys") == "Surveys"


def test_language_names_are_written_in_their_own_language() -> None:
    assert [language_name(lang) for lang in ("lv", "ru", "en")] == ["Latviešu", "Русский", "English"]


@pytest.mark.parametrize("lang", ["lv", "ru", "en"])
def test_every_catalog_reads_without_a_problem(lang: str) -> None:
    """A message without its msgstr (a merge that lost a line) is a problem Babel would only log."""
    with catalog_path(lang).open("rb") as po_file:
        read_po(po_file, locale=lang, abort_invalid=True)
