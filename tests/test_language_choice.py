"""The language a root request opens: a remembered choice, else the browser's by weight, else the site's first."""

from __future__ import annotations

import pytest

from sitegen.language_choice import browser_languages, preferred_language

SITE = ["lv", "ru", "en"]


@pytest.mark.parametrize(
    ("header", "languages"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", ["ru", "ru", "en", "en"]),
        ("en;q=0.5, lv", ["lv", "en"]),
        ("de, *;q=0.5", ["de"]),
        ("lv;q=0, en", ["en"]),
        ("en;q=x, ru", ["ru"]),
        ("", []),
    ],
)
def test_browser_languages_are_primary_tags_by_falling_weight(header: str, languages: list[str]) -> None:
    assert browser_languages(header) == languages


@pytest.mark.parametrize(
    ("chosen", "header", "opened"),
    [
        (None, "de-DE,ru;q=0.8,en;q=0.5", "ru"),
        (None, "de-DE", "lv"),
        (None, None, "lv"),
        ("en", "ru", "en"),
        ("de", "ru", "ru"),
    ],
)
def test_a_choice_made_before_wins_then_the_browsers_first_language_the_site_has(
    chosen: str | None, header: str | None, opened: str
) -> None:
    assert preferred_language(SITE, chosen, header) == opened
